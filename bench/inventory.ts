/**
 * Inventory benchmark: import throughput against references measured in the same run, the
 * importer's memory as files grow, and out-of-stock alert latency.
 *
 * - import: upload a CSV to the local S3, time the handler from its report
 *   (`finishedAt − startedAt`: both streamed passes, parse, validation, writes).
 * - raw batch: the same kind of items written straight to DynamoDB Local with
 *   BatchWriteItem, 25 per request, at the importer's concurrency — the ceiling.
 * - per-row puts: one PutItem per row, one at a time, as the classic lab's loader does.
 * - memory: peak RSS of this process (the handler runs in it) while importing the small
 *   and the large file, each above the RSS just before its upload.
 * - alert latency: an item's count is set to 0 with PutItem; time until the message is in
 *   the SNS outbox. Includes the stream's batch window (1 s).
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { inventoryImportReportSchema } from '../functions/import-inventory/report.ts';
import { LOCAL_CREDENTIALS, startLocalCloud } from '../local/cloud.ts';
import type { LocalCloud } from '../local/types.ts';

export interface InventoryBenchOptions {
  /** Import sizes in rows for the memory check; RSS growth is from the first to the last. */
  importRows?: number[];
  /** Rows per round of the throughput comparison (import vs raw BatchWriteItem). */
  ratioRows?: number;
  /** Alternating rounds of the comparison; the median ratio is kept (the machine is noisy). */
  rounds?: number;
  /** Rows for the one-PutItem-per-row reference. */
  perRowPutRows?: number;
  /** The importer's write concurrency (its default), used for the raw reference too. */
  concurrency?: number;
  alertSamples?: number;
  log?: (line: string) => void;
}

