import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FailureRecord } from '../types.ts';
import { AwsApiError } from './errors.ts';
import { appendJsonLine, isRecord, loadJsonLines, writeFileAtomic } from './files.ts';
import {
  DEFAULT_QUEUE_ATTRIBUTES,
  invalidParameterValue,
  md5Hex,
  md5OfMessageAttributes,
  optionalInteger,
  optionalString,
  optionalStringList,
  optionalStringMap,
  queueDoesNotExist,
  requiredString,
  type SqsInput,
  type SqsMessageAttribute,
  sqsError,
  sqsMessageSize,
  validateMessageAttributes,
  validateMessageBody,
  validateQueueAttributes,
  validateQueueName,
} from './sqs-validation.ts';

interface StoredMessage {
  id: string;
  body: string;
  attributes: Record<string, SqsMessageAttribute>;
  sentAt: number;
  delaySeconds: number;
  /** Not persisted: after a restart every message is visible again (once its delay is over). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
}

interface Queue {
  name: string;
  attributes: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  /** In send order. */
  messages: Map<string, StoredMessage>;
  file: string;
}

/** One line of `<dataDir>/queues/<name>.jsonl`. */
type QueueRecord =
  | { type: 'create'; attributes: Record<string, string>; at: number }
  | { type: 'attributes'; attributes: Record<string, string>; at: number }
  | {
      type: 'send';
      id: string;
      body: string;
      attributes: Record<string, SqsMessageAttribute>;
      sentAt: number;
      delaySeconds: number;
      receiveCount?: number;
      firstReceiveAt?: number;
    }
  | { type: 'receive'; id: string; at: number }
  | { type: 'delete'; id: string; at: number }
  | { type: 'purge'; at: number };

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
];
const QUEUE_ATTRIBUTE_NAMES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  ...Object.keys(DEFAULT_QUEUE_ATTRIBUTES),
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
];
/** Long polls re-check at least this often, so messages whose visibility timeout ends are seen. */
const POLL_INTERVAL_MS = 100;

export interface SqsServiceConfig {
  region: string;
  accountId: string;
  dataDir: string;
  /** `http://127.0.0.1:<port>`, known once the server listens. */
  baseUrl: () => string;
}

/**
 * The local SQS: standard queues only, each an append-only journal of sends, receives,
 * deletes and purges in `<dataDir>/queues/<name>.jsonl`, replayed (and compacted) at start.
 * Operations take and return the JSON protocol's shapes.
 */
export class SqsService {
  readonly #config: SqsServiceConfig;
  readonly #directory: string;
  readonly #queues = new Map<string, Queue>();
  readonly #waiters = new Set<() => void>();
  #closed = false;

