import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { LocalFunction } from './lambda-runtime.ts';
import type { FunctionEventStream } from './service-config.ts';

/**
 * A DynamoDB stream event-source mapping, with Lambda's semantics
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html):
 * - records of a shard arrive in order, in batches of up to `batchSize`, gathered for up
 *   to `batchWindow` seconds;
 * - with `ReportBatchItemFailures`, only the records from the first reported failure on
 *   are retried; an invalid report fails the whole batch;
 * - a failing batch is bisected when `bisectBatchOnFunctionError` is on (halves do not use
 *   up retries; a single record does), and retried up to `maximumRetryAttempts`;
 * - records that exhaust their retries (or outlive `maximumRecordAgeInSeconds`) go to
 *   the on-failure destination as a batch description, and the shard moves on.
 * Progress is checkpointed per shard in a file, so a restart resumes where it stopped.
 */

/** The last delivered sequence number per function, stream and shard; in a file, if given one. */
export class CheckpointStore {
  private readonly positions: Record<string, string> = {};

  constructor(private readonly file: string | undefined) {
    try {
      if (file) Object.assign(this.positions, JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // No checkpoints yet.
    }
  }

  get(key: string): string | undefined {
    return this.positions[key];
  }

  set(key: string, sequenceNumber: string): void {
    this.positions[key] = sequenceNumber;
    if (this.file) writeFileSync(this.file, JSON.stringify(this.positions, null, 2));
  }
}

export interface StreamConsumerOptions {
  fn: LocalFunction;
  functionArn: string;
  streamArn: string;
  settings: FunctionEventStream['stream'];
  client: DynamoDBStreamsClient;
  region: string;
  checkpoints: CheckpointStore;
  onFailure: (record: StreamFailureRecord) => void;
  log: (line: string) => void;
  pollIntervalMs?: number;
  retryDelayMs?: number;
}

type BatchOutcome = { kind: 'ok' } | { kind: 'partial'; from: number } | { kind: 'error' };

function toBase64Deep(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toBase64Deep);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toBase64Deep(v)]));
  }
  return value;
}

/** A record as the Streams API returns it → the record Lambda puts in the event. */
export function toLambdaStreamRecord(record: _Record, streamArn: string, region: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  // The SDK parses this as a Date; Lambda's event carries epoch seconds.
  const seconds = created instanceof Date ? Math.floor(created.getTime() / 1000) : Number(created ?? 0);
  const dynamodb = toBase64Deep({ ...record.dynamodb }) as Record<string, unknown>;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: { ...dynamodb, ApproximateCreationDateTime: seconds },
    eventSourceARN: streamArn,
  } as DynamoDBRecord;
}

/** The event of one batch, as Lambda's event-source mapping sends it. */
export function streamEvent(batch: _Record[], streamArn: string, region: string): DynamoDBStreamEvent {
  return { Records: batch.map((record) => toLambdaStreamRecord(record, streamArn, region)) };
}

export class StreamConsumer {
  private stopped = false;
  private running: Promise<void> | undefined;
  private shards: Shard[] = [];
  private shardsReadAt = 0;
  private readonly iterators = new Map<string, string>();
  private readonly finished = new Set<string>();
  private emptyCycles = 0;
  private inFlight = false;
  private wake: (() => void) | undefined;
  /** Why the last poll failed, while polls keep failing. */
  problem: string | undefined;

  constructor(private readonly options: StreamConsumerOptions) {}

