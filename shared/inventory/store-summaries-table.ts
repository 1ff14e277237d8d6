import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { isOutOfStock } from '#shared/stock/status.ts';
import type { InventoryItem } from './table.ts';

/**
 * The store summaries table (key `store`), owned here: one item per store, written by the
 * storeSummaries function from the Inventory table's stream and read by the dashboard, so
 * that no page scans the inventory. `computedAt` orders concurrent recomputes: a summary
 * is only replaced by one computed later.
 */
export const storeSummarySchema = z.object({
  store: z.string().min(1),
  itemCount: z.number().int().nonnegative(),
  totalUnits: z.number().nonnegative(),
  outOfStockCount: z.number().int().nonnegative(),
  /** The newest `updatedAt` among the store's items, if any item has one. */
  lastUpdatedAt: z.string().optional(),
  /** When the recompute started reading the store's partition (ISO 8601, UTC). */
  computedAt: z.string(),
});

export type StoreSummary = z.infer<typeof storeSummarySchema>;

/** A store's summary from all its items; undefined when the store has none left. */
export function summariseStore(
  store: string,
  items: Iterable<InventoryItem>,
  computedAt: string,
): StoreSummary | undefined {
  let itemCount = 0;
  let totalUnits = 0;
  let outOfStockCount = 0;
  let lastUpdatedAt: string | undefined;
  for (const item of items) {
    itemCount += 1;
    totalUnits += Math.max(0, item.count);
    if (isOutOfStock(item.count)) outOfStockCount += 1;
    if (item.updatedAt && (!lastUpdatedAt || item.updatedAt > lastUpdatedAt)) lastUpdatedAt = item.updatedAt;
  }
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
 * Every store's summary, sorted by store: a paged Scan of the small summaries table (one
 * item per store), never of the inventory table. Malformed items are skipped.
 */
export async function listStoreSummaries(
  documentClient: DynamoDBDocumentClient,
  storeSummariesTable: string,
): Promise<StoreSummary[]> {
  const summaries: StoreSummary[] = [];
  for await (const page of paginateScan({ client: documentClient }, { TableName: storeSummariesTable })) {
    for (const item of page.Items ?? []) {
      const parsed = storeSummarySchema.safeParse(item);
      if (parsed.success) summaries.push(parsed.data);
    }
  }
  return summaries.sort((a, b) => (a.store < b.store ? -1 : a.store > b.store ? 1 : 0));
}

/**
 * Writes (or, for an emptied store, deletes) a summary unless a summary computed later is
 * already stored. Returns false when a newer summary won.
 *
 * Lambda processes a partition key's stream records in order, one batch at a time, so two
 * recomputes of one store rarely overlap; if they do (a retry racing a newer batch after a
 * shard split), the condition keeps the newer one. The residual case — a stale recompute
 * recreating a summary just deleted for an emptied store — heals on the store's next write.
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
