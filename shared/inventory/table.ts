import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';

/**
 * The Inventory table, owned here: its key (`store` + `item`), its attributes, and the reads
 * other modules make of it. The import writer builds its put requests from the same names.
 * Nothing else in Stockroom spells an attribute of this table.
 *
 *   store (partition key) · item (sort key) · count · updatedAt · source {bucket, key, etag, versionId}
 *   index item-stores: item (partition key) · store (sort key) · count · updatedAt
 */
export const INVENTORY_ATTRIBUTES = {
  store: 'store',
  item: 'item',
  count: 'count',
  updatedAt: 'updatedAt',
  source: 'source',
} as const;

/** The source CSV, as the import writes it on every item. */
export interface SourceFile {
  bucket?: string;
  key?: string;
  etag?: string;
  versionId?: string;
}

export interface InventoryItem {
  item: string;
  count: number;
  updatedAt?: string;
  source?: SourceFile;
}

/**
 * What every item one import writes has in common, as DynamoDB attribute values: built once
 * per import and shared by every put request (the SDK only reads them), so a row costs only
 * its own key and count.
 */
export interface ImportStamp {
  updatedAt: AttributeValue;
  source: AttributeValue;
}

export function importStamp(
  source: Required<Pick<SourceFile, 'bucket' | 'key' | 'etag'>> & Pick<SourceFile, 'versionId'>,
  updatedAt: string,
): ImportStamp {
  const { bucket, key, etag, versionId } = source;
  return {
    updatedAt: { S: updatedAt },
    source: {
      M: {
        bucket: { S: bucket },
        key: { S: key },
        etag: { S: etag },
        ...(versionId === undefined ? {} : { versionId: { S: versionId } }),
      },
    },
  };
}

/** One row's put request for BatchWriteItem: the item, keyed by store and item, with its count. */
export function inventoryPutRequest(
  row: { store: string; item: string; count: number },
  stamp: ImportStamp,
): WriteRequest {
  return {
    PutRequest: {
      Item: {
        [INVENTORY_ATTRIBUTES.store]: { S: row.store },
        [INVENTORY_ATTRIBUTES.item]: { S: row.item },
        [INVENTORY_ATTRIBUTES.count]: { N: String(row.count) },
        [INVENTORY_ATTRIBUTES.updatedAt]: stamp.updatedAt,
        [INVENTORY_ATTRIBUTES.source]: stamp.source,
      },
    },
  };
}

/** The `source` attribute as stored, leniently: its text parts; undefined when it is not a map. */
export function sourceFileFrom(value: unknown): SourceFile | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const source: SourceFile = {};
  for (const key of ['bucket', 'key', 'etag', 'versionId'] as const) {
    const found = record[key];
    if (typeof found === 'string') source[key] = found;
  }
  return source;
}

/** One stored item as the rest of Stockroom sees it; undefined for an item without a name. */
export function inventoryItemFrom(stored: Record<string, unknown>): InventoryItem | undefined {
  if (typeof stored.item !== 'string') return undefined;
  const source = sourceFileFrom(stored.source);
  return {
    item: stored.item,
    count: typeof stored.count === 'number' && Number.isFinite(stored.count) ? stored.count : 0,
    ...(typeof stored.updatedAt === 'string' ? { updatedAt: stored.updatedAt } : {}),
    ...(source ? { source } : {}),
  };
}

export interface StoreItemsQuery {
  /** A strongly consistent read sees every write acknowledged before it started. */
  consistentRead?: boolean;
  /** Leave out `source` when the caller has no use for it (smaller pages). */
  withSource?: boolean;
}

/**
 * A store's items: a Query on its partition, every page (1 MB each). A store of 1,000
 * items is one or two pages.
 */
