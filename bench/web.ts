/**
 * Web benchmark: the dashboard's pages through the local HTTP API against the raw DynamoDB
 * reads those pages need, at the same concurrency, in the same run, with 100 stores × 1,000
 * items:
 *
 * - `GET /stores/{store}` (sorted, first page rendered, a sparkline per item) vs the paged
 *   Query of that store's partition and the first page's items' history Queries;
 * - `GET /` vs the paged Scan of the summaries table and the attention index's two Queries;
 * - `GET /api/attention` (the 100 newest items needing attention) vs those two Queries;
 * - `GET /search?item=` vs the Query of the item-stores index (the item is in every store).
 *
 * The data is written straight into the tables (bench/web-seed.ts); only the web function is
 * wired, so nothing recomputes during the runs.
 * Each side is a closed loop of `concurrency` clients for `seconds` in all, measured in
 * alternating rounds with the other side, after a warm-up.
 *
 * Target: each page's throughput ≥ 0.7 × its raw reads' throughput.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ATTENTION_LIMIT, SPARKLINE_CHANGES, STORE_PAGE_SIZE } from '../functions/web/controllers/pages.ts';
import { LOCAL_CREDENTIALS, startLocalCloud } from '../local/cloud.ts';
import { queryItemAcrossStores } from '../shared/inventory/table.ts';
import { queryAttention } from '../shared/stock/attention-table.ts';
import { queryItemHistory } from '../shared/stock/history-table.ts';
import type { BenchResult, BenchTarget } from './types.ts';
import { itemName, seedWebBench, storeName } from './web-seed.ts';

export interface BenchWebOptions {
  /** Stores on the dashboard. Default 100. */
  stores?: number;
  /** Items in the store whose page is measured. Default 1,000. */
  itemsPerStore?: number;
  /** Concurrent clients. Default 20. */
  concurrency?: number;
  /** Measured seconds per side. Default 5. */
  seconds?: number;
  /** Warm-up seconds per side (not measured). Default 1. */
  warmupSeconds?: number;
  log?: (line: string) => void;
}

export type { BenchResult, BenchTarget };

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const THROUGHPUT_RATIO_TARGET = 0.7;
const BENCH_STORE = storeName(0);
const SEARCHED_ITEM = itemName(42);
const CHANGES_PER_ITEM = 10;
/** The local stage's lowStockThreshold (serverless.yml's default). */
const LOW_STOCK_THRESHOLD = 5;

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

/** A closed loop: `concurrency` clients each issue the next request when the last one ends. */
async function closedLoop(
  request: () => Promise<void>,
  concurrency: number,
  seconds: number,
  latencies: number[] | undefined,
  errors: { count: number },
): Promise<number> {
  const started = performance.now();
  const until = started + seconds * 1000;
  const client = async () => {
    while (performance.now() < until) {
      const begun = performance.now();
      try {
        await request();
        latencies?.push(performance.now() - begun);
      } catch {
        errors.count += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return (performance.now() - started) / 1000;
}

function summarise(latencies: number[], seconds: number, errors: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
  };
}

/**
 * Measures two workloads in alternating rounds (A B, B A, …) so that a shared, noisy machine
 * slows both alike rather than whichever happened to run second.
 */
export async function compareLoads(
  a: () => Promise<void>,
  b: () => Promise<void>,
  options: { concurrency: number; seconds: number; warmupSeconds: number; rounds?: number },
): Promise<[LoadResult, LoadResult]> {
  const rounds = options.rounds ?? 4;
  const perRound = options.seconds / rounds;
  const ignored = { count: 0 };
  await closedLoop(a, options.concurrency, options.warmupSeconds, undefined, ignored);
  await closedLoop(b, options.concurrency, options.warmupSeconds, undefined, ignored);
  const sides = [a, b].map((request) => ({
    request,
    latencies: [] as number[],
    seconds: 0,
    errors: { count: 0 },
  }));
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      side.seconds += await closedLoop(
        side.request,
        options.concurrency,
        perRound,
        side.latencies,
        side.errors,
      );
    }
  }
  const [first, second] = sides.map((side) => summarise(side.latencies, side.seconds, side.errors.count));
  return [first as LoadResult, second as LoadResult];
}

