import type { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { StoreSummary } from './summary.ts';

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
 * Reads the store's whole partition (paged) and summarises it. The read is strongly
 * consistent, so the summary reflects at least every write that produced the stream records
 * being handled. Returns undefined when the store has no items left.
 */
export async function computeStoreSummary(
  documentClient: DynamoDBDocumentClient,
  inventoryTable: string,
  store: string,
  computedAt: string,
): Promise<StoreSummary | undefined> {
  let itemCount = 0;
  let totalUnits = 0;
  let outOfStockCount = 0;
  let lastUpdatedAt: string | undefined;
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: inventoryTable,
        KeyConditionExpression: '#store = :store',
        ProjectionExpression: '#count, updatedAt',
        ExpressionAttributeNames: { '#store': 'store', '#count': 'count' },
        ExpressionAttributeValues: { ':store': store },
        ConsistentRead: true,
        ExclusiveStartKey: exclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      itemCount += 1;
      const count = typeof item.count === 'number' && Number.isFinite(item.count) ? item.count : 0;
      totalUnits += Math.max(0, count);
      if (count <= 0) outOfStockCount += 1;
      const updatedAt = typeof item.updatedAt === 'string' ? item.updatedAt : undefined;
      if (updatedAt && (!lastUpdatedAt || updatedAt > lastUpdatedAt)) lastUpdatedAt = updatedAt;
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  if (itemCount === 0) return undefined;
  return {
    store,
    itemCount,
    totalUnits,
    outOfStockCount,
    ...(lastUpdatedAt ? { lastUpdatedAt } : {}),
    computedAt,
  };
}

/**
 * Writes (or deletes) a summary unless a summary computed later is already stored.
 *
 * Lambda processes a partition key's stream records in order, one batch at a time, so two
 * recomputes of one store rarely overlap; if they do (a retry racing a newer batch after a
 * shard split), the condition keeps the newer one. The residual case — a stale recompute
 * recreating a summary just deleted for an emptied store — heals on the store's next write.
 * Returns false when a newer summary won.
 */
export async function saveStoreSummary(
  documentClient: DynamoDBDocumentClient,
  storeSummariesTable: string,
  store: string,
  summary: StoreSummary | undefined,
  computedAt: string,
): Promise<boolean> {
  const condition = {
    ConditionExpression: 'attribute_not_exists(#store) OR computedAt < :computedAt',
    ExpressionAttributeNames: { '#store': 'store' },
    ExpressionAttributeValues: { ':computedAt': computedAt },
  };
  try {
    if (summary) {
      await documentClient.send(
        new PutCommand({ TableName: storeSummariesTable, Item: summary, ...condition }),
      );
    } else {
      await documentClient.send(
        new DeleteCommand({ TableName: storeSummariesTable, Key: { store }, ...condition }),
      );
    }
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
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