export interface Throughput {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

export interface InventoryBenchResult {
  rounds: { import: Throughput; rawBatch: Throughput; ratio: number }[];
  perRowPut: Throughput;
  memory: (Throughput & { peakRssGrowthMb: number })[];
  ratios: { importVsRawBatch: number; importVsPerRowPut: number };
  rssGrowthMb: number;
  alertLatencyMs: { samples: number; median: number; p95: number };
  targets: { importVsRawBatch: number; importVsPerRowPut: number; rssGrowthMb: number };
  passed: { importVsRawBatch: boolean; importVsPerRowPut: boolean; rssGrowthMb: boolean };
}

const TARGETS = { importVsRawBatch: 0.8, importVsPerRowPut: 5, rssGrowthMb: 50 };
const MB = 1024 * 1024;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

export async function benchInventory(options: InventoryBenchOptions = {}): Promise<InventoryBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const importRows = options.importRows ?? [10_000, 500_000];
  const ratioRows = options.ratioRows ?? 50_000;
  const concurrency = options.concurrency ?? 6;
  const workDir = await mkdtemp(join(tmpdir(), 'stockroom-bench-'));
  const run = Date.now().toString(36);
  try {
    // Phase 1, throughput and memory: only the importer is wired. Stream consumers run in
    // this same process and would blur its RSS (and share the CPU with it unevenly).
    const phase1 = await withCloud(workDir, ['importInventory'], async (cloud) => {
      const context = contextFor(cloud, workDir, run, log);
      // DynamoDB Local is a JVM: its JIT needs thousands of requests before its speed
      // settles, so both paths are warmed before anything is timed.
      log('inventory: warming up');
      await writeRawBatches(context, 20_000, concurrency, 'warmup-raw');
      await importCsv(context, 5000, 'warmup');

      const rounds: InventoryBenchResult['rounds'] = [];
      for (let round = 0; round < (options.rounds ?? 3); round += 1) {
        const imported = await importCsv(context, ratioRows, `round-${round}`);
        const rawBatch = await writeRawBatches(context, ratioRows, concurrency, `raw-${round}`);
        const ratio = imported.rowsPerSecond / rawBatch.rowsPerSecond;
        rounds.push({ import: imported, rawBatch, ratio });
        log(
          `inventory: round ${round + 1}: import ${imported.rowsPerSecond.toFixed(0)} rows/s, ` +
            `raw BatchWriteItem ${rawBatch.rowsPerSecond.toFixed(0)} rows/s (× ${ratio.toFixed(2)})`,
        );
      }
      const perRowPut = await putRowByRow(context, options.perRowPutRows ?? 10_000);
      log(`inventory: one PutItem per row: ${perRowPut.rowsPerSecond.toFixed(0)} rows/s`);

      const memory: InventoryBenchResult['memory'] = [];
      for (const rows of importRows) {
        const result = await importCsv(context, rows, `memory-${rows}`);
        memory.push(result);
        log(
          `inventory: import ${rows} rows: ${result.rowsPerSecond.toFixed(0)} rows/s, ` +
            `peak RSS +${result.peakRssGrowthMb.toFixed(1)} MB`,
        );
      }
      return { rounds, perRowPut, memory };
    });

    // Phase 2, alert latency: the alerts function alone on a fresh table.
    const alertLatencyMs = await withCloud(workDir, ['stockAlerts'], (cloud) =>
      measureAlertLatency(contextFor(cloud, workDir, run, log), options.alertSamples ?? 20),
    );
    log(`inventory: alert latency median ${alertLatencyMs.median} ms, p95 ${alertLatencyMs.p95} ms`);

    const { rounds, perRowPut, memory } = phase1;
    const importRate = median(rounds.map((round) => round.import.rowsPerSecond));
    const ratios = {
      importVsRawBatch: median(rounds.map((round) => round.ratio)),
      importVsPerRowPut: importRate / perRowPut.rowsPerSecond,
    };
    const rssGrowthMb = (memory.at(-1)?.peakRssGrowthMb ?? 0) - (memory[0]?.peakRssGrowthMb ?? 0);
    return {
      rounds,
      perRowPut,
      memory,
      ratios,
      rssGrowthMb,
      alertLatencyMs,
      targets: TARGETS,
      passed: {
        importVsRawBatch: ratios.importVsRawBatch >= TARGETS.importVsRawBatch,
        importVsPerRowPut: ratios.importVsPerRowPut >= TARGETS.importVsPerRowPut,
        rssGrowthMb: rssGrowthMb < TARGETS.rssGrowthMb,
      },
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

let cloudPorts: { s3: number; dynamodb: number; aws: number; http: number } | undefined;

async function withCloud<T>(
  workDir: string,
  functions: string[],
  body: (cloud: LocalCloud) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(join(workDir, 'cloud-'));
  // Later clouds in this process reuse the first one's ports: the handler modules, loaded
  // once, keep their clients for those endpoints.
  const cloud = await startLocalCloud({
    dataDir,
    inMemory: true,
    verbose: false,
    functions,
    ports: cloudPorts,
  });
  const port = (url: string) => Number(new URL(url).port);
  const { endpoints } = cloud.endpoints;
  cloudPorts ??= {
    s3: port(endpoints.s3),
    dynamodb: port(endpoints.dynamodb),
    aws: port(endpoints.sns),
    http: port(endpoints.http),
  };
  try {
    return await body(cloud);
  } finally {
    await cloud.stop();
  }
}

function contextFor(
  cloud: LocalCloud,
  workDir: string,
  run: string,
  log: (line: string) => void,
): BenchContext {
  const { region, endpoints } = cloud.endpoints;
  return {
    cloud,
    s3: new S3Client({
      region,
      credentials: LOCAL_CREDENTIALS,
      endpoint: endpoints.s3,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    dynamoDb: new DynamoDBClient({ region, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.dynamodb }),
    workDir,
    run,
    log,
  };
}

interface BenchContext {
  cloud: LocalCloud;
  s3: S3Client;
  dynamoDb: DynamoDBClient;
  workDir: string;
  run: string;
  log: (line: string) => void;
}

/** Counts above 0, so the rows raise no alerts; 50 stores, items unique per run. */
const benchRow = (run: string, label: string, i: number) =>
  ({ store: `bench-${run}-${label}-${i % 50}`, item: `sku-${i}`, count: 1 + (i % 97) }) as const;

async function importCsv(
  context: BenchContext,
  rows: number,
  label: string,
): Promise<Throughput & { peakRssGrowthMb: number }> {
  const { cloud, s3, workDir, run } = context;
  const path = join(workDir, `${label}.csv`);
  // Written in slices, never held whole: the bench process is also the one whose RSS is measured.
  const out = createWriteStream(path);
  out.write('store,item,count\n');
  for (let start = 0; start < rows; start += 10_000) {
    let slice = '';
    for (let i = start; i < Math.min(rows, start + 10_000); i += 1) {
      const row = benchRow(run, label, i);
      slice += `${row.store},${row.item},${row.count}\n`;
    }
    if (!out.write(slice)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const key = `inventory/bench-${run}-${label}.csv`;
  const bucket = cloud.endpoints.buckets.uploads;

  // The upload is the client's work (the local S3 runs in this process too): memory is
  // measured from the moment it completes, which is when the import starts.
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: (await stat(path)).size,
    }),
  );
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  try {
    const deadline = Date.now() + 900_000;
    for (;;) {
      const report = await readReport(s3, bucket, key);
      if (report) {
        if (report.status !== 'completed')
          throw new Error(`bench import ${label} ended ${report.status}: ${report.detail}`);
        const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
        return { rows, seconds, rowsPerSecond: rows / seconds, peakRssGrowthMb: (peak - baseline) / MB };
      }
      if (Date.now() > deadline) throw new Error(`bench import ${label} wrote no report`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    clearInterval(sampler);
  }
}

async function readReport(s3: S3Client, bucket: string, key: string) {
  try {
    const output = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `reports/inventory/${key}.json` }),
    );
    return inventoryImportReportSchema.parse(JSON.parse((await output.Body?.transformToString()) ?? ''));
  } catch {
    return undefined;
  }
}

/** The same item an import writes, `source` map included, so both paths store the same bytes. */
const itemOf = (row: ReturnType<typeof benchRow>, updatedAt: string) => ({
  store: { S: row.store },
  item: { S: row.item },
  count: { N: String(row.count) },
  updatedAt: { S: updatedAt },
  source: {
    M: {
      bucket: { S: 'stockroom-local-uploads-000000000000-us-east-1' },
      key: { S: 'inventory/bench-reference.csv' },
      etag: { S: '0123456789abcdef0123456789abcdef' },
    },
  },
});

async function writeRawBatches(
  context: BenchContext,
  rows: number,
  concurrency: number,
  label = 'raw',
): Promise<Throughput> {
  const { cloud, dynamoDb, run } = context;
  const table = cloud.tables.inventory;
  const updatedAt = new Date().toISOString();
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < rows) {
      const first = next;
      next = Math.min(rows, next + 25);
      let requests: WriteRequest[] = [];
      for (let i = first; i < next; i += 1)
        requests.push({ PutRequest: { Item: itemOf(benchRow(run, label, i), updatedAt) } });
      while (requests.length > 0) {
        const output = await dynamoDb.send(
          new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
        );
        requests = output.UnprocessedItems?.[table] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { rows, seconds, rowsPerSecond: rows / seconds };
}

async function putRowByRow(context: BenchContext, rows: number): Promise<Throughput> {
  const { cloud, dynamoDb, run } = context;
  const updatedAt = new Date().toISOString();
  const started = performance.now();
  for (let i = 0; i < rows; i += 1) {
    await dynamoDb.send(
      new PutItemCommand({
        TableName: cloud.tables.inventory,
        Item: itemOf(benchRow(run, 'put', i), updatedAt),
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  return { rows, seconds, rowsPerSecond: rows / seconds };
}

async function measureAlertLatency(
  context: BenchContext,
  samples: number,
): Promise<InventoryBenchResult['alertLatencyMs']> {
  const { cloud, dynamoDb, run } = context;
  const table = cloud.tables.inventory;
  const latencies: number[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    const store = `bench-${run}-alert`;
    const item = `alert-${sample}`;
    const put = (count: number) =>
      dynamoDb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            store: { S: store },
            item: { S: item },
            count: { N: String(count) },
            updatedAt: { S: new Date().toISOString() },
          },
        }),
      );
    await put(5);
    const started = performance.now();
    await put(0);
    const deadline = Date.now() + 30_000;
    while (
      !cloud
        .snsMessages()
        .some(
          (m) =>
            m.messageAttributes.store?.StringValue === store &&
            m.messageAttributes.item?.StringValue === item,
        )
    ) {
      if (Date.now() > deadline) throw new Error(`no alert for ${item} within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0);
  return { samples, median: at(0.5), p95: at(0.95) };
}

// `tsx bench/inventory.ts` runs it alone; `npm run bench` imports benchInventory.
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchInventory();
  console.log(JSON.stringify(result, null, 2));
}
