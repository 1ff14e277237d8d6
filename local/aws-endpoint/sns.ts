import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { appendJsonLine, isRecord, loadJsonLines } from '../json-lines.ts';
import type { SnsOutboxEntry } from '../types.ts';
import { AwsApiError } from './errors.ts';
import {
  element,
  indexedPrefixes,
  type QueryParams,
  type RawMessageAttribute,
  readMessageAttributes,
} from './query.ts';
import {
  invalidParameter,
  MAX_MESSAGE_BYTES,
  messageSize,
  type SnsMessageAttribute,
  validateBatchShape,
  validateMessageAttributes,
  validateMessageBody,
  validateSubject,
} from './sns-validation.ts';

export interface PublishInput {
  subject?: string | undefined;
  message?: string | undefined;
  messageAttributes: Record<string, RawMessageAttribute>;
}

export interface BatchEntryInput extends PublishInput {
  id?: string | undefined;
}

export interface BatchResult {
  successful: { id: string; messageId: string }[];
  failed: { id: string; code: string; message: string; senderFault: boolean }[];
}

export interface SnsServiceConfig {
  region: string;
  accountId: string;
  dataDir: string;
  onSnsMessage?: ((entry: SnsOutboxEntry) => void) | undefined;
}

interface PreparedMessage {
  subject: string | undefined;
  message: string;
  messageAttributes: Record<string, SnsMessageAttribute>;
  size: number;
}

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * The local SNS: the topics serverless.yml declares, created at every start, and every
 * message published to them, appended to `sns-outbox.jsonl` — the file a developer reads
 * instead of an inbox. Subscriptions (the alert e-mails) exist on AWS only: locally a
 * message is checked as SNS checks it, stored and shown, and delivered nowhere.
 */
export class SnsService {
  readonly #config: SnsServiceConfig;
  readonly #outboxPath: string;
  readonly #topicArns = new Set<string>();
  readonly #messages: SnsOutboxEntry[] = [];

  constructor(config: SnsServiceConfig) {
    this.#config = config;
    this.#outboxPath = join(config.dataDir, 'sns-outbox.jsonl');
    for (const record of loadJsonLines(this.#outboxPath)) {
      if (isRecord(record) && typeof record.topicArn === 'string' && typeof record.message === 'string') {
        this.#messages.push(record as unknown as SnsOutboxEntry);
      }
    }
  }

  /** Returns the topic's ARN; creating an existing topic returns it again. */
  createTopic(name: string): string {
    const arn = `arn:aws:sns:${this.#config.region}:${this.#config.accountId}:${name}`;
    this.#topicArns.add(arn);
    return arn;
  }

  topicArns(): string[] {
    return [...this.#topicArns];
  }

  publish(topicArn: string | undefined, input: PublishInput): { messageId: string } {
    const topic = this.#topic(topicArn);
    return { messageId: this.#record(topic, this.#prepare(input)) };
  }

  /**
   * PublishBatch: request-level problems (too many entries, bad or duplicate ids, too long
   * altogether, unknown topic) fail the whole call; an invalid entry fails alone.
   */
  publishBatch(topicArn: string | undefined, entries: BatchEntryInput[]): BatchResult {
    const topic = this.#topic(topicArn);
    validateBatchShape(entries.map((entry) => entry.id));
    let total = 0;
    const prepared = entries.map((entry) => {
      try {
        const message = this.#prepare(entry);
        total += message.size;
        return { id: entry.id as string, message };
      } catch (error) {
        if (!(error instanceof AwsApiError)) throw error;
        total += Buffer.byteLength(entry.message ?? '', 'utf8');
        return { id: entry.id as string, error };
      }
    });
    if (total > MAX_MESSAGE_BYTES) {
      throw new AwsApiError(
        'BatchRequestTooLong',
        'The length of all the messages put together is more than the limit.',
      );
    }
    const result: BatchResult = { successful: [], failed: [] };
    for (const { id, message, error } of prepared) {
      if (message !== undefined) result.successful.push({ id, messageId: this.#record(topic, message) });
      else if (error !== undefined) {
        const { code, fault } = error;
        result.failed.push({ id, code, message: error.message, senderFault: fault === 'Sender' });
      }
    }
    return result;
  }

  /** Every message published so far, also those of earlier runs with the same data directory. */
  messages(): SnsOutboxEntry[] {
    return structuredClone(this.#messages);
  }

  #topic(topicArn: string | undefined): string {
    if (topicArn === undefined || !/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w.-]+$/.test(topicArn)) {
      throw invalidParameter('TopicArn');
    }
    if (!this.#topicArns.has(topicArn)) {
      throw new AwsApiError('NotFound', 'Topic does not exist', { status: 404 });
    }
    return topicArn;
  }

  #prepare(input: PublishInput): PreparedMessage {
    validateSubject(input.subject);
    const message = validateMessageBody(input.message);
    const messageAttributes = validateMessageAttributes(input.messageAttributes);
    const size = messageSize(message, messageAttributes);
    if (size > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    return { subject: input.subject, message, messageAttributes, size };
  }

  /** Stores the message and returns its id. */
  #record(topicArn: string, prepared: PreparedMessage): string {
    const entry: SnsOutboxEntry = {
      topicArn,
      ...(prepared.subject === undefined ? {} : { subject: prepared.subject }),
      message: prepared.message,
      messageAttributes: prepared.messageAttributes,
      timestamp: new Date().toISOString(),
      messageId: randomUUID(),
    };
    appendJsonLine(this.#outboxPath, entry);
    this.#messages.push(entry);
    try {
      this.#config.onSnsMessage?.(structuredClone(entry));
    } catch {
      // Showing a message is a courtesy; it must not turn a stored publish into a failed one.
    }
    return entry.messageId;
  }
}

/**
 * SNS over the Query protocol, cut to what is called locally: the handlers' Publish and
 * PublishBatch, and ListTopics. The result is the XML children of `<ActionResult>`.
 * https://docs.aws.amazon.com/sns/latest/api/CommonParameters.html
 */
export function handleSnsAction(sns: SnsService, action: string, params: QueryParams): string[] {
  switch (action) {
    case 'ListTopics':
      return [
        element(
          'Topics',
          sns.topicArns().map((arn) => element('member', [element('TopicArn', arn)])),
        ),
      ];
    case 'Publish': {
      const { messageId } = sns.publish(params.get('TopicArn') ?? params.get('TargetArn'), {
        subject: params.get('Subject'),
        message: params.get('Message'),
        messageAttributes: readMessageAttributes(params, 'MessageAttributes.entry'),
      });
      return [element('MessageId', messageId)];
    }
    case 'PublishBatch':
      return publishBatch(sns, params);
    default:
      throw new AwsApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  }
}

function publishBatch(sns: SnsService, params: QueryParams): string[] {
  const entries = indexedPrefixes(params, 'PublishBatchRequestEntries.member').map((member) => ({
    id: params.get(`${member}.Id`),
    subject: params.get(`${member}.Subject`),
    message: params.get(`${member}.Message`),
    messageAttributes: readMessageAttributes(params, `${member}.MessageAttributes.entry`),
  }));
  const result = sns.publishBatch(params.get('TopicArn'), entries);
  const successful = result.successful.map((entry) =>
    element('member', [element('Id', entry.id), element('MessageId', entry.messageId)]),
  );
  const failed = result.failed.map((entry) =>
    element('member', [
      element('Id', entry.id),
      element('Code', entry.code),
      element('Message', entry.message),
      element('SenderFault', entry.senderFault),
    ]),
  );
  return [element('Successful', successful), element('Failed', failed)];
}
