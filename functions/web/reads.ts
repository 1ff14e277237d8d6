import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { listStoreSummaries, type StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import { INVENTORY_ATTRIBUTES, type InventoryItem, queryStoreItems } from '#shared/inventory/table.ts';
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

/** The reads a page and its JSON twin share, so both always answer alike. */
export interface WebReads {
  /** Every store's summary, reused for the TTL. */
  summaries(): Promise<StoreSummary[]>;
  /** A store's items; a store without items is a 404. */
  storeItems(store: string): Promise<InventoryItem[]>;
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
async function storeHasItem(
  documentClient: DynamoDBDocumentClient,
  inventoryTable: string,
  store: string,
  item: string,
): Promise<boolean> {
  const found = await documentClient.send(
    new QueryCommand({
      TableName: inventoryTable,
      KeyConditionExpression: '#store = :store AND #item = :item',
      ExpressionAttributeNames: { '#store': INVENTORY_ATTRIBUTES.store, '#item': INVENTORY_ATTRIBUTES.item },
      ExpressionAttributeValues: { ':store': store, ':item': item },
      ProjectionExpression: '#item',
    }),
  );
  return (found.Items?.length ?? 0) > 0;
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
    async anyStoreHasItem(stores, item) {
      const lookups = [...stores].map((store) =>
        storeHasItem(documentClient, config.inventoryTable, store, item),
      );
      return (await Promise.all(lookups)).some(Boolean);
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