export async function benchWeb(options: BenchWebOptions = {}): Promise<BenchResult> {
  const stores = options.stores ?? 100;
  const itemsPerStore = options.itemsPerStore ?? 1000;
  const concurrency = options.concurrency ?? 20;
  const seconds = options.seconds ?? 5;
  const warmupSeconds = options.warmupSeconds ?? 1;
  const log = options.log ?? (() => undefined);

  const dataDir = await mkdtemp(join(tmpdir(), 'bench-web-'));
  const cloud = await startLocalCloud({ dataDir, inMemory: true, verbose: false, functions: ['web'] });
  const documentClient = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: cloud.endpoints.endpoints.dynamodb,
      region: cloud.endpoints.region,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  try {
    log(`web: seeding ${stores} stores × ${itemsPerStore} items, their summaries and attention lists`);
    await seedWebBench(documentClient, cloud.tables, {
      stores,
      itemsPerStore,
      changesPerItem: CHANGES_PER_ITEM,
      lowStockThreshold: LOW_STOCK_THRESHOLD,
    });

    const http = cloud.endpoints.endpoints.http;
    const page = (path: string) => async () => {
      const response = await fetch(`${http}${path}`);
      await response.text();
      if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    };
    const rawQuery = async () => {
      let exclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const result = await documentClient.send(
          new QueryCommand({
            TableName: cloud.tables.inventory,
            KeyConditionExpression: '#store = :store',
            ProjectionExpression: '#item, #count, updatedAt, #source',
            ExpressionAttributeNames: {
              '#store': 'store',
              '#item': 'item',
              '#count': 'count',
              '#source': 'source',
            },
            ExpressionAttributeValues: { ':store': BENCH_STORE },
            ExclusiveStartKey: exclusiveStartKey,
          }),
        );
        exclusiveStartKey = result.LastEvaluatedKey;
      } while (exclusiveStartKey);
    };
    const rawScan = async () => {
      let exclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const result = await documentClient.send(
          new ScanCommand({ TableName: cloud.tables.storeSummaries, ExclusiveStartKey: exclusiveStartKey }),
        );
        exclusiveStartKey = result.LastEvaluatedKey;
      } while (exclusiveStartKey);
    };
    // The store page's other reads: the first page's items' recent changes, one Query each.
    const firstPage = Array.from({ length: Math.min(STORE_PAGE_SIZE, itemsPerStore) }, (_, index) =>
      itemName(index),
    );
    const rawStoreReads = async () => {
      await Promise.all([
        rawQuery(),
        ...firstPage.map((item) =>
          queryItemHistory(documentClient, cloud.tables.stockHistory, BENCH_STORE, item, {
            limit: SPARKLINE_CHANGES,
          }),
        ),
      ]);
    };
    const rawAttention = () =>
      queryAttention(documentClient, cloud.tables.stockAttention, { stores: 'all', limit: ATTENTION_LIMIT });
    const rawDashboardReads = async () => {
      await Promise.all([rawScan(), rawAttention()]);
    };
    const rawSearch = async () => {
      await queryItemAcrossStores(documentClient, cloud.tables.inventory, SEARCHED_ITEM);
    };

    const load = { concurrency, seconds, warmupSeconds };
    log('web: GET /stores/{store} vs its raw reads (the Query and the sparklines’ Queries)');
    const [storePage, storeRaw] = await compareLoads(page(`/stores/${BENCH_STORE}`), rawStoreReads, load);
    log('web: GET / vs its raw reads (the Scan of the summaries and the attention Queries)');
    const [dashboard, dashboardRaw] = await compareLoads(page('/'), rawDashboardReads, load);
    log('web: GET /api/attention vs its raw Queries');
    const [attention, attentionRaw] = await compareLoads(
      page('/api/attention'),
      async () => {
        await queryAttention(documentClient, cloud.tables.stockAttention, { stores: 'all', limit: 100 });
      },
      load,
    );
    log('web: GET /search vs the raw Query of the item-stores index');
    const [search, searchRaw] = await compareLoads(
      page(`/search?item=${encodeURIComponent(SEARCHED_ITEM)}`),
      rawSearch,
      load,
    );

    const storeRatio = storePage.requestsPerSecond / storeRaw.requestsPerSecond;
    const dashboardRatio = dashboard.requestsPerSecond / dashboardRaw.requestsPerSecond;
    const attentionRatio = attention.requestsPerSecond / attentionRaw.requestsPerSecond;
    const searchRatio = search.requestsPerSecond / searchRaw.requestsPerSecond;
    const metrics: Record<string, number> = {};
    const results = {
      storePage,
      storeRaw,
      dashboard,
      dashboardRaw,
      attention,
      attentionRaw,
      search,
      searchRaw,
    };
    for (const [name, result] of Object.entries(results)) {
      metrics[`${name}RequestsPerSecond`] = Number(result.requestsPerSecond.toFixed(1));
      metrics[`${name}P50Ms`] = Number(result.p50Ms.toFixed(2));
      metrics[`${name}P99Ms`] = Number(result.p99Ms.toFixed(2));
      metrics[`${name}Errors`] = result.errors;
    }
    metrics.storePageThroughputRatio = Number(storeRatio.toFixed(3));
    metrics.dashboardThroughputRatio = Number(dashboardRatio.toFixed(3));
    metrics.attentionThroughputRatio = Number(attentionRatio.toFixed(3));
    metrics.searchThroughputRatio = Number(searchRatio.toFixed(3));
    return {
      name: 'web',
      metrics,
      targets: [
        {
          name: `GET /stores/{store} (${itemsPerStore} items) throughput vs its raw reads (Query + ${firstPage.length} sparkline Queries)`,
          value: metrics.storePageThroughputRatio,
          target: `≥ ${THROUGHPUT_RATIO_TARGET}`,
          pass: storeRatio >= THROUGHPUT_RATIO_TARGET && storePage.errors === 0,
        },
        {
          name: `GET / (${stores} stores, the ${ATTENTION_LIMIT} newest needing attention) throughput vs its raw reads (Scan + attention Queries)`,
          value: metrics.dashboardThroughputRatio,
          target: `≥ ${THROUGHPUT_RATIO_TARGET}`,
          pass: dashboardRatio >= THROUGHPUT_RATIO_TARGET && dashboard.errors === 0,
        },
        {
          name: `GET /api/attention (100 newest of ${stores} stores × ${itemsPerStore} items) throughput vs its raw Queries`,
          value: metrics.attentionThroughputRatio,
          target: `≥ ${THROUGHPUT_RATIO_TARGET}`,
          pass: attentionRatio >= THROUGHPUT_RATIO_TARGET && attention.errors === 0,
        },
        {
          name: `GET /search (an item in ${stores} stores) throughput vs the raw Query of the item-stores index`,
          value: metrics.searchThroughputRatio,
          target: `≥ ${THROUGHPUT_RATIO_TARGET}`,
          pass: searchRatio >= THROUGHPUT_RATIO_TARGET && search.errors === 0,
        },
      ],
      notes: [
        `${concurrency} concurrent clients, ${seconds} s measured per side in alternating rounds, after ${warmupSeconds} s of warm-up.`,
        `Dashboard p99 ${metrics.dashboardP99Ms} ms for ${stores} stores; store page p99 ${metrics.storePageP99Ms} ms for ${itemsPerStore} items; search p99 ${metrics.searchP99Ms} ms.`,
        `Seeded straight into the tables (no stream consumer runs during the runs): ${stores} × ${itemsPerStore} items (1 in 25 out of stock, 5 in 25 low), their summaries and attention entries, and ${CHANGES_PER_ITEM} changes for each item of the measured store.`,
        'The pages run in-process in the local cloud (like a warm Lambda container), behind its HTTP API.',
      ],
    };
  } finally {
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
