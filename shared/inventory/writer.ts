import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { InventoryWriteError } from './errors.ts';
import type { ImportSource } from './report.ts';
import type { InventoryRow } from './rows.ts';
import { type ImportStamp, importStamp, inventoryPutRequest } from './table.ts';

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

/** A key's put request in the batch being filled, and how many file rows it stands for. */
interface PendingPut {
  request: WriteRequest;
  rows: number;
}

/** A batch on its way to the table: its keys (for ordering), and its completion. */
interface InFlightBatch {
  keys: ReadonlyMap<string, PendingPut>;
  done: Promise<void>;
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
 * `concurrency` requests in flight, `put` making its caller wait when they are all busy
 * (backpressure: the parser reads no faster than the table takes rows).
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
 *
 * Memory: what a row costs here lives only as long as its batch — the put request built
 * when the row arrives, and its key in the batch's own map. Nothing per row is kept in a
 * structure that outlives the batch: a long-lived map of every in-flight key (one insert
 * and one delete per row) had V8 rebuild its table, directly in the old generation, every
 * few hundred rows, and that garbage is only reclaimed by a full collection. Ordering looks
 * a key up in the (at most `concurrency`) in-flight batches instead.
 */
export class InventoryWriter {
  readonly #options: Required<Omit<InventoryWriterOptions, 'onRetry'>> &
    Pick<InventoryWriterOptions, 'onRetry'>;
  readonly #stamp: ImportStamp;
  #pending = new Map<string, PendingPut>();
  readonly #inFlight = new Set<InFlightBatch>();
  /** Callers waiting for a free request slot (at most one when `put` is awaited). */
  readonly #slotWaiters: (() => void)[] = [];
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
    this.#stamp = importStamp(options.source, options.updatedAt);
  }

  /** Rows whose batch is confirmed written (a row replaced inside its batch counts too). */
  get rowsWritten(): number {
    return this.#rowsWritten;
  }

  /** BatchWriteItem calls made, retries included. */
  get requests(): number {
    return this.#requests;
  }

  /** BatchWriteItem requests currently in flight (never more than `concurrency`). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Adds a row to the batch being filled. Returns a promise only when the caller must wait
   * (a full batch is waiting for a request slot, or for an earlier batch holding one of
   * its keys), or when a write has failed for good (rejected); otherwise `undefined`, so
   * the common case allocates no promise per row.
   */
  put(row: InventoryRow): Promise<void> | undefined {
    if (this.#fatal) return Promise.reject(this.#fatal);
    const key = keyOf(row);
    const earlier = this.#pending.get(key);
    this.#pending.set(key, {
      request: inventoryPutRequest(row, this.#stamp),
      rows: (earlier?.rows ?? 0) + 1,
    });
    if (this.#pending.size < MAX_BATCH_ITEMS) return undefined;
    const batch = this.#pending;
    this.#pending = new Map();
    return this.#dispatch(batch);
  }

  /** Sends what is pending and waits for every write; throws if any failed for good. */
  async flush(): Promise<void> {
    if (!this.#fatal && this.#pending.size > 0) {
      const batch = this.#pending;
      this.#pending = new Map();
      await this.#dispatch(batch);
    }
    await this.drain();
    if (this.#fatal) throw this.#fatal;
  }

  /** Waits for in-flight writes without sending what is pending (used when stopping). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(Array.from(this.#inFlight, (batch) => batch.done));
  }

  /** Sends the batch now if it can go, else returns a promise that sends it when it can. */
  #dispatch(batch: Map<string, PendingPut>): Promise<void> | undefined {
    const conflicts = this.#conflictsWith(batch);
    if (conflicts.length === 0 && this.#inFlight.size < this.#options.concurrency) {
      this.#send(batch);
      return undefined;
    }
    return this.#dispatchWhenFree(batch, conflicts);
  }

  async #dispatchWhenFree(batch: Map<string, PendingPut>, conflicts: Promise<void>[]): Promise<void> {
    if (conflicts.length > 0) await Promise.all(conflicts);
    while (this.#inFlight.size >= this.#options.concurrency) {
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    }
    if (this.#fatal) throw this.#fatal;
    this.#send(batch);
  }

  /** In-flight batches that hold one of the batch's keys (it must wait for them). */
  #conflictsWith(batch: ReadonlyMap<string, PendingPut>): Promise<void>[] {
    const conflicts: Promise<void>[] = [];
    for (const writing of this.#inFlight) {
      for (const key of batch.keys()) {
        if (writing.keys.has(key)) {
          conflicts.push(writing.done);
          break;
        }
      }
    }
    return conflicts;
  }

  #send(batch: Map<string, PendingPut>): void {
    let rows = 0;
    const requests: WriteRequest[] = [];
    for (const pending of batch.values()) {
      rows += pending.rows;
      requests.push(pending.request);
    }
    // The promise never rejects: a failure is kept in #fatal for the next put/flush.
    const inFlight: InFlightBatch = {
      keys: batch,
      done: this.#writeWithRetries(requests).then(
        () => {
          this.#rowsWritten += rows;
          this.#finished(inFlight);
        },
        (error: unknown) => {
          // Items a response confirmed before the batch failed for good are in the table.
          if (error instanceof InventoryWriteError) this.#rowsWritten += error.confirmedItems;
          this.#fatal ??=
            error instanceof InventoryWriteError
              ? error
              : new InventoryWriteError('BatchWriteItem failed', { cause: error });
          this.#finished(inFlight);
        },
      ),
    };
    this.#inFlight.add(inFlight);
  }

  #finished(batch: InFlightBatch): void {
    this.#inFlight.delete(batch);
    this.#slotWaiters.shift()?.();
  }

  async #writeWithRetries(requests: WriteRequest[]): Promise<void> {
    const { client, tableName, maxAttempts } = this.#options;
    let unprocessed = requests;
    const failed = (message: string, cause: unknown) =>
      Object.assign(new InventoryWriteError(message, { cause }), {
        confirmedItems: requests.length - unprocessed.length,
      });
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
        if (!isRetryableWriteError(caught))
          throw failed(`BatchWriteItem failed: ${describe(caught)}`, caught);
        error = caught;
      }
      if (attempt >= maxAttempts) {
        throw failed(
          error === undefined
            ? `${unprocessed.length} items still unprocessed after ${attempt} attempts`
            : `BatchWriteItem still failing after ${attempt} attempts: ${describe(error)}`,
          error,
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
}

/** A map key that cannot confuse ("ab", "c") with ("a", "bc"). */
function keyOf(row: InventoryRow): string {
  return `${row.store.length}:${row.store}${row.item}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
