import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listStoreSummaries, type StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import { type InventoryItem, queryStoreItems } from '#shared/inventory/table.ts';
import type { WebConfig } from './config.ts';
import { getImportReport, listRecentImportReports } from './import-reports.ts';
import { notFound } from './problem.ts';
import type { ImportReportEntry } from './reports.ts';
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
  /** The report of `source` (none yet: an empty list), else the newest `limit` reports. */
  importReports(query: { limit: number; source?: string | undefined }): Promise<ImportReportEntry[]>;
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
      if (items.length === 0) throw notFound(`There is no store named “${store}” with items.`);
      return items;
    },
    async importReports({ limit, source }) {
      if (!source) return listRecentImportReports(s3, config.uploadsBucket, limit);
      const entry = await getImportReport(s3, config.uploadsBucket, source);
      return entry ? [entry] : [];
    },
  };
}
