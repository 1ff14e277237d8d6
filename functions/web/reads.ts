import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getRunningImport, listRunningImports, type RunningImport } from '#shared/inventory/progress.ts';
import { listStoreSummaries, type StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import {
  INVENTORY_ATTRIBUTES,
  type InventoryItem,
  type ItemInStore,
  inventoryItemFrom,
  queryItemAcrossStores,
  queryStoreItems,
} from '#shared/inventory/table.ts';
import { type AttentionItem, queryAttention } from '#shared/stock/attention-table.ts';
import { queryItemHistory, queryRecentTransitions, type StockChange } from '#shared/stock/history-table.ts';
import type { StockTransition } from '#shared/stock/transitions.ts';
import type { WebConfig } from './config.ts';
import { getImportReport, type ImportReportsPage, listRecentImportReports } from './import-reports.ts';
import { notFound } from './problem.ts';
import { boundEntry, LIST_BOUNDS, SINGLE_BOUNDS } from './reports.ts';
import { ShortLivedCache } from './short-lived-cache.ts';

/** The dashboard's summaries are read at most once a second per container (see ShortLivedCache). */
export const SUMMARIES_TTL_MS = 1000;

export interface WebReadDependencies {
  config: WebConfig;
  documentClient: DynamoDBDocumentClient;
  s3: S3Client;
  /** How long the store summaries are reused per container (ms). Default SUMMARIES_TTL_MS. */
  summariesTtlMs?: number;
}

/** The stores a user may see, as the stock tables' reads take them: every store, or a list. */
export type StoreScope = 'all' | readonly string[];

/** A page of stock transitions, newest first; `next` continues with older ones. */
export interface TransitionsPage {
  changes: StockChange[];
  next?: string;
}

/** The reads a page and its JSON twin share, so both always answer alike. */
export interface WebReads {
  /** Every store's summary, reused for the TTL. */
  summaries(): Promise<StoreSummary[]>;
  /** A store's items; a store without items is a 404. */
  storeItems(store: string): Promise<InventoryItem[]>;
  /** One item of a store; undefined when the store has no such item. */
  storeItem(store: string, item: string): Promise<InventoryItem | undefined>;
  /** Items out of stock or low in `stores`, newest first. */
  attention(stores: StoreScope, limit: number): Promise<AttentionItem[]>;
  /** An item's count changes, newest first. */
  itemHistory(store: string, item: string, limit: number): Promise<StockChange[]>;
  /** Out-of-stock and back-in-stock transitions in `stores`, newest first. */
  transitions(query: {
    stores: StoreScope;
    type?: StockTransition | undefined;
    limit: number;
    before?: string | undefined;
  }): Promise<TransitionsPage>;
  /** Every store (of `stores`) that has `item`, by store. */
  itemAcrossStores(item: string, stores: StoreScope): Promise<ItemInStore[]>;
  /** The direct imports running now (their progress objects), newest first. */
  runningImports(): Promise<RunningImport[]>;
  /** The progress of one source's import, while it runs. */
  runningImport(source: string): Promise<RunningImport | undefined>;
  /** Whether one of `stores` has `item` (a key lookup per store, in parallel). */
  anyStoreHasItem(stores: Iterable<string>, item: string): Promise<boolean>;
  /**
   * The report of `source` (none yet: an empty list), else page `page` of the newest reports,
   * `limit` a page. Every report is bounded (see boundReport) so an answer always fits.
   */
  importReports(query: {
    limit: number;
    page?: number;
    source?: string | undefined;
  }): Promise<ImportReportsPage>;
}

/** The 404 of a store without items, and of a store the user may not see: the same, to reveal nothing. */
export function noSuchStore(store: string) {
  return notFound(`There is no store named “${store}” with items.`);
}

/** One key lookup: Query rather than GetItem, the only read the web function may make of the table. */
async function lookUpItem(
  documentClient: DynamoDBDocumentClient,
  inventoryTable: string,
  store: string,
  item: string,
): Promise<InventoryItem | undefined> {
  const found = await documentClient.send(
    new QueryCommand({
      TableName: inventoryTable,
      KeyConditionExpression: '#store = :store AND #item = :item',
      ExpressionAttributeNames: { '#store': INVENTORY_ATTRIBUTES.store, '#item': INVENTORY_ATTRIBUTES.item },
      ExpressionAttributeValues: { ':store': store, ':item': item },
    }),
  );
  const stored = found?.Items?.[0];
  return stored ? inventoryItemFrom(stored) : undefined;
}

export function createWebReads(dependencies: WebReadDependencies): WebReads {
  const { config, documentClient, s3 } = dependencies;
  const summaries = new ShortLivedCache(
    () => listStoreSummaries(documentClient, config.storeSummariesTable),
    dependencies.summariesTtlMs ?? SUMMARIES_TTL_MS,
  );
  return {
    summaries: () => summaries.get(),
    async storeItems(store) {
      const items = await queryStoreItems(documentClient, config.inventoryTable, store);
      if (items.length === 0) throw noSuchStore(store);
      return items;
    },
    storeItem: (store, item) => lookUpItem(documentClient, config.inventoryTable, store, item),
    attention: (stores, limit) =>
      queryAttention(documentClient, config.stockAttentionTable, { stores, limit }),
    itemHistory: (store, item, limit) =>
      queryItemHistory(documentClient, config.stockHistoryTable, store, item, { limit }),
    transitions: ({ stores, type, limit, before }) =>
      queryRecentTransitions(documentClient, config.stockHistoryTable, {
        stores,
        limit,
        ...(type ? { type } : {}),
        ...(before ? { before } : {}),
      }),
    itemAcrossStores: (item, stores) =>
      queryItemAcrossStores(documentClient, config.inventoryTable, item, stores === 'all' ? {} : { stores }),
    runningImports: () => listRunningImports(s3, config.uploadsBucket, new Date()),
    runningImport: (source) => getRunningImport(s3, config.uploadsBucket, source, new Date()),
    async anyStoreHasItem(stores, item) {
      const lookups = [...stores].map((store) =>
        lookUpItem(documentClient, config.inventoryTable, store, item),
      );
      return (await Promise.all(lookups)).some((found) => found !== undefined);
    },
    async importReports({ limit, page, source }) {
      if (!source) {
        const listed = await listRecentImportReports(s3, config.uploadsBucket, limit, undefined, page);
        return { ...listed, entries: listed.entries.map((entry) => boundEntry(entry, LIST_BOUNDS)) };
      }
      const entry = await getImportReport(s3, config.uploadsBucket, source);
      return { entries: entry ? [boundEntry(entry, SINGLE_BOUNDS)] : [] };
    },
  };
}