export async function queryStoreItems(
  documentClient: DynamoDBDocumentClient,
  inventoryTable: string,
  store: string,
  query: StoreItemsQuery = {},
): Promise<InventoryItem[]> {
  const withSource = query.withSource ?? true;
  const items: InventoryItem[] = [];
  const pages = paginateQuery(
    { client: documentClient },
    {
      TableName: inventoryTable,
      KeyConditionExpression: '#store = :store',
      ProjectionExpression: `#item, #count, #updatedAt${withSource ? ', #source' : ''}`,
      ExpressionAttributeNames: {
        '#store': INVENTORY_ATTRIBUTES.store,
        '#item': INVENTORY_ATTRIBUTES.item,
        '#count': INVENTORY_ATTRIBUTES.count,
        '#updatedAt': INVENTORY_ATTRIBUTES.updatedAt,
        ...(withSource ? { '#source': INVENTORY_ATTRIBUTES.source } : {}),
      },
      ExpressionAttributeValues: { ':store': store },
      ...(query.consistentRead ? { ConsistentRead: true } : {}),
    },
  );
  for await (const page of pages) {
    for (const stored of page.Items ?? []) {
      const item = inventoryItemFrom(stored);
      if (item) items.push(item);
    }
  }
  return items;
}

/**
 * The Inventory table's inverted index (serverless.yml, InventoryTable): keyed by `item`, then
 * `store`, so "which stores have this item?" is one Query instead of a Scan of every store.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-gsi-overloading.html
 */
export const ITEM_STORES_INDEX = 'item-stores';

/** One store's stock of an item, as the item-stores index holds it (it projects `count` and `updatedAt`). */
export interface ItemInStore {
  store: string;
  item: string;
  count: number;
  updatedAt?: string;
}

export interface ItemAcrossStoresQuery {
  /** Only these stores (a manager limited to some stores); every store when absent. */
  stores?: readonly string[];
}

/**
 * Every store that has `item`, sorted by store (the index's sort key, in the order DynamoDB
 * returns it): a paged Query of the item-stores index (1 MB a page; an item in a thousand stores
 * is one page). The match is exact and case-sensitive, as
 * item codes are stored. `stores` is applied after the Query: a FilterExpression would read
 * (and bill) the same index entries, and its IN list stops at 100 values.
 *
 * A GSI is read eventually consistently only (no ConsistentRead): a write reaches the index
 * asynchronously, normally within a fraction of a second, so an import that has just finished
 * can take a moment to show here.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Reading
 */
export async function queryItemAcrossStores(
  documentClient: DynamoDBDocumentClient,
  inventoryTable: string,
  item: string,
  options: ItemAcrossStoresQuery = {},
): Promise<ItemInStore[]> {
  const wanted = options.stores === undefined ? undefined : new Set(options.stores);
  // An empty string is no valid key value (DynamoDB refuses the Query); nothing is stocked under it.
  if (item === '' || wanted?.size === 0) return [];
  const found: ItemInStore[] = [];
  const pages = paginateQuery(
    { client: documentClient },
    {
      TableName: inventoryTable,
      IndexName: ITEM_STORES_INDEX,
      KeyConditionExpression: '#item = :item',
      ProjectionExpression: '#store, #item, #count, #updatedAt',
      ExpressionAttributeNames: {
        '#store': INVENTORY_ATTRIBUTES.store,
        '#item': INVENTORY_ATTRIBUTES.item,
        '#count': INVENTORY_ATTRIBUTES.count,
        '#updatedAt': INVENTORY_ATTRIBUTES.updatedAt,
      },
      ExpressionAttributeValues: { ':item': item },
    },
  );
  for await (const page of pages) {
    for (const stored of page.Items ?? []) {
      const entry = itemInStoreFrom(stored);
      if (entry && (!wanted || wanted.has(entry.store))) found.push(entry);
    }
  }
  return found;
}

/** One index entry as the rest of Stockroom sees it; undefined without a store or item name. */
function itemInStoreFrom(stored: Record<string, unknown>): ItemInStore | undefined {
  if (typeof stored.store !== 'string' || typeof stored.item !== 'string') return undefined;
  return {
    store: stored.store,
    item: stored.item,
    count: typeof stored.count === 'number' && Number.isFinite(stored.count) ? stored.count : 0,
    ...(typeof stored.updatedAt === 'string' ? { updatedAt: stored.updatedAt } : {}),
  };
}
