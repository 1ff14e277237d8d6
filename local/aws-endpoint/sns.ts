import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { appendJsonLine, isRecord, loadJsonLines } from '../json-lines.ts';
import type { SnsOutboxEntry } from '../types.ts';
import { AwsApiError } from './errors.ts';
import { element, type QueryParams, readMessageAttributes } from './query.ts';
import {
  invalidParameter,
  MAX_MESSAGE_BYTES,
  messageSize,
  validateMessageAttributes,
  validateMessageBody,
  validateSubject,
} from './sns-validation.ts';

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

export interface SnsServiceConfig {
  region: string;
  accountId: string;
  dataDir: string;
  onSnsMessage?: ((entry: SnsOutboxEntry) => void) | undefined;
}

/** A message checked and ready to store: the outbox entry but for its id and time. */
type Checked = Omit<SnsOutboxEntry, 'timestamp' | 'messageId'> & { size: number };

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

  /** Every message published so far, also those of earlier runs with the same data directory. */
  messages(): SnsOutboxEntry[] {
    return structuredClone(this.#messages);
  }

  /** Publish: returns the message id. */
  publish(topicArn: string | undefined, params: QueryParams, prefix = ''): string {
    return this.#store(this.#check(this.#topic(topicArn), params, prefix));
  }

  #topic(topicArn: string | undefined): string {
    if (topicArn === undefined || !/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w.-]+$/.test(topicArn)) {
      throw invalidParameter('TopicArn');
    }
    if (!this.#topicArns.has(topicArn))
      throw new AwsApiError('NotFound', 'Topic does not exist', { status: 404 });
    return topicArn;
  }

  /** The message at `prefix` (`Message`, `Subject`, `MessageAttributes.entry.N`), checked. */
  #check(topicArn: string, params: QueryParams, prefix: string): Checked {
    const subject = params.get(`${prefix}Subject`);
    validateSubject(subject);
    const message = validateMessageBody(params.get(`${prefix}Message`));
    const attributes = readMessageAttributes(params, `${prefix}MessageAttributes.entry`);
    const messageAttributes = validateMessageAttributes(attributes);
    const size = messageSize(message, messageAttributes);
    if (size > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    return { topicArn, ...(subject === undefined ? {} : { subject }), message, messageAttributes, size };
  }

  /** Stores the message and returns its id. */
  #store({ size: _size, ...checked }: Checked): string {
    const entry: SnsOutboxEntry = {
      ...checked,
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
 * SNS over the Query protocol, cut to what is called locally: the handlers' Publish, and
 * ListTopics. The result is the XML children of `<ActionResult>`.
 * https://docs.aws.amazon.com/sns/latest/api/CommonParameters.html
 */
export function handleSnsAction(sns: SnsService, action: string, params: QueryParams): string[] {
  switch (action) {
    case 'ListTopics': {
      const members = sns.topicArns().map((arn) => element('member', [element('TopicArn', arn)]));
      return [element('Topics', members)];
    }
    case 'Publish':
      return [element('MessageId', sns.publish(params.get('TopicArn') ?? params.get('TargetArn'), params))];
    default:
      throw new AwsApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  }
}
