import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { InventoryWriteError } from './errors.ts';
import type { ImportSource } from './report.ts';
import type { InventoryRow } from './rows.ts';

/**
 * BatchWriteItem takes at most 25 put requests, and rejects a request that names the same
 * key twice. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
 */
export const MAX_BATCH_ITEMS = 25;

export interface InventoryWriterOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Written on every item, so the dashboard and alerts know where a count came from. */
  source: ImportSource;
  /** ISO time written as `updatedAt` (the upload's time: a re-run writes identical items). */
  updatedAt: string;
  concurrency: number;
  maxAttempts: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (retry: { attempt: number; delayMs: number; unprocessed: number; error?: unknown }) => void;
}

interface PendingRow {
  row: InventoryRow;
  rows: number;
}

/**
 * Error names DynamoDB returns for a request worth repeating (after a pause).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.MessagesAndCodes
 */
const RETRYABLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

export function isRetryableWriteError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (RETRYABLE_ERRORS.has(error.name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes rows to the inventory table with BatchWriteItem: 25 distinct keys per request,
 * `concurrency` requests in flight, `put` waiting when they are all busy (backpressure:
 * the parser reads no faster than the table takes rows).
 *
 * Order: within a file the last row for a store+item wins. Inside one batch the later row
 * replaces the earlier before sending. Across batches, a batch holding a key that is still
 * being written by an earlier batch (including its retries) waits for that batch to
 * finish, so the later row is always written last.
 *
 * Retries: throttling, 5xx and network errors, and `UnprocessedItems`, are retried with
 * exponential backoff and full jitter, up to `maxAttempts` per batch.
 * https://docs.aws.amazon.com/general/latest/gr/api-retries.html
 * Anything else (ValidationException, AccessDeniedException, ResourceNotFoundException…) or
 * exhausted retries is fatal: the next `put`/`flush` throws an InventoryWriteError.
 */
export class InventoryWriter {
  readonly #options: Required<Omit<InventoryWriterOptions, 'onRetry'>> &
    Pick<InventoryWriterOptions, 'onRetry'>;
  readonly #sourceAttribute: AttributeValue;
  #pending = new Map<string, PendingRow>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #inFlightByKey = new Map<string, Promise<void>>();
  #fatal: InventoryWriteError | undefined;
  #rowsWritten = 0;
  #requests = 0;

  constructor(options: InventoryWriterOptions) {
    this.#options = {
      baseDelayMs: 50,
      maxDelayMs: 5000,
      sleep: defaultSleep,
      random: Math.random,
      ...options,
    };
    const { bucket, key, etag, versionId } = options.source;
    this.#sourceAttribute = {
      M: {
        bucket: { S: bucket },
        key: { S: key },
        etag: { S: etag },
        ...(versionId === undefined ? {} : { versionId: { S: versionId } }),
      },
    };
  }

  /** Rows whose batch is confirmed written (a row replaced inside its batch counts too). */
  get rowsWritten(): number {
    return this.#rowsWritten;
  }

  /** BatchWriteItem calls made, retries included. */
  get requests(): number {
    return this.#requests;
  }

  async put(row: InventoryRow): Promise<void> {
    if (this.#fatal) throw this.#fatal;
    const key = keyOf(row);
    const earlier = this.#pending.get(key);
    this.#pending.set(key, { row, rows: (earlier?.rows ?? 0) + 1 });
    if (this.#pending.size >= MAX_BATCH_ITEMS) await this.#dispatch();
  }

  /** Sends what is pending and waits for every write; throws if any failed for good. */
  async flush(): Promise<void> {
    if (!this.#fatal && this.#pending.size > 0) await this.#dispatch();
    await this.drain();
    if (this.#fatal) throw this.#fatal;
  }

  /** Waits for in-flight writes without sending what is pending (used when stopping). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #dispatch(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    const conflicts = new Set<Promise<void>>();
    for (const key of batch.keys()) {
      const writing = this.#inFlightByKey.get(key);
      if (writing) conflicts.add(writing);
    }
    if (conflicts.size > 0) await Promise.all(conflicts);
    while (this.#inFlight.size >= this.#options.concurrency) await Promise.race(this.#inFlight);
    if (this.#fatal) throw this.#fatal;

    let rows = 0;
    const requests: WriteRequest[] = [];
    for (const pending of batch.values()) {
      rows += pending.rows;
      requests.push({ PutRequest: { Item: this.#itemFor(pending.row) } });
    }
    // The promise never rejects: a failure is kept in #fatal for the next put/flush.
    const writing: Promise<void> = this.#writeWithRetries(requests).then(
      () => {
        this.#rowsWritten += rows;
      },
      (error: unknown) => {
        this.#fatal ??=
          error instanceof InventoryWriteError
            ? error
            : new InventoryWriteError('BatchWriteItem failed', { cause: error });
      },
    );
    const tracked = writing.finally(() => {
      this.#inFlight.delete(tracked);
      for (const key of batch.keys()) {
        if (this.#inFlightByKey.get(key) === tracked) this.#inFlightByKey.delete(key);
      }
    });
    this.#inFlight.add(tracked);
    for (const key of batch.keys()) this.#inFlightByKey.set(key, tracked);
  }

  async #writeWithRetries(requests: WriteRequest[]): Promise<void> {
    const { client, tableName, maxAttempts } = this.#options;
    let unprocessed = requests;
    for (let attempt = 1; ; attempt += 1) {
      let error: unknown;
      try {
        this.#requests += 1;
        const output = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: unprocessed } }),
        );
        const left = output.UnprocessedItems?.[tableName] ?? [];
        if (left.length === 0) return;
        unprocessed = left;
      } catch (caught) {
        if (!isRetryableWriteError(caught)) {
          throw new InventoryWriteError(`BatchWriteItem failed: ${describe(caught)}`, { cause: caught });
        }
        error = caught;
      }
      if (attempt >= maxAttempts) {
        throw new InventoryWriteError(
          error === undefined
            ? `${unprocessed.length} items still unprocessed after ${attempt} attempts`
            : `BatchWriteItem still failing after ${attempt} attempts: ${describe(error)}`,
          { cause: error },
        );
      }
      const delayMs = this.#backoff(attempt);
      this.#options.onRetry?.({ attempt, delayMs, unprocessed: unprocessed.length, error });
      await this.#options.sleep(delayMs);
    }
  }

  /** Full jitter: a random pause between 0 and base·2^(attempt−1), capped. */
  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.#options.random() * ceiling);
  }

  #itemFor(row: InventoryRow): Record<string, AttributeValue> {
    return {
      store: { S: row.store },
      item: { S: row.item },
      count: { N: String(row.count) },
      updatedAt: { S: this.#options.updatedAt },
      source: this.#sourceAttribute,
    };
  }
}

/** A map key that cannot confuse ("ab", "c") with ("a", "bc"). */
function keyOf(row: InventoryRow): string {
  return `${row.store.length}:${row.store}${row.item}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
