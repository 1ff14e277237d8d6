import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SnsOutboxEntry } from '../types.ts';
import { AwsApiError } from './errors.ts';
import { appendJsonLine, isRecord, loadJsonLines, readJsonFile, writeFileAtomic } from './files.ts';
import type { RawMessageAttribute } from './query.ts';
import { assertSupportedFilterPolicy, matchesFilterPolicy, snsNotification } from './sns-delivery.ts';
import {
  invalidParameter,
  MAX_MESSAGE_BYTES,
  messageSize,
  type SnsMessageAttribute,
  validateBatchShape,
  validateMessageAttributes,
  validateMessageBody,
  validateSubject,
  validateTopicName,
} from './sns-validation.ts';

export interface SnsTopic {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  tags: { Key: string; Value: string }[];
}

export interface SnsSubscription {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  owner: string;
  attributes: Record<string, string>;
}

export interface PublishInput {
  subject?: string | undefined;
  message?: string | undefined;
  messageStructure?: string | undefined;
  messageAttributes: Record<string, RawMessageAttribute>;
  messageGroupId?: string | undefined;
}

export interface BatchEntryInput extends PublishInput {
  id?: string | undefined;
}

export interface BatchResult {
  successful: { id: string; messageId: string; sequenceNumber?: string }[];
  failed: { id: string; code: string; message: string; senderFault: boolean }[];
}

export interface SnsServiceConfig {
  region: string;
  accountId: string;
  dataDir: string;
  onMessage?: ((entry: SnsOutboxEntry) => void) | undefined;
  /** Delivers to an `sqs` subscription; throws when the queue does not exist. */
  deliverToQueue?:
    | ((queueArn: string, body: string, attributes: Record<string, SnsMessageAttribute>) => void)
    | undefined;
}

const PROTOCOLS = new Set([
  'http',
  'https',
  'email',
  'email-json',
  'sms',
  'sqs',
  'application',
  'lambda',
  'firehose',
]);

/** Attributes SNS computes; SetTopicAttributes cannot change them. */
const READ_ONLY_TOPIC_ATTRIBUTES = new Set([
  'TopicArn',
  'Owner',
  'SubscriptionsConfirmed',
  'SubscriptionsPending',
  'SubscriptionsDeleted',
  'EffectiveDeliveryPolicy',
  'FifoTopic',
]);

const PAGE_SIZE = 100;

/**
 * The local SNS: topics and subscriptions (kept in `sns-state.json`), and every published
 * message (appended to `sns-outbox.jsonl`, the file a developer reads instead of an inbox).
 */
export class SnsService {
  readonly #config: SnsServiceConfig;
  readonly #statePath: string;
  readonly #outboxPath: string;
  readonly #topics = new Map<string, SnsTopic>();
  readonly #subscriptions = new Map<string, SnsSubscription>();
  readonly #messages: SnsOutboxEntry[] = [];
  #sequence = 0n;

  constructor(config: SnsServiceConfig) {
    this.#config = config;
    this.#statePath = join(config.dataDir, 'sns-state.json');
    this.#outboxPath = join(config.dataDir, 'sns-outbox.jsonl');
    this.#load();
  }

  topicArn(name: string): string {
    return `arn:aws:sns:${this.#config.region}:${this.#config.accountId}:${name}`;
  }

  createTopic(
    name: string | undefined,
    attributes: Record<string, string> = {},
    tags: { Key: string; Value: string }[] = [],
  ): SnsTopic {
    const topicName = validateTopicName(name, attributes.FifoTopic === 'true');
    const arn = this.topicArn(topicName);
    const existing = this.#topics.get(arn);
    if (existing !== undefined) {
      // CreateTopic is idempotent, unless asked for different attributes.
      for (const [key, value] of Object.entries(attributes)) {
        if ((existing.attributes[key] ?? defaultTopicAttribute(key)) !== value) {
          throw invalidParameter('Attributes Reason: Topic already exists with different attributes');
        }
      }
      return existing;
    }
    const topic: SnsTopic = { name: topicName, arn, attributes: { ...attributes }, tags: [...tags] };
    this.#topics.set(arn, topic);
    this.#save();
    return topic;
  }