  private get key(): string {
    return `${this.options.fn.key}|${this.options.streamArn}`;
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /** Resolves once two whole polls in a row found nothing to deliver. */
  async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.emptyCycles = 0;
    while (this.emptyCycles < 2 || this.inFlight) {
      if (Date.now() > deadline)
        throw new Error(`${this.options.fn.key}: stream not caught up in ${timeoutMs} ms`);
      this.wake?.();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async loop(): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 200;
    let failures = 0;
    while (!this.stopped) {
      let delivered = false;
      try {
        delivered = await this.pollOnce();
        if (this.problem) this.options.log(`${this.options.fn.key}: stream polls work again`);
        this.problem = undefined;
        failures = 0;
      } catch (error) {
        const problem = `${this.options.fn.key}: stream poll failed: ${(error as Error).message}`;
        // Said once per outage; meanwhile polls back off to one every 5 s.
        if (!this.problem) this.options.log(problem);
        this.problem = problem;
        failures += 1;
        // Iterators expire; the next pass gets fresh ones from the checkpoints.
        this.iterators.clear();
        this.shardsReadAt = 0;
      }
      this.emptyCycles = delivered ? 0 : this.emptyCycles + 1;
      if (!delivered && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(interval * 2 ** failures, 5000));
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async refreshShards(): Promise<void> {
    if (Date.now() - this.shardsReadAt < 2000 && this.shards.length > 0) return;
    const { client, streamArn } = this.options;
    const shards: Shard[] = [];
    let after: string | undefined;
    // The Streams client has no paginator for DescribeStream.
    do {
      const command = new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: after });
      const { StreamDescription } = await client.send(command);
      shards.push(...(StreamDescription?.Shards ?? []));
      after = StreamDescription?.LastEvaluatedShardId;
    } while (after);
    this.shards = shards;
    this.shardsReadAt = Date.now();
  }

  private async iteratorFor(shard: Shard): Promise<string | undefined> {
    const shardId = shard.ShardId as string;
    const existing = this.iterators.get(shardId);
    if (existing) return existing;
    const checkpoint = this.options.checkpoints.get(`${this.key}|${shardId}`);
    const { ShardIterator } = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shardId,
        ...(checkpoint
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint }
          : { ShardIteratorType: this.options.settings.startingPosition ?? 'TRIM_HORIZON' }),
      }),
    );
    return ShardIterator;
  }

  /** One pass over the open shards, parents before children. True if records were delivered. */
  private async pollOnce(): Promise<boolean> {
    await this.refreshShards();
    const known = new Set(this.shards.map((shard) => shard.ShardId));
    let delivered = false;
    for (const shard of this.shards) {
      const shardId = shard.ShardId as string;
      if (this.finished.has(shardId) || this.stopped) continue;
      if (shard.ParentShardId && known.has(shard.ParentShardId) && !this.finished.has(shard.ParentShardId))
        continue;
      const firstIterator = await this.iteratorFor(shard);
      if (!firstIterator) {
        this.finished.add(shardId);
        continue;
      }
      let iterator: string = firstIterator;
      const batchSize = this.options.settings.batchSize ?? 100;
      const windowEnds = Date.now() + (this.options.settings.batchWindow ?? 0) * 1000;
      const records: _Record[] = [];
      let closed = false;
      for (;;) {
        const response: GetRecordsCommandOutput = await this.options.client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize - records.length }),
        );
        records.push(...(response.Records ?? []));
        if (!response.NextShardIterator) {
          closed = true;
          break;
        }
        iterator = response.NextShardIterator;
        if (records.length >= batchSize || records.length === 0 || Date.now() >= windowEnds) break;
        // Lambda reads a shard four times a second (docs.aws.amazon.com/lambda/latest/dg/with-ddb.html);
        // polling faster only loads DynamoDB Local.
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      if (records.length > 0) {
        this.inFlight = true;
        try {
          await this.deliver(records, shardId);
        } finally {
          this.inFlight = false;
        }
        delivered = true;
      }
      if (closed) {
        this.finished.add(shardId);
        this.iterators.delete(shardId);
      } else {
        this.iterators.set(shardId, iterator);
      }
    }
    return delivered;
  }

  private async deliver(records: _Record[], shardId: string): Promise<void> {
    const settings = this.options.settings;
    const maxRetries = settings.maximumRetryAttempts ?? -1;
    const maxAgeMs = (settings.maximumRecordAgeInSeconds ?? -1) * 1000;
    const queue: { records: _Record[]; retries: number }[] = [{ records, retries: 0 }];
    while (queue.length > 0) {
      const { records: batch, retries } = queue.shift() as (typeof queue)[number];
      if (maxAgeMs > 0) {
        const oldest = batch[0]?.dynamodb?.ApproximateCreationDateTime;
        if (oldest instanceof Date && Date.now() - oldest.getTime() > maxAgeMs) {
          this.giveUp(batch, shardId, 'RecordAgeExceeded', retries + 1);
          continue;
        }
      }
      const outcome = await this.invoke(batch, retries + 1);
      if (outcome.kind === 'ok') continue;
      if (outcome.kind === 'error' && settings.bisectBatchOnFunctionError && batch.length > 1) {
        const middle = Math.ceil(batch.length / 2);
        queue.unshift(
          { records: batch.slice(0, middle), retries },
          { records: batch.slice(middle), retries },
        );
        continue;
      }
      const remaining = outcome.kind === 'partial' ? batch.slice(outcome.from) : batch;
      if (maxRetries >= 0 && retries + 1 > maxRetries) {
        this.giveUp(remaining, shardId, 'RetryAttemptsExhausted', retries + 1);
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, (this.options.retryDelayMs ?? 100) * (retries + 1)));
      queue.unshift({ records: remaining, retries: retries + 1 });
    }
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) this.options.checkpoints.set(`${this.key}|${shardId}`, last);
  }

  private async invoke(batch: _Record[], attempt: number): Promise<BatchOutcome> {
    const { streamArn, region } = this.options;
    const event = streamEvent(batch, streamArn, region);
    let result: unknown;
    try {
      result = await this.options.fn.invoke(event, 'stream', attempt);
    } catch {
      return { kind: 'error' };
    }
    if (this.options.settings.functionResponseType !== 'ReportBatchItemFailures') return { kind: 'ok' };
    const failures = (result as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)
      ?.batchItemFailures;
    if (!Array.isArray(failures) || failures.length === 0) return { kind: 'ok' };
    const indexes = failures.map((failure) =>
      batch.findIndex((record) => record.dynamodb?.SequenceNumber === failure?.itemIdentifier),
    );
    if (indexes.some((index) => index < 0)) {
      this.options.log(
        `${this.options.fn.key}: batchItemFailures names a record not in the batch; the whole batch is retried`,
      );
      return { kind: 'error' };
    }
    return { kind: 'partial', from: Math.min(...indexes) };
  }

  private giveUp(batch: _Record[], shardId: string, condition: FailureCondition, invokeCount: number): void {
    this.options.log(
      `${this.options.fn.key}: ${batch.length} stream record(s) given up (${condition}); sent to the on-failure destination`,
    );
    const { functionArn, streamArn } = this.options;
    this.options.onFailure(failureRecord(batch, { functionArn, streamArn, shardId }, condition, invokeCount));
  }
}

type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** The stream-batch description Lambda sends to an on-failure destination. */
export type StreamFailureRecord = ReturnType<typeof failureRecord>;

function failureRecord(
  batch: _Record[],
  { functionArn, streamArn, shardId }: { functionArn: string; streamArn: string; shardId: string },
  condition: FailureCondition,
  approximateInvokeCount: number,
) {
  const [first, last] = [batch[0]?.dynamodb, batch.at(-1)?.dynamodb];
  const arrival = (value: unknown): string => (value instanceof Date ? value : new Date()).toISOString();
  const functionError = condition === 'RetryAttemptsExhausted' ? 'Unhandled' : '';
  return {
    requestContext: { requestId: randomUUID(), functionArn, condition, approximateInvokeCount },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: first?.SequenceNumber ?? '',
      endSequenceNumber: last?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrival(first?.ApproximateCreationDateTime),
      approximateArrivalOfLastRecord: arrival(last?.ApproximateCreationDateTime),
      batchSize: batch.length,
      streamArn,
    },
  } as const;
}
