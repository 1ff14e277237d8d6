import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import {
  type StoreSummary,
  saveStoreSummary,
  summariseStore,
} from '#shared/inventory/store-summaries-table.ts';
import { queryStoreItems } from '#shared/inventory/table.ts';

export type SummaryLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface SummaryDependencies {
  documentClient: DynamoDBDocumentClient;
  inventoryTable: string;
  storeSummariesTable: string;
  logger: SummaryLogger;
  now?: () => Date;
  /** How many stores are recomputed at once. */
  concurrency?: number;
}

/** A store's summary could not be recomputed; its records go back to the stream. */
export class StoreSummaryRefreshError extends Error {
  override name = 'StoreSummaryRefreshError';
}

/**
 * Groups a batch's records by the store they touched, keeping the sequence numbers so that
 * a failed store can report exactly its records. A record without a store key cannot be
 * attributed (and would fail the same way on every retry), so it is logged and skipped.
 */
export function recordsByStore(records: DynamoDBRecord[], logger?: SummaryLogger): Map<string, string[]> {
  const stores = new Map<string, string[]>();
  for (const record of records) {
    const store = record.dynamodb?.Keys?.store?.S;
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (store === undefined || sequenceNumber === undefined) {
      logger?.warn('stream record without a store key or sequence number; skipped', {
        eventId: record.eventID,
      });
      continue;
    }
    const sequenceNumbers = stores.get(store) ?? [];
    sequenceNumbers.push(sequenceNumber);
    stores.set(store, sequenceNumbers);
  }
  return stores;
}

/**
 * Reads the store's whole partition and summarises it. The read is strongly consistent, so
 * the summary reflects at least every write that produced the stream records being handled.
 * Returns undefined when the store has no items left.
 */
export async function computeStoreSummary(
  documentClient: DynamoDBDocumentClient,
  inventoryTable: string,
  store: string,
  computedAt: string,
): Promise<StoreSummary | undefined> {
  const items = await queryStoreItems(documentClient, inventoryTable, store, {
    consistentRead: true,
    withSource: false,
  });
  return summariseStore(store, items, computedAt);
}

async function inPool<T>(values: T[], concurrency: number, work: (value: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < values.length) {
      const value = values[next] as T;
      next += 1;
      await work(value);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, values.length) }, worker));
}

/**
 * Recomputes the summary of every store a batch touched. Recomputing (rather than adding
 * deltas) is idempotent and self-healing under at-least-once, out-of-order delivery. A store
 * whose recompute fails reports all its records as batch item failures; Lambda then retries
 * from the lowest failed sequence number
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html).
 */
export async function refreshStoreSummaries(
  records: DynamoDBRecord[],
  dependencies: SummaryDependencies,
): Promise<DynamoDBBatchResponse> {
  const { documentClient, inventoryTable, storeSummariesTable, logger } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const stores = recordsByStore(records, logger);
  const failed: string[] = [];
  await inPool([...stores.keys()], dependencies.concurrency ?? 8, async (store) => {
    try {
      const computedAt = now().toISOString();
      const summary = await computeStoreSummary(documentClient, inventoryTable, store, computedAt);
      const written = await saveStoreSummary(documentClient, storeSummariesTable, store, summary, computedAt);
      if (!written) logger.info('a newer summary was already stored', { store });
    } catch (cause) {
      const error = new StoreSummaryRefreshError(`could not refresh the summary of store ${store}`, {
        cause,
      });
      logger.error('store summary refresh failed', { store, error });
      failed.push(...(stores.get(store) ?? []));
    }
  });
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