  listTopics(nextToken: string | undefined): { items: SnsTopic[]; nextToken?: string } {
    return page([...this.#topics.values()], nextToken);
  }

  getTopic(topicArn: string | undefined): SnsTopic {
    if (topicArn === undefined || topicArn.length === 0) throw invalidParameter('TopicArn');
    if (!/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w.-]+$/.test(topicArn)) throw invalidParameter('TopicArn');
    const topic = this.#topics.get(topicArn);
    if (topic === undefined) throw new AwsApiError('NotFound', 'Topic does not exist', { status: 404 });
    return topic;
  }

  topicAttributes(topicArn: string | undefined): Record<string, string> {
    const topic = this.getTopic(topicArn);
    const subscriptions = [...this.#subscriptions.values()].filter((s) => s.topicArn === topic.arn);
    return {
      TopicArn: topic.arn,
      Owner: this.#config.accountId,
      DisplayName: '',
      Policy: JSON.stringify(defaultTopicPolicy(topic.arn, this.#config.accountId)),
      SubscriptionsConfirmed: String(subscriptions.length),
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      EffectiveDeliveryPolicy: JSON.stringify(DEFAULT_DELIVERY_POLICY),
      ...topic.attributes,
    };
  }

  setTopicAttribute(topicArn: string | undefined, name: string | undefined, value: string | undefined): void {
    const topic = this.getTopic(topicArn);
    if (name === undefined || name.length === 0 || READ_ONLY_TOPIC_ATTRIBUTES.has(name)) {
      throw invalidParameter('AttributeName');
    }
    topic.attributes[name] = value ?? '';
    this.#save();
  }

  deleteTopic(topicArn: string | undefined): void {
    // Deleting a topic that does not exist is not an error.
    try {
      this.getTopic(topicArn);
    } catch (error) {
      if (error instanceof AwsApiError && error.code === 'NotFound') return;
      throw error;
    }
    this.#topics.delete(topicArn as string);
    for (const [arn, subscription] of this.#subscriptions) {
      if (subscription.topicArn === topicArn) this.#subscriptions.delete(arn);
    }
    this.#save();
  }

  subscribe(
    topicArn: string | undefined,
    protocol: string | undefined,
    endpoint: string | undefined,
    attributes: Record<string, string>,
  ): SnsSubscription {
    const topic = this.getTopic(topicArn);
    if (protocol === undefined || !PROTOCOLS.has(protocol)) throw invalidParameter('Protocol');
    if (endpoint === undefined || endpoint.length === 0) throw invalidParameter('Endpoint');
    if (attributes.FilterPolicyScope === 'MessageBody') {
      throw invalidParameter('FilterPolicyScope: MessageBody is not supported by the local endpoint');
    }
    if (attributes.FilterPolicy !== undefined) assertSupportedFilterPolicy(attributes.FilterPolicy);
    for (const subscription of this.#subscriptions.values()) {
      if (
        subscription.topicArn === topic.arn &&
        subscription.protocol === protocol &&
        subscription.endpoint === endpoint
      ) {
        return subscription;
      }
    }
    // Subscriptions are confirmed at once: there is no inbox or web hook locally to confirm from.
    const subscription: SnsSubscription = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      owner: this.#config.accountId,
      attributes: { ...attributes },
    };
    this.#subscriptions.set(subscription.arn, subscription);
    this.#save();
    return subscription;
  }

  unsubscribe(subscriptionArn: string | undefined): void {
    if (subscriptionArn === undefined || !subscriptionArn.startsWith('arn:')) {
      throw invalidParameter('SubscriptionArn');
    }
    if (this.#subscriptions.delete(subscriptionArn)) this.#save();
  }

  getSubscription(subscriptionArn: string | undefined): SnsSubscription {
    const subscription = subscriptionArn === undefined ? undefined : this.#subscriptions.get(subscriptionArn);
    if (subscription === undefined) {
      throw new AwsApiError('NotFound', 'Subscription does not exist', { status: 404 });
    }
    return subscription;
  }

  listSubscriptions(
    topicArn: string | undefined,
    nextToken: string | undefined,
  ): { items: SnsSubscription[]; nextToken?: string } {
    const all = [...this.#subscriptions.values()];
    if (topicArn === undefined) return page(all, nextToken);
    const topic = this.getTopic(topicArn);
    return page(
      all.filter((subscription) => subscription.topicArn === topic.arn),
      nextToken,
    );
  }

  publish(topicArn: string | undefined, input: PublishInput): { messageId: string; sequenceNumber?: string } {
    const topic = this.getTopic(topicArn);
    const prepared = this.#prepare(topic, input);
    return this.#record(topic, prepared);
  }

  /**
   * PublishBatch: request-level problems (too many entries, bad or duplicate ids, too long
   * altogether, unknown topic) fail the whole call; an invalid entry fails alone.
   */
  publishBatch(topicArn: string | undefined, entries: BatchEntryInput[]): BatchResult {
    const topic = this.getTopic(topicArn);
    validateBatchShape(entries.map((entry) => entry.id));
    let total = 0;
    const prepared = entries.map((entry) => {
      try {
        const message = this.#prepare(topic, entry);
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
    for (const entry of prepared) {
      if (entry.message !== undefined) {
        result.successful.push({ id: entry.id, ...this.#record(topic, entry.message) });
      } else if (entry.error !== undefined) {
        result.failed.push({
          id: entry.id,
          code: entry.error.code,
          message: entry.error.message,
          senderFault: entry.error.fault === 'Sender',
        });
      }
    }
    return result;
  }

  messages(): SnsOutboxEntry[] {
    return this.#messages.map((entry) => structuredClone(entry));
  }

  #prepare(topic: SnsTopic, input: PublishInput): PreparedMessage {
    validateSubject(input.subject);
    const message = validateMessageBody(input.message, input.messageStructure);
    const messageAttributes = validateMessageAttributes(input.messageAttributes);
    const size = messageSize(message, messageAttributes);
    if (size > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    const fifo = topic.attributes.FifoTopic === 'true';
    if (fifo && (input.messageGroupId === undefined || input.messageGroupId.length === 0)) {
      throw invalidParameter('The MessageGroupId parameter is required for FIFO topics');
    }
    return { subject: input.subject, message, messageAttributes, size, fifo };
  }

  #record(topic: SnsTopic, prepared: PreparedMessage): { messageId: string; sequenceNumber?: string } {
    const entry: SnsOutboxEntry = {
      topicArn: topic.arn,
      ...(prepared.subject === undefined ? {} : { subject: prepared.subject }),
      message: prepared.message,
      messageAttributes: prepared.messageAttributes,
      timestamp: new Date().toISOString(),
      messageId: randomUUID(),
    };
    appendJsonLine(this.#outboxPath, entry);
    this.#messages.push(entry);
    this.#deliver(entry);
    try {
      this.#config.onMessage?.(structuredClone(entry));
    } catch {
      // Showing a message is a courtesy; it must not turn a stored publish into a failed one.
    }
    if (!prepared.fifo) return { messageId: entry.messageId };
    this.#sequence += 1n;
    return {
      messageId: entry.messageId,
      sequenceNumber: String(10_000_000_000_000_000_000n + this.#sequence),
    };
  }

  /** Delivers to `sqs` subscriptions whose queue exists locally; other protocols only record. */
  #deliver(entry: SnsOutboxEntry): void {
    const deliver = this.#config.deliverToQueue;
    if (deliver === undefined) return;
    for (const subscription of this.#subscriptions.values()) {
      if (subscription.topicArn !== entry.topicArn || subscription.protocol !== 'sqs') continue;
      const policy = subscription.attributes.FilterPolicy;
      if (policy !== undefined && !matchesFilterPolicy(policy, entry.messageAttributes)) continue;
      const raw = subscription.attributes.RawMessageDelivery === 'true';
      try {
        deliver(
          subscription.endpoint,
          raw ? entry.message : JSON.stringify(snsNotification(entry, subscription.arn)),
          raw ? entry.messageAttributes : {},
        );
      } catch {
        // As on AWS, a subscriber that cannot take the message does not fail the publish.
      }
    }
  }

  #load(): void {
    const state = readJsonFile(this.#statePath);
    if (isRecord(state)) {
      for (const topic of Array.isArray(state.topics) ? state.topics : []) {
        if (isRecord(topic) && typeof topic.arn === 'string')
          this.#topics.set(topic.arn, topic as unknown as SnsTopic);
      }
      for (const subscription of Array.isArray(state.subscriptions) ? state.subscriptions : []) {
        if (isRecord(subscription) && typeof subscription.arn === 'string') {
          this.#subscriptions.set(subscription.arn, subscription as unknown as SnsSubscription);
        }
      }
    }
    for (const record of loadJsonLines(this.#outboxPath)) {
      if (isRecord(record) && typeof record.topicArn === 'string' && typeof record.message === 'string') {
        this.#messages.push(record as unknown as SnsOutboxEntry);
      }
    }
  }

  #save(): void {
    const state = { topics: [...this.#topics.values()], subscriptions: [...this.#subscriptions.values()] };
    writeFileAtomic(this.#statePath, `${JSON.stringify(state, null, 2)}\n`);
  }
}

interface PreparedMessage {
  subject: string | undefined;
  message: string;
  messageAttributes: Record<string, SnsMessageAttribute>;
  size: number;
  fifo: boolean;
}

function page<T>(items: T[], nextToken: string | undefined): { items: T[]; nextToken?: string } {
  const start = nextToken === undefined ? 0 : Number.parseInt(nextToken, 10);
  if (!Number.isSafeInteger(start) || start < 0 || start > items.length) throw invalidParameter('NextToken');
  const end = start + PAGE_SIZE;
  return end < items.length
    ? { items: items.slice(start, end), nextToken: String(end) }
    : { items: items.slice(start) };
}

function defaultTopicAttribute(key: string): string | undefined {
  if (key === 'FifoTopic') return 'false';
  return undefined;
}

function defaultTopicPolicy(topicArn: string, accountId: string): unknown {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['SNS:Publish', 'SNS:Subscribe', 'SNS:GetTopicAttributes'],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  };
}

const DEFAULT_DELIVERY_POLICY = {
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 20,
      maxDelayTarget: 20,
      numRetries: 3,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: 'linear',
    },
    disableSubscriptionOverrides: false,
  },
};
