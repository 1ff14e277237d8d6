import { createHash } from 'node:crypto';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { isRetryableWriteError, MAX_BATCH_ITEMS } from '#shared/inventory/writer.ts';
import type { StockTransition } from '#shared/stock/transitions.ts';

/**
 * The stock history table, owned here: one item per stream record that changed an item's
 * count, kept by the stockAlerts function (history.ts) and read by the dashboard (an item's chart, the
 * alerts feed). Nothing else in Stockroom spells an attribute of this table.
 *
 *   itemKey (partition) · sequence (sort) · store · item · count | removed · previousCount ·
 *   changedAt · expiresAt (TTL) · transition · transitionMonth · transitionStore · transitionAt
 *
 * The key is the record's own: a redelivered record writes the same item again (idempotent),
 * and the order records arrive in does not matter. Transitions (out of stock, back in stock)
 * also carry the keys of two sparse indexes, so that the alerts feed reads only them.
 */
export const HISTORY_ATTRIBUTES = {
  itemKey: 'itemKey',
  sequence: 'sequence',
  store: 'store',
  item: 'item',
  count: 'count',
  previousCount: 'previousCount',
  removed: 'removed',
  changedAt: 'changedAt',
  expiresAt: 'expiresAt',
  transition: 'transition',
  transitionMonth: 'transitionMonth',
  transitionStore: 'transitionStore',
  transitionAt: 'transitionAt',
} as const;

/** Every transition of a month (`YYYY-MM`), by `transitionAt`. */
export const TRANSITIONS_BY_MONTH = 'transitions-by-month';
/** Every transition of a store, by `transitionAt`. */
export const TRANSITIONS_BY_STORE = 'transitions-by-store';

export interface StockChange {
  store: string;
  item: string;
  /** The stream record's sequence number, 40 digits (see paddedSequence). */
  sequence: string;
  /** ISO 8601: when the change was made (the record's ApproximateCreationDateTime). */
  changedAt: string;
  /** Absent: the item was removed. */
  count?: number;
  /** Absent: the first write of the item. */
  previousCount?: number;
  transition?: StockTransition;
}

/** A `before` cursor that is not one queryRecentTransitions gave out: the caller's 400. */
export class InvalidTransitionCursorError extends Error {
  override name = 'InvalidTransitionCursorError';
}

/**
 * The partition key of an item's history: base64url SHA-256 of `[store, item]` as JSON.
 * A store name may be 2,048 bytes and an item name 1,024 (the Inventory table's key
 * limits), too long together for a partition key (2,048 bytes); JSON keeps ("ab", "c")
 * apart from ("a", "bc").
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys
 */
export function itemKeyOf(store: string, item: string): string {
  return createHash('sha256')
    .update(JSON.stringify([store, item]))
    .digest('base64url');
}

/** The sort key of a transition in both indexes: time first, the sequence number to break ties. */
export function transitionAtOf(change: Pick<StockChange, 'changedAt' | 'sequence'>): string {
  return `${change.changedAt}#${change.sequence}`;
}

/** A change as stored; it expires `retentionDays` after it was made. */
export function historyItemOf(change: StockChange, retentionDays: number): Record<string, unknown> {
  const A = HISTORY_ATTRIBUTES;
  const { store, item, sequence, changedAt, count, previousCount, transition } = change;
  return {
    [A.itemKey]: itemKeyOf(store, item),
    [A.sequence]: sequence,
    [A.store]: store,
    [A.item]: item,
    ...(count === undefined ? { [A.removed]: true } : { [A.count]: count }),
    ...(previousCount === undefined ? {} : { [A.previousCount]: previousCount }),
    [A.changedAt]: changedAt,
    [A.expiresAt]: Math.floor(Date.parse(changedAt) / 1000) + retentionDays * 86_400,
    ...(transition === undefined
      ? {}
      : {
          [A.transition]: transition,
          [A.transitionMonth]: changedAt.slice(0, 7),
          [A.transitionStore]: store,
          [A.transitionAt]: transitionAtOf(change),
        }),
  };
}

const TRANSITIONS: ReadonlySet<string> = new Set<StockTransition>(['out_of_stock', 'back_in_stock']);

/** A stored item as a change, leniently; undefined when it is not one. */
export function stockChangeFrom(stored: Record<string, unknown>): StockChange | undefined {
  const { store, item, sequence, changedAt, count, previousCount, transition } = stored;
  if (typeof store !== 'string' || typeof item !== 'string') return undefined;
  if (typeof sequence !== 'string' || typeof changedAt !== 'string') return undefined;
  const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
  return {
    store,
    item,
    sequence,
    changedAt,
    ...(isCount(count) ? { count } : {}),
    ...(isCount(previousCount) ? { previousCount } : {}),
    ...(typeof transition === 'string' && TRANSITIONS.has(transition)
      ? { transition: transition as StockTransition }
      : {}),
  };
}

