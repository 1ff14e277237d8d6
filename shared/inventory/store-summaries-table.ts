import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  paginateScan,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { isOutOfStock, stockStatus } from '#shared/stock/status.ts';
import type { InventoryItem } from './table.ts';

/**
 * The store summaries table (key `store`), owned here: one item per store, kept by the
 * storeSummaries function from the Inventory table's stream and read by the dashboard, so
 * that no page scans the inventory.
 *
 * A summary is kept by adding each stream record's change (new image minus old image) to
 * it. `appliedSequence` is the stream sequence number of the newest record applied, padded
 * to 40 digits so that DynamoDB compares it as a number: a write is conditional on every
 * record it adds being newer, so a redelivered record is never counted twice. A store whose
 * items are all gone keeps its summary (itemCount 0, hidden from the dashboard): the
 * sequence number must outlive its items.
 */
export const storeSummarySchema = z.object({
  store: z.string().min(1),
  itemCount: z.number().int().nonnegative(),
  totalUnits: z.number().nonnegative(),
  outOfStockCount: z.number().int().nonnegative(),
  /**
   * Items with 1 ≤ count ≤ the low-stock threshold. Absent on summaries written before it was
   * kept (read as 0); one that predates it counts only the changes since, so a negative
   * figure can only be such a summary's and reads as absent too.
   */
  lowStockCount: z.number().int().nonnegative().optional().catch(undefined),
  /** The newest `updatedAt` among the items written by the changes applied, if any. */
  lastUpdatedAt: z.string().optional(),
  /** When the summary last changed (ISO 8601, UTC). */
  computedAt: z.string(),
  /** The newest stream record applied (40 digits); absent on a summary no stream wrote. */
  appliedSequence: z.string().optional(),
});

export type StoreSummary = z.infer<typeof storeSummarySchema>;

/** A store's summary from all its items; undefined when the store has none left. */
export function summariseStore(
  store: string,
  items: Iterable<InventoryItem>,
  computedAt: string,
  lowStockThreshold: number,
): StoreSummary | undefined {
  let itemCount = 0;
  let totalUnits = 0;
  let outOfStockCount = 0;
  let lowStockCount = 0;
  let lastUpdatedAt: string | undefined;
  for (const item of items) {
    itemCount += 1;
    totalUnits += Math.max(0, item.count);
    if (isOutOfStock(item.count)) outOfStockCount += 1;
    if (stockStatus(item.count, lowStockThreshold) === 'low') lowStockCount += 1;
    if (item.updatedAt && (!lastUpdatedAt || item.updatedAt > lastUpdatedAt)) lastUpdatedAt = item.updatedAt;
  }
  if (itemCount === 0) return undefined;
  return {
    store,
    itemCount,
    totalUnits,
    outOfStockCount,
    lowStockCount,
    ...(lastUpdatedAt ? { lastUpdatedAt } : {}),
    computedAt,
  };
}

/**
 * Every store's summary, sorted by store: a paged Scan of the small summaries table (one
 * item per store), never of the inventory table. Malformed items and stores with no items
 * left are skipped.
 */
export async function listStoreSummaries(
  documentClient: DynamoDBDocumentClient,
  storeSummariesTable: string,
): Promise<StoreSummary[]> {
  const summaries: StoreSummary[] = [];
  for await (const page of paginateScan({ client: documentClient }, { TableName: storeSummariesTable })) {
    for (const item of page.Items ?? []) {
      const parsed = storeSummarySchema.safeParse(item);
      if (parsed.success && parsed.data.itemCount > 0)
        summaries.push({ ...parsed.data, lowStockCount: parsed.data.lowStockCount ?? 0 });
    }
  }
  return summaries.sort((a, b) => (a.store < b.store ? -1 : a.store > b.store ? 1 : 0));
}

/** What a set of item changes adds to a store's summary (each figure may be negative). */
export interface SummaryChange {
  itemCount: number;
  totalUnits: number;
  outOfStockCount: number;
  lowStockCount: number;
  /** The newest `updatedAt` among the items as written, if any. */
  lastUpdatedAt?: string;
}

const contribution = (item: InventoryItem | undefined, lowStockThreshold: number) =>
  item
    ? {
        itemCount: 1,
        totalUnits: Math.max(0, item.count),
        outOfStockCount: isOutOfStock(item.count) ? 1 : 0,
        lowStockCount: stockStatus(item.count, lowStockThreshold) === 'low' ? 1 : 0,
      }
    : { itemCount: 0, totalUnits: 0, outOfStockCount: 0, lowStockCount: 0 };

/**
 * Adds one item's write (before → after; undefined where the item did not exist) to a
 * change. Counted exactly as summariseStore counts a whole store, so that the sum of a
 * store's changes equals a recount of it.
 */