  constructor(config: SqsServiceConfig) {
    this.#config = config;
    this.#directory = join(config.dataDir, 'queues');
    mkdirSync(this.#directory, { recursive: true });
    this.#load();
  }

  queueUrl(name: string): string {
    return `${this.#config.baseUrl()}/${this.#config.accountId}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.#config.region}:${this.#config.accountId}:${name}`;
  }

  /** Ends pending long polls (they answer with no messages). */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  createQueue(input: SqsInput): { QueueUrl: string } {
    const name = requiredString(input, 'QueueName');
    validateQueueName(name);
    const attributes = optionalStringMap(input, 'Attributes');
    validateQueueAttributes(attributes);
    const existing = this.#queues.get(name);
    if (existing !== undefined) {
      for (const [key, value] of Object.entries(attributes)) {
        if ((existing.attributes[key] ?? DEFAULT_QUEUE_ATTRIBUTES[key]) !== value) {
          throw sqsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${key}`,
            'QueueAlreadyExists',
          );
        }
      }
      return { QueueUrl: this.queueUrl(name) };
    }
    const now = Date.now();
    const queue: Queue = {
      name,
      attributes: { ...DEFAULT_QUEUE_ATTRIBUTES, ...attributes },
      createdAt: now,
      modifiedAt: now,
      messages: new Map(),
      file: join(this.#directory, `${name}.jsonl`),
    };
    this.#queues.set(name, queue);
    this.#append(queue, { type: 'create', attributes: queue.attributes, at: now });
    return { QueueUrl: this.queueUrl(name) };
  }

  getQueueUrl(input: SqsInput): { QueueUrl: string } {
    const name = requiredString(input, 'QueueName');
    const owner = optionalString(input, 'QueueOwnerAWSAccountId');
    if ((owner !== undefined && owner !== this.#config.accountId) || !this.#queues.has(name)) {
      throw queueDoesNotExist();
    }
    return { QueueUrl: this.queueUrl(name) };
  }

  listQueues(input: SqsInput): { QueueUrls?: string[]; NextToken?: string } {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const maxResults = optionalInteger(input, 'MaxResults', 1, 1000);
    const names = [...this.#queues.keys()].filter((name) => name.startsWith(prefix)).sort();
    const token = optionalString(input, 'NextToken');
    const start = token === undefined ? 0 : Number.parseInt(token, 10);
    if (!Number.isSafeInteger(start) || start < 0) throw invalidParameterValue('Invalid NextToken value.');
    // Without MaxResults SQS answers with up to 1,000 queues and no token.
    const end = maxResults === undefined ? start + 1000 : start + maxResults;
    const urls = names.slice(start, end).map((name) => this.queueUrl(name));
    const result: { QueueUrls?: string[]; NextToken?: string } = {};
    if (urls.length > 0) result.QueueUrls = urls;
    if (maxResults !== undefined && end < names.length) result.NextToken = String(end);
    return result;
  }

  getQueueAttributes(input: SqsInput): { Attributes?: Record<string, string> } {
    const queue = this.#queueFromUrl(input);
    const requested = optionalStringList(input, 'AttributeNames') ?? [];
    const names = requested.includes('All') ? QUEUE_ATTRIBUTE_NAMES : requested;
    for (const name of names) {
      if (!QUEUE_ATTRIBUTE_NAMES.includes(name))
        throw sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
    const now = Date.now();
    const messages = [...queue.messages.values()];
    const computed: Record<string, string> = {
      QueueArn: this.queueArn(queue.name),
      ApproximateNumberOfMessages: String(messages.filter((m) => m.visibleAt <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(
        messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length,
      ),
      ApproximateNumberOfMessagesDelayed: String(
        messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length,
      ),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
      ...queue.attributes,
    };
    const attributes: Record<string, string> = {};
    for (const name of names) {
      const value = computed[name];
      if (value !== undefined) attributes[name] = value;
    }
    return Object.keys(attributes).length === 0 ? {} : { Attributes: attributes };
  }

  setQueueAttributes(input: SqsInput): Record<string, never> {
    const queue = this.#queueFromUrl(input);
    const attributes = optionalStringMap(input, 'Attributes');
    validateQueueAttributes(attributes);
    Object.assign(queue.attributes, attributes);
    queue.modifiedAt = Date.now();
    this.#append(queue, { type: 'attributes', attributes, at: queue.modifiedAt });
    return {};
  }

  deleteQueue(input: SqsInput): Record<string, never> {
    const queue = this.#queueFromUrl(input);
    this.#queues.delete(queue.name);
    rmSync(queue.file, { force: true });
    this.#wake();
    return {};
  }

  purgeQueue(input: SqsInput): Record<string, never> {
    const queue = this.#queueFromUrl(input);
    queue.messages.clear();
    this.#append(queue, { type: 'purge', at: Date.now() });
    return {};
  }

  sendMessage(input: SqsInput): {
    MessageId: string;
    MD5OfMessageBody: string;
    MD5OfMessageAttributes?: string;
  } {
    return this.#send(this.#queueFromUrl(input), input);
  }

  sendMessageBatch(input: SqsInput): BatchOutput<{
    Id: string;
    MessageId: string;
    MD5OfMessageBody: string;
    MD5OfMessageAttributes?: string;
  }> {
    const queue = this.#queueFromUrl(input);
    const entries = batchEntries(input);
    const total = entries.reduce(
      (sum, entry) =>
        sum + Buffer.byteLength(typeof entry.MessageBody === 'string' ? entry.MessageBody : '', 'utf8'),
      0,
    );
    if (total > Number(queue.attributes.MaximumMessageSize)) {
      throw sqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${queue.attributes.MaximumMessageSize} bytes.`,
        'AWS.SimpleQueueService.BatchRequestTooLong',
      );
    }
    return runBatch(entries, (entry) => this.#send(queue, entry));
  }

  /** For the local Lambda runtime's on-failure destinations. */
  sendToQueue(name: string, body: string): void {
    const queue = this.#queues.get(name);
    if (queue === undefined) throw queueDoesNotExist();
    this.#send(queue, { MessageBody: body });
  }

  /** For SNS `sqs` subscriptions, which name their queue by ARN. */
  sendToQueueArn(arn: string, body: string, attributes: Record<string, SqsMessageAttribute>): void {
    const name = arn.startsWith(this.queueArn('')) ? arn.slice(this.queueArn('').length) : undefined;
    const queue = name === undefined ? undefined : this.#queues.get(name);
    if (queue === undefined) throw queueDoesNotExist();
    this.#send(queue, { MessageBody: body, MessageAttributes: attributes });
  }

  async receiveMessage(input: SqsInput, signal: AbortSignal): Promise<{ Messages?: ReceivedMessage[] }> {
    let queue = this.#queueFromUrl(input);
    const max = optionalInteger(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibility =
      optionalInteger(input, 'VisibilityTimeout', 0, 43_200) ?? Number(queue.attributes.VisibilityTimeout);
    const wait =
      optionalInteger(input, 'WaitTimeSeconds', 0, 20) ??
      Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
    const systemNames = [
      ...(optionalStringList(input, 'AttributeNames') ?? []),
      ...(optionalStringList(input, 'MessageSystemAttributeNames') ?? []),
    ];
    const attributeNames = optionalStringList(input, 'MessageAttributeNames') ?? [];
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const taken = this.#take(queue, max, visibility);
      if (taken.length > 0) {
        return { Messages: taken.map((message) => this.#received(message, systemNames, attributeNames)) };
      }
      if (this.#closed || signal.aborted || Date.now() >= deadline) return {};
      await this.#waitForChange(Math.min(POLL_INTERVAL_MS, deadline - Date.now()), signal);
      const current = this.#queues.get(queue.name);
      if (current === undefined) return {};
      queue = current;
    }
  }

  deleteMessage(input: SqsInput): Record<string, never> {
    const queue = this.#queueFromUrl(input);
    this.#delete(queue, requiredString(input, 'ReceiptHandle'));
    return {};
  }

  deleteMessageBatch(input: SqsInput): BatchOutput<{ Id: string }> {
    const queue = this.#queueFromUrl(input);
    return runBatch(batchEntries(input), (entry) => {
      this.#delete(queue, requiredString(entry, 'ReceiptHandle'));
      return {};
    });
  }

  changeMessageVisibility(input: SqsInput): Record<string, never> {
    const queue = this.#queueFromUrl(input);
    const handle = requiredString(input, 'ReceiptHandle');
    const timeout = optionalInteger(input, 'VisibilityTimeout', 0, 43_200);
    if (timeout === undefined)
      throw sqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
    const message = queue.messages.get(decodeReceiptHandle(handle, queue.name));
    if (message === undefined || message.visibleAt <= Date.now()) {
      throw sqsError(
        'MessageNotInflight',
        'The message referred to is not in flight.',
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    }
    message.visibleAt = Date.now() + timeout * 1000;
    if (timeout === 0) this.#wake();
    return {};
  }

  /** Every message sent to the queue and not yet deleted or purged, oldest first. */
  queueMessages(name: string): FailureRecord[] {
    const queue = this.#queues.get(name);
    if (queue === undefined) return [];
    return [...queue.messages.values()].map((message) => ({
      queueName: name,
      body: parseIfJson(message.body),
      at: new Date(message.sentAt).toISOString(),
    }));
  }

  queueNames(): string[] {
    return [...this.#queues.keys()];
  }

  #queueFromUrl(input: SqsInput): Queue {
    const url = requiredString(input, 'QueueUrl');
    // Any host is accepted (localhost, 127.0.0.1, an AWS-style host): the path names the queue.
    const match = /^(?:[a-z]+:\/\/[^/]+)?\/(\d{12})\/([^/?#]+)\/?$/.exec(url);
    const queue = match?.[1] === this.#config.accountId ? this.#queues.get(match[2] ?? '') : undefined;
    if (queue === undefined) throw queueDoesNotExist();
    return queue;
  }

  #send(
    queue: Queue,
    input: SqsInput,
  ): { MessageId: string; MD5OfMessageBody: string; MD5OfMessageAttributes?: string } {
    const body = optionalString(input, 'MessageBody');
    if (body === undefined || body.length === 0)
      throw sqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    validateMessageBody(body);
    const attributes = validateMessageAttributes(input.MessageAttributes);
    const limit = Number(queue.attributes.MaximumMessageSize);
    if (sqsMessageSize(body, attributes) > limit) {
      throw invalidParameterValue(
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
      );
    }
    const delaySeconds =
      optionalInteger(input, 'DelaySeconds', 0, 900) ?? Number(queue.attributes.DelaySeconds);
    const sentAt = Date.now();
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      attributes,
      sentAt,
      delaySeconds,
      visibleAt: sentAt + delaySeconds * 1000,
      receiveCount: 0,
    };
    this.#append(queue, { type: 'send', id: message.id, body, attributes, sentAt, delaySeconds });
    queue.messages.set(message.id, message);
    this.#wake();
    const md5OfAttributes = md5OfMessageAttributes(attributes);
    return {
      MessageId: message.id,
      MD5OfMessageBody: md5Hex(body),
      ...(md5OfAttributes === undefined ? {} : { MD5OfMessageAttributes: md5OfAttributes }),
    };
  }

  #take(queue: Queue, max: number, visibilitySeconds: number): { message: StoredMessage; handle: string }[] {
    const now = Date.now();
    const taken: { message: StoredMessage; handle: string }[] = [];
    for (const message of queue.messages.values()) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      message.visibleAt = now + visibilitySeconds * 1000;
      message.receiveCount += 1;
      message.firstReceiveAt ??= now;
      this.#append(queue, { type: 'receive', id: message.id, at: now });
      taken.push({ message, handle: encodeReceiptHandle(queue.name, message.id) });
    }
    return taken;
  }

  #received(
    { message, handle }: { message: StoredMessage; handle: string },
    systemNames: string[],
    attributeNames: string[],
  ): ReceivedMessage {
    const system: Record<string, string> = {
      SenderId: this.#config.accountId,
      SentTimestamp: String(message.sentAt),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
    };
    const wantedSystem = systemNames.includes('All') ? SYSTEM_ATTRIBUTES : systemNames;
    const attributes = Object.fromEntries(
      wantedSystem.flatMap((name) => (system[name] === undefined ? [] : [[name, system[name]]])),
    );
    const messageAttributes = Object.fromEntries(
      Object.entries(message.attributes).filter(([name]) => wantsAttribute(attributeNames, name)),
    );
    const md5OfAttributes = md5OfMessageAttributes(messageAttributes);
    return {
      MessageId: message.id,
      ReceiptHandle: handle,
      MD5OfBody: md5Hex(message.body),
      Body: message.body,
      ...(Object.keys(attributes).length === 0 ? {} : { Attributes: attributes }),
      ...(md5OfAttributes === undefined
        ? {}
        : { MD5OfMessageAttributes: md5OfAttributes, MessageAttributes: messageAttributes }),
    };
  }

  #delete(queue: Queue, handle: string): void {
    const id = decodeReceiptHandle(handle, queue.name);
    // Deleting a message that is already gone succeeds, as on SQS.
    if (queue.messages.delete(id)) this.#append(queue, { type: 'delete', id, at: Date.now() });
  }

  #append(queue: Queue, record: QueueRecord): void {
    appendJsonLine(queue.file, record);
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }

  #waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(ms, 0));
      this.#waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }

  #load(): void {
    for (const file of readdirSync(this.#directory)) {
      if (!file.endsWith('.jsonl')) continue;
      const name = file.slice(0, -'.jsonl'.length);
      const path = join(this.#directory, file);
      const queue = replay(name, path, loadJsonLines(path));
      if (queue === undefined) continue;
      this.#queues.set(name, queue);
      compact(queue);
    }
  }
}

export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, SqsMessageAttribute>;
}

export interface BatchOutput<T> {
  Successful: T[];
  Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[];
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;

function batchEntries(input: SqsInput): SqsInput[] {
  const entries = input.Entries;
  if (entries === undefined || entries === null || (Array.isArray(entries) && entries.length === 0)) {
    throw sqsError(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
      'AWS.SimpleQueueService.EmptyBatchRequest',
    );
  }
  if (!Array.isArray(entries) || !entries.every(isRecord)) {
    throw new AwsApiError('SerializationException', 'Entries must be a list of structures.');
  }
  if (entries.length > 10) {
    throw sqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    );
  }
  const ids = entries.map((entry) => entry.Id);
  for (const id of ids) {
    if (typeof id !== 'string' || !BATCH_ID.test(id)) {
      throw sqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        'AWS.SimpleQueueService.InvalidBatchEntryId',
      );
    }
  }
  if (new Set(ids).size !== ids.length) {
    throw sqsError(
      'BatchEntryIdsNotDistinct',
      'Two or more batch entries in the request have the same Id.',
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    );
  }
  return entries;
}

function runBatch<T extends object>(
  entries: SqsInput[],
  run: (entry: SqsInput) => T,
): BatchOutput<T & { Id: string }> {
  const output: BatchOutput<T & { Id: string }> = { Successful: [], Failed: [] };
  for (const entry of entries) {
    const id = entry.Id as string;
    try {
      output.Successful.push({ Id: id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof AwsApiError)) throw error;
      output.Failed.push({
        Id: id,
        SenderFault: error.fault === 'Sender',
        Code: error.queryCode ?? error.code,
        Message: error.message,
      });
    }
  }
  return output;
}

function wantsAttribute(requested: string[], name: string): boolean {
  return requested.some(
    (pattern) =>
      pattern === 'All' ||
      pattern === '.*' ||
      pattern === name ||
      (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
  );
}

/** Receipt handles name the queue and message; any well-formed handle of a stored message deletes it. */
function encodeReceiptHandle(queueName: string, messageId: string): string {
  return Buffer.from(JSON.stringify({ q: queueName, m: messageId, n: randomUUID() })).toString('base64url');
}

function decodeReceiptHandle(handle: string, queueName: string): string {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8'));
    if (isRecord(decoded) && decoded.q === queueName && typeof decoded.m === 'string') return decoded.m;
  } catch {
    // Reported below.
  }
  throw sqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );
}

function parseIfJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function replay(name: string, path: string, records: unknown[]): Queue | undefined {
  let queue: Queue | undefined;
  for (const record of records as QueueRecord[]) {
    if (!isRecord(record)) continue;
    if (record.type === 'create') {
      queue = {
        name,
        attributes: { ...DEFAULT_QUEUE_ATTRIBUTES, ...record.attributes },
        createdAt: record.at,
        modifiedAt: record.at,
        messages: new Map(),
        file: path,
      };
      continue;
    }
    if (queue === undefined) continue;
    switch (record.type) {
      case 'attributes':
        Object.assign(queue.attributes, record.attributes);
        queue.modifiedAt = record.at;
        break;
      case 'send':
        queue.messages.set(record.id, {
          id: record.id,
          body: record.body,
          attributes: record.attributes ?? {},
          sentAt: record.sentAt,
          delaySeconds: record.delaySeconds ?? 0,
          visibleAt: record.sentAt + (record.delaySeconds ?? 0) * 1000,
          receiveCount: record.receiveCount ?? 0,
          ...(record.firstReceiveAt === undefined ? {} : { firstReceiveAt: record.firstReceiveAt }),
        });
        break;
      case 'receive': {
        const message = queue.messages.get(record.id);
        if (message !== undefined) {
          message.receiveCount += 1;
          message.firstReceiveAt ??= record.at;
        }
        break;
      }
      case 'delete':
        queue.messages.delete(record.id);
        break;
      case 'purge':
        queue.messages.clear();
        break;
    }
  }
  return queue;
}

/** Rewrites a journal as its current state, so deleted messages do not pile up across restarts. */
function compact(queue: Queue): void {
  if (!existsSync(queue.file)) return;
  const lines: QueueRecord[] = [{ type: 'create', attributes: queue.attributes, at: queue.createdAt }];
  if (queue.modifiedAt !== queue.createdAt)
    lines.push({ type: 'attributes', attributes: {}, at: queue.modifiedAt });
  for (const message of queue.messages.values()) {
    lines.push({
      type: 'send',
      id: message.id,
      body: message.body,
      attributes: message.attributes,
      sentAt: message.sentAt,
      delaySeconds: message.delaySeconds,
      receiveCount: message.receiveCount,
      ...(message.firstReceiveAt === undefined ? {} : { firstReceiveAt: message.firstReceiveAt }),
    });
  }
  writeFileAtomic(queue.file, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
}