export interface HistoryWriteOptions {
  retentionDays: number;
  /** BatchWriteItem requests in flight at once. */
  concurrency?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (retry: { attempt: number; delayMs: number; unprocessed: number; error?: unknown }) => void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes changes with BatchWriteItem, 25 a request and a few requests in flight. Throttling,
 * 5xx and network errors, and `UnprocessedItems`, are retried with exponential backoff and
 * full jitter, as the import writer does (https://docs.aws.amazon.com/general/latest/gr/api-retries.html).
 * Returns the entries whose change is not written (their request failed for good); the
 * others are in the table. An entry carries whatever the caller needs to report it.
 */
export async function writeStockChanges<T extends { change: StockChange }>(
  documentClient: DynamoDBDocumentClient,
  historyTable: string,
  entries: readonly T[],
  options: HistoryWriteOptions,
): Promise<T[]> {
  // A request may not name one key twice: the same record twice in a batch is one item.
  const unique = new Map<string, T>();
  for (const entry of entries)
    unique.set(`${itemKeyOf(entry.change.store, entry.change.item)}#${entry.change.sequence}`, entry);
  const all = [...unique.entries()];
  const chunks = Array.from({ length: Math.ceil(all.length / MAX_BATCH_ITEMS) }, (_, index) =>
    all.slice(index * MAX_BATCH_ITEMS, (index + 1) * MAX_BATCH_ITEMS),
  );
  const failed: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const chunk = chunks[next] as [string, T][];
      next += 1;
      failed.push(...(await writeChunk(documentClient, historyTable, new Map(chunk), options)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, chunks.length) }, worker));
  return failed;
}

/** One request's entries (by item key and sequence) until written; returns those that are not. */
async function writeChunk<T extends { change: StockChange }>(
  documentClient: DynamoDBDocumentClient,
  historyTable: string,
  pending: Map<string, T>,
  options: HistoryWriteOptions,
): Promise<T[]> {
  const {
    maxAttempts = 8,
    baseDelayMs = 50,
    maxDelayMs = 2000,
    sleep = defaultSleep,
    random = Math.random,
  } = options;
  for (let attempt = 1; ; attempt += 1) {
    let error: unknown;
    try {
      const output = await documentClient.send(
        new BatchWriteCommand({
          RequestItems: {
            [historyTable]: [...pending.values()].map(({ change }) => ({
              PutRequest: { Item: historyItemOf(change, options.retentionDays) },
            })),
          },
        }),
      );
      const left = new Set(
        (output.UnprocessedItems?.[historyTable] ?? []).map(
          ({ PutRequest }) =>
            `${PutRequest?.Item?.[HISTORY_ATTRIBUTES.itemKey]}#${PutRequest?.Item?.[HISTORY_ATTRIBUTES.sequence]}`,
        ),
      );
      for (const key of [...pending.keys()]) if (!left.has(key)) pending.delete(key);
      if (pending.size === 0) return [];
    } catch (caught) {
      if (!isRetryableWriteError(caught)) return [...pending.values()];
      error = caught;
    }
    if (attempt >= maxAttempts) return [...pending.values()];
    const delayMs = Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    options.onRetry?.({ attempt, delayMs, unprocessed: pending.size, error });
    await sleep(delayMs);
  }
}