export function addItemChange(
  change: SummaryChange,
  before: InventoryItem | undefined,
  after: InventoryItem | undefined,
  lowStockThreshold: number,
): SummaryChange {
  const [was, is] = [contribution(before, lowStockThreshold), contribution(after, lowStockThreshold)];
  const updatedAt = after?.updatedAt;
  return {
    itemCount: change.itemCount + is.itemCount - was.itemCount,
    totalUnits: change.totalUnits + is.totalUnits - was.totalUnits,
    outOfStockCount: change.outOfStockCount + is.outOfStockCount - was.outOfStockCount,
    lowStockCount: change.lowStockCount + is.lowStockCount - was.lowStockCount,
    ...(updatedAt && (!change.lastUpdatedAt || updatedAt > change.lastUpdatedAt)
      ? { lastUpdatedAt: updatedAt }
      : change.lastUpdatedAt
        ? { lastUpdatedAt: change.lastUpdatedAt }
        : {}),
  };
}

export const NO_CHANGE: SummaryChange = { itemCount: 0, totalUnits: 0, outOfStockCount: 0, lowStockCount: 0 };

/** A stream sequence number (up to 40 digits) in the form summaries store and compare. */
export function paddedSequence(sequenceNumber: string): string {
  if (!/^\d{1,40}$/.test(sequenceNumber)) throw new Error(`not a stream sequence number: ${sequenceNumber}`);
  return sequenceNumber.padStart(40, '0');
}

export interface SequencedChange {
  change: SummaryChange;
  /** The oldest and newest records the change is made of (padded, see paddedSequence). */
  firstSequence: string;
  lastSequence: string;
  at: string;
}

/**
 * Adds a change to a store's summary in one conditional UpdateItem: only if every record
 * it is made of is newer than the newest record already applied. Returns false when that
 * condition failed (some of the records were applied before: read appliedSequenceOf and
 * apply only the newer ones).
 */
export async function addToStoreSummary(
  documentClient: DynamoDBDocumentClient,
  storeSummariesTable: string,
  store: string,
  change: SequencedChange,
): Promise<boolean> {
  try {
    await documentClient.send(new UpdateCommand(summaryUpdate(storeSummariesTable, store, change)));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** The most actions one TransactWriteItems takes. */
export const MAX_TRANSACTION_STORES = 100;

/**
 * Adds the changes of several stores in one TransactWriteItems (at most
 * MAX_TRANSACTION_STORES), each on the same condition as addToStoreSummary: one request
 * instead of one per store, at twice the write units. Returns false when the transaction
 * was not applied (a condition failed, a conflict, throttling…: nothing was written); the
 * caller then adds each store on its own, where each outcome is known.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
export async function addToStoreSummaries(
  documentClient: DynamoDBDocumentClient,
  storeSummariesTable: string,
  changes: { store: string; change: SequencedChange }[],
): Promise<boolean> {
  if (changes.length > MAX_TRANSACTION_STORES)
    throw new Error(`at most ${MAX_TRANSACTION_STORES} stores at once`);
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: changes.map(({ store, change }) => ({
          Update: summaryUpdate(storeSummariesTable, store, change),
        })),
      }),
    );
    return true;
  } catch {
    return false;
  }
}

function summaryUpdate(storeSummariesTable: string, store: string, sequenced: SequencedChange) {
  const { change, firstSequence, lastSequence, at } = sequenced;
  return {
    TableName: storeSummariesTable,
    Key: { store },
    UpdateExpression: `ADD itemCount :items, totalUnits :units, outOfStockCount :out, lowStockCount :low SET appliedSequence = :last, computedAt = :at${change.lastUpdatedAt ? ', lastUpdatedAt = :updated' : ''}`,
    ConditionExpression: 'attribute_not_exists(appliedSequence) OR appliedSequence < :first',
    ExpressionAttributeValues: {
      ':items': change.itemCount,
      ':units': change.totalUnits,
      ':out': change.outOfStockCount,
      ':low': change.lowStockCount,
      ':first': firstSequence,
      ':last': lastSequence,
      ':at': at,
      ...(change.lastUpdatedAt ? { ':updated': change.lastUpdatedAt } : {}),
    },
  };
}

/** The newest stream record applied to a store's summary (strongly consistent read). */
export async function appliedSequenceOf(
  documentClient: DynamoDBDocumentClient,
  storeSummariesTable: string,
  store: string,
): Promise<string | undefined> {
  const { Item } = await documentClient.send(
    new GetCommand({
      TableName: storeSummariesTable,
      Key: { store },
      ConsistentRead: true,
      ProjectionExpression: 'appliedSequence',
    }),
  );
  return typeof Item?.appliedSequence === 'string' ? Item.appliedSequence : undefined;
}
