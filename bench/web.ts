/**
 * Web benchmark: the dashboard's two pages through the local HTTP API against the raw
 * DynamoDB reads those pages need, at the same concurrency, in the same run.
 *
 * - `GET /stores/{store}` for a store of 1,000 items (sorted, first page rendered) vs the
 *   paged Query of that store's partition.
 * - `GET /` for 100 stores vs the paged Scan of the summaries table.
 *
 * The dashboard only ever reads the summaries table, so the 100 stores' summaries are written
 * straight into it (one full 1,000-item store is written to the inventory table for the store
 * page); the storeSummaries function is not wired, so nothing recomputes during the runs.
 * Each side is a closed loop of `concurrency` clients for `seconds` in all, measured in
 * alternating rounds with the other side, after a warm-up.
 *
 * Target: each page's throughput ≥ 0.7 × its raw reads' throughput.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, startLocalCloud } from '../local/cloud.ts';
import type { BenchResult, BenchTarget } from './types.ts';

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
const BENCH_STORE = 'bench-store-000';

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

async function batchWrite(
  documentClient: DynamoDBDocumentClient,
  table: string,
  items: Record<string, unknown>[],
): Promise<void> {
  const chunks: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) chunks.push(items.slice(start, start + 25));
  // A few writers at once; unprocessed items are retried until none are left.
  let next = 0;
  const writer = async () => {
    while (next < chunks.length) {
      let pending = (chunks[next++] ?? []).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const result = await documentClient.send(
          new BatchWriteCommand({ RequestItems: { [table]: pending } }),
        );
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, writer));
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
    log(`web: seeding ${itemsPerStore} items and ${stores} store summaries`);
    const updatedAt = new Date().toISOString();
    await batchWrite(
      documentClient,
      cloud.tables.inventory,
      Array.from({ length: itemsPerStore }, (_, index) => ({
        store: BENCH_STORE,
        item: `item-${String(index).padStart(5, '0')}`,
        count: index % 25,
        updatedAt,
        source: { bucket: 'bench', key: 'inventory/bench.csv', etag: '"bench"' },
      })),
    );
    await batchWrite(
      documentClient,
      cloud.tables.storeSummaries,
      Array.from({ length: stores }, (_, index) => ({
        store: `bench-store-${String(index).padStart(3, '0')}`,
        itemCount: itemsPerStore,
        totalUnits: itemsPerStore * 12,
        outOfStockCount: Math.floor(itemsPerStore / 25),
        lastUpdatedAt: updatedAt,
        computedAt: updatedAt,
      })),
    );

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

    const load = { concurrency, seconds, warmupSeconds };
    log('web: GET /stores/{store} vs raw Query');
    const [storePage, storeRaw] = await compareLoads(page(`/stores/${BENCH_STORE}`), rawQuery, load);
    log('web: GET / vs raw Scan');
    const [dashboard, dashboardRaw] = await compareLoads(page('/'), rawScan, load);

    const storeRatio = storePage.requestsPerSecond / storeRaw.requestsPerSecond;
    const dashboardRatio = dashboard.requestsPerSecond / dashboardRaw.requestsPerSecond;
    const metrics: Record<string, number> = {};
    for (const [name, result] of Object.entries({ storePage, storeRaw, dashboard, dashboardRaw })) {
      metrics[`${name}RequestsPerSecond`] = Number(result.requestsPerSecond.toFixed(1));
      metrics[`${name}P50Ms`] = Number(result.p50Ms.toFixed(2));
      metrics[`${name}P99Ms`] = Number(result.p99Ms.toFixed(2));
      metrics[`${name}Errors`] = result.errors;
    }
    metrics.storePageThroughputRatio = Number(storeRatio.toFixed(3));
    metrics.dashboardThroughputRatio = Number(dashboardRatio.toFixed(3));
    return {
      name: 'web',
      metrics,
      targets: [
        {
          name: `GET /stores/{store} (${itemsPerStore} items) throughput vs raw Query`,
          value: metrics.storePageThroughputRatio,
          target: `≥ ${THROUGHPUT_RATIO_TARGET}`,
          pass: storeRatio >= THROUGHPUT_RATIO_TARGET && storePage.errors === 0,
        },
        {
          name: `GET / (${stores} stores) throughput vs raw Scan of the summaries`,
          value: metrics.dashboardThroughputRatio,
          target: `≥ ${THROUGHPUT_RATIO_TARGET}`,
          pass: dashboardRatio >= THROUGHPUT_RATIO_TARGET && dashboard.errors === 0,
        },
      ],
      notes: [
        `${concurrency} concurrent clients, ${seconds} s measured per side in alternating rounds, after ${warmupSeconds} s of warm-up.`,
        `Dashboard p99 ${metrics.dashboardP99Ms} ms for ${stores} stores; store page p99 ${metrics.storePageP99Ms} ms for ${itemsPerStore} items.`,
        'The pages run in-process in the local cloud (like a warm Lambda container), behind its HTTP API.',
      ],
    };
  } finally {
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