function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a whole number ≥ 1: ${limit}`);
}

/**
 * Up to `want` changes of one Query, newest first, following its pages: a filter applies
 * after `Limit`, so a page may hold fewer matches than asked for (or none).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.FilterExpression.html
 */
async function queryNewest(
  documentClient: DynamoDBDocumentClient,
  input: QueryCommandInput,
  want: number,
  accept: (change: StockChange) => boolean = () => true,
): Promise<StockChange[]> {
  const changes: StockChange[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        ...input,
        ScanIndexForward: false,
        Limit: want - changes.length,
        ExclusiveStartKey,
      }),
    );
    for (const stored of page.Items ?? []) {
      const change = stockChangeFrom(stored);
      if (change && accept(change) && changes.length < want) changes.push(change);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && changes.length < want);
  return changes;
}

/** An item's changes, newest first, at most `limit` (Query on its itemKey, ScanIndexForward false). */
export async function queryItemHistory(
  documentClient: DynamoDBDocumentClient,
  table: string,
  store: string,
  item: string,
  options: { limit: number },
): Promise<StockChange[]> {
  assertLimit(options.limit);
  return queryNewest(
    documentClient,
    {
      TableName: table,
      KeyConditionExpression: '#itemKey = :itemKey',
      ExpressionAttributeNames: { '#itemKey': HISTORY_ATTRIBUTES.itemKey },
      ExpressionAttributeValues: { ':itemKey': itemKeyOf(store, item) },
    },
    options.limit,
    // A hash collision is all but impossible; the names are checked all the same.
    (change) => change.store === store && change.item === item,
  );
}

export interface RecentTransitionsQuery {
  stores: 'all' | readonly string[];
  type?: StockTransition;
  limit: number;
  /** The `next` of the previous page: only strictly older transitions. */
  before?: string;
  now?: Date;
  /** How many months back from `now` the month index is read (stores 'all'). Default 4. */
  months?: number;
}

/** `transitionAt` as written: ISO 8601 in UTC (toISOString), `#`, 40 digits. */
const CURSOR = /^(\d{4}-\d{2})-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z#\d{40}$/;

/** The month a cursor points into; a malformed cursor is an InvalidTransitionCursorError. */
function cursorMonth(before: string): string {
  const month = CURSOR.exec(before)?.[1];
  if (month === undefined) throw new InvalidTransitionCursorError('not a cursor of the transitions feed');
  return month;
}

/** `YYYY-MM` of `now` and the `count − 1` months before it, newest first (UTC). */
export function monthsBack(now: Date, count: number): string[] {
  return Array.from({ length: count }, (_, back) => {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    return month.toISOString().slice(0, 7);
  });
}

/** Newest first; equal times (two stores' records) in a fixed order. */
const newestFirst = (a: StockChange, b: StockChange): number => {
  const [x, y] = [transitionAtOf(a), transitionAtOf(b)];
  if (x !== y) return x < y ? 1 : -1;
  return a.store < b.store ? -1 : a.store > b.store ? 1 : a.item < b.item ? -1 : a.item > b.item ? 1 : 0;
};

/**
 * Transitions, newest first. stores 'all': the month index, month by month backwards from
 * `now` for at most `months` months (a change whose time is ahead of `now`'s month is not
 * read); a list: the store index per store (in parallel), merged. `type` filters. One more
 * than `limit` is read, so that `next` is only given when there is an older transition.
 * A malformed `before` throws InvalidTransitionCursorError (a 400 for the caller).
 */
export async function queryRecentTransitions(
  documentClient: DynamoDBDocumentClient,
  table: string,
  options: RecentTransitionsQuery,
): Promise<{ changes: StockChange[]; next?: string }> {
  assertLimit(options.limit);
  const A = HISTORY_ATTRIBUTES;
  const want = options.limit + 1;
  const beforeMonth = options.before === undefined ? undefined : cursorMonth(options.before);
  const query = (index: string, partition: string, value: string): QueryCommandInput => ({
    TableName: table,
    IndexName: index,
    KeyConditionExpression: `#partition = :partition${options.before === undefined ? '' : ' AND #at < :before'}`,
    ExpressionAttributeNames: {
      '#partition': partition,
      ...(options.before === undefined ? {} : { '#at': A.transitionAt }),
      ...(options.type === undefined ? {} : { '#transition': A.transition }),
    },
    ExpressionAttributeValues: {
      ':partition': value,
      ...(options.before === undefined ? {} : { ':before': options.before }),
      ...(options.type === undefined ? {} : { ':type': options.type }),
    },
    ...(options.type === undefined ? {} : { FilterExpression: '#transition = :type' }),
  });
  let found: StockChange[] = [];
  if (options.stores === 'all') {
    const months = monthsBack(options.now ?? new Date(), options.months ?? 4).filter(
      (month) => beforeMonth === undefined || month <= beforeMonth,
    );
    for (const month of months) {
      if (found.length >= want) break;
      const input = query(TRANSITIONS_BY_MONTH, A.transitionMonth, month);
      found.push(...(await queryNewest(documentClient, input, want - found.length)));
    }
  } else {
    const stores = [...new Set(options.stores)];
    const perStore = await Promise.all(
      stores.map((store) =>
        queryNewest(documentClient, query(TRANSITIONS_BY_STORE, A.transitionStore, store), want),
      ),
    );
    found = perStore.flat().sort(newestFirst).slice(0, want);
  }
  const changes = found.slice(0, options.limit);
  const last = changes.at(-1);
  return found.length > options.limit && last ? { changes, next: transitionAtOf(last) } : { changes };
}
