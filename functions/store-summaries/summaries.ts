import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBMarshalled } from '@aws-lambda-powertools/parser/helpers/dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { z } from 'zod';
import {
  addItemChange,
  addToStoreSummaries,
  addToStoreSummary,
  appliedSequenceOf,
  MAX_TRANSACTION_STORES,
  NO_CHANGE,
  paddedSequence,
  type SequencedChange,
} from '#shared/inventory/store-summaries-table.ts';
import { type InventoryItem, inventoryItemFrom } from '#shared/inventory/table.ts';
import { inPool } from '#shared/pool.ts';

export type SummaryLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface SummaryDependencies {
  documentClient: DynamoDBDocumentClient;
  storeSummariesTable: string;
  /** "Low" is 1 up to this count (lowStockCount). */
  lowStockThreshold: number;
  logger: SummaryLogger;
  now?: () => Date;
  /** How many stores are updated at once. */
  concurrency?: number;
}

/** A store's summary could not be updated; its records go back to the stream. */
export class StoreSummaryRefreshError extends Error {
  override name = 'StoreSummaryRefreshError';
}

/** One stream record, reduced to what a summary needs. */
export interface ItemWrite {
  /** The sequence number padded for comparison (see paddedSequence). */
  sequence: string;
  /** As the record carries it: the batch item failure's identifier. */
  sequenceNumber: string;
  before?: InventoryItem;
  after?: InventoryItem;
}

/** What one batch did to each store, and what was done with it. */
export interface StoreOutcome {
  store: string;
  /** Records applied now. */
  applied: number;
  /** Records skipped because an earlier delivery had applied them. */
  duplicates: number;
}

const itemImage = DynamoDBMarshalled(z.record(z.string(), z.unknown()));

function itemOf(image: Record<string, AttributeValue> | undefined): InventoryItem | undefined {
  if (!image) return undefined;
  const parsed = itemImage.safeParse(image);
  return parsed.success ? inventoryItemFrom(parsed.data) : undefined;
}

/**
 * Groups a batch's records by store, each store's writes oldest first (by sequence number:
 * a batch's order is not relied on). A record without a store key or sequence number cannot
 * be attributed (and would fail the same way on every retry), so it is logged and skipped.
 */
export function writesByStore(records: DynamoDBRecord[], logger?: SummaryLogger): Map<string, ItemWrite[]> {
  const stores = new Map<string, ItemWrite[]>();
  for (const record of records) {
    const store = record.dynamodb?.Keys?.store?.S;
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (store === undefined || sequenceNumber === undefined || !/^\d{1,40}$/.test(sequenceNumber)) {
      logger?.warn('stream record without a store key or sequence number; skipped', {
        eventId: record.eventID,
      });
      continue;
    }
    const writes = stores.get(store) ?? [];
    writes.push({
      sequence: paddedSequence(sequenceNumber),
      sequenceNumber,
      before: itemOf(record.dynamodb?.OldImage),
      after: itemOf(record.dynamodb?.NewImage),
    });
    stores.set(store, writes);
  }
  for (const writes of stores.values()) writes.sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
  return stores;
}

function sequencedChange(writes: ItemWrite[], at: string, lowStockThreshold: number): SequencedChange {
  let change = NO_CHANGE;
  for (const write of writes) change = addItemChange(change, write.before, write.after, lowStockThreshold);
  return {
    change,
    firstSequence: writes[0]?.sequence ?? '',
    lastSequence: writes.at(-1)?.sequence ?? '',
    at,
  };
}

/**
 * Adds a store's writes to its summary. The first attempt assumes none was applied before
 * (the usual case: one conditional UpdateItem). If the condition fails, the summary's
 * newest applied sequence number is read and only newer writes are added: a redelivered
 * or bisected batch adds each write once. A few attempts cover a concurrent update.
 */
async function applyStoreWrites(store: string, writes: ItemWrite[], dependencies: SummaryDependencies) {
  const { documentClient, storeSummariesTable } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  let pending = writes;
  for (let attempt = 1; attempt <= 4; attempt += 1) {
    if (pending.length === 0) break;
    const change = sequencedChange(pending, now().toISOString(), dependencies.lowStockThreshold);
    if (await addToStoreSummary(documentClient, storeSummariesTable, store, change)) {
      return { store, applied: pending.length, duplicates: writes.length - pending.length };
    }
    const applied = (await appliedSequenceOf(documentClient, storeSummariesTable, store)) ?? '';
    pending = writes.filter((write) => write.sequence > applied);
  }
  if (pending.length === 0) return { store, applied: 0, duplicates: writes.length };
  throw new Error('the summary kept changing while this batch was applied');
}

/**
 * The first try for a batch that touched several stores: their changes in transactions of
 * up to MAX_TRANSACTION_STORES, one request each instead of one per store (a batch of
 * interleaved stores touches dozens). Returns the stores whose change is applied; any
 * other store is left to applyStoreWrites, which also sorts out a redelivery.
 */
async function applyTogether(stores: Map<string, ItemWrite[]>, dependencies: SummaryDependencies) {
  const applied = new Map<string, StoreOutcome>();
  const at = (dependencies.now ?? (() => new Date()))().toISOString();
  const entries = [...stores.entries()];
  for (let start = 0; entries.length > 1 && start < entries.length; start += MAX_TRANSACTION_STORES) {
    const chunk = entries.slice(start, start + MAX_TRANSACTION_STORES);
    const changes = chunk.map(([store, writes]) => ({
      store,
      change: sequencedChange(writes, at, dependencies.lowStockThreshold),
    }));
    if (await addToStoreSummaries(dependencies.documentClient, dependencies.storeSummariesTable, changes)) {
      for (const [store, writes] of chunk)
        applied.set(store, { store, applied: writes.length, duplicates: 0 });
    }
  }
  return applied;
}

/**
 * Updates the summary of every store a batch touched by the change its records made: a
 * write per store per batch (or one transaction for many stores), whatever their size. A store whose update failed
 * reports all its records as batch item failures; Lambda then retries from the lowest
 * failed sequence number, and records of other stores it delivers again are recognised by
 * their sequence numbers and not added twice
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html).
 */
export async function refreshStoreSummaries(
  records: DynamoDBRecord[],
  dependencies: SummaryDependencies,
): Promise<DynamoDBBatchResponse> {
  const { logger } = dependencies;
  const stores = writesByStore(records, logger);
  const failed: string[] = [];
  const together = await applyTogether(stores, dependencies);
  const outcomes: StoreOutcome[] = [...together.values()];
  const rest = [...stores.entries()].filter(([store]) => !together.has(store));
  await inPool(rest, dependencies.concurrency ?? 8, async ([store, writes]) => {
    try {
      outcomes.push(await applyStoreWrites(store, writes, dependencies));
    } catch (cause) {
      const error = new StoreSummaryRefreshError(`could not update the summary of store ${store}`, { cause });
      logger.error('store summary update failed', { store, error });
      failed.push(...writes.map((write) => write.sequenceNumber));
    }
  });
  const duplicates = outcomes.reduce((sum, outcome) => sum + outcome.duplicates, 0);
  if (duplicates > 0) {
    // Only after a retry or a bisect: worth a line, with the stores it concerned.
    logger.info('records already applied by an earlier delivery were skipped', {
      duplicates,
      stores: outcomes.filter((outcome) => outcome.duplicates > 0).map((outcome) => outcome.store),
    });
  }
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
