/**
 * Inventory benchmark: import throughput against references measured in the same run, the
 * importer's memory as files grow, out-of-stock alert latency, and how long users wait
 * for an import to be "settled" with every function wired.
 *
 * Phases (`phases`, default all three):
 * - `importer` — the importer alone (no stream consumer wired), in an in-memory cloud:
 *   - import: upload a CSV to the local S3, time the handler from its report
 *     (`finishedAt − startedAt`: both streamed passes, parse, validation, writes).
 *   - raw batch: the same kind of items written straight to DynamoDB Local with
 *     BatchWriteItem, 25 per request, at the importer's concurrency — the ceiling.
 *   - per-row puts: one PutItem per row, one at a time, as the classic lab's loader does.
 *   - memory (three rounds; the median growth counts): each file is imported by the handler
 *     in a Node process of its own, as a Lambda instance would run it (`--import tsx` to run
 *     TypeScript is the only flag: no GC flags, no `global.gc()`), and that process reports
 *     its peak RSS (VmHWM). A round's growth is its large import's peak minus its small one's:
 *     what the file's size adds. This process (the local S3 serving the file, DynamoDB
 *     Local's client, the bench itself) is not counted: a function does not host the cloud it
 *     talks to. Lambda's own runtime starts Node with a young generation sized from the
 *     function's memory (`--max-semi-space-size`, 51 MB at 1024 MB); with that flag the
 *     young generation alone grows by about 90 MB over a long import (see docs/benchmarks.md).
 *   These figures say how fast rows reach the table, not how soon users see the result.
 * - `alerts` — alert latency, stockAlerts alone: an item's count is set to 0 with PutItem;
 *   time until the message is in the SNS outbox. Includes the stream's batch window (1 s).
 * - `settled` — what users wait for, every function wired as `npm start` wires them (on-disk
 *   DynamoDB): two generated files (`settledRows` rows, 50 stores, 1 row in 100 at count 0),
 *   one with each store's rows together and one with the stores interleaved, each uploaded
 *   under `inventory/` and timed to its report and to "settled" (report completed, every
 *   alert published, every store summary equal to a recount of the table); the interleaved
 *   file is then uploaded again. Measured against raw BatchWriteItem of as many rows, at the
 *   importer's concurrency, in an on-disk cloud with no function wired. See
 *   bench/inventory-settled.ts.
 *
 * `npm run bench -- inventory` runs every phase at full size and records the results in
 * docs/benchmarks.md. For development, the settled phase alone, small (printed, not recorded):
 *
 *   npm run bench -- inventory --phases=settled --settled-rows=20000
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalCloud } from '../local/types.ts';
import { inventoryImportReportSchema } from '../shared/inventory/report.ts';
import { peakRssMb } from './peak-rss.ts';
import type { ImporterAloneResult, InventoryBenchResult, MemoryRun, Throughput } from './types.ts';

// The local cloud is loaded only by the bench itself, never by the import process it starts
// (which must hold what a function holds, and nothing else).
const localCloud = () => import('../local/cloud.ts');

export const INVENTORY_PHASES = ['importer', 'alerts', 'settled'] as const;
export type InventoryPhase = (typeof INVENTORY_PHASES)[number];

/** How the importer-alone figures are named wherever they appear (log, result, docs). */
export const IMPORTER_ALONE = 'importer alone (no stream consumer wired)';

export interface InventoryBenchOptions {
  /** Which phases run; default all (see the top of this file). */
  phases?: readonly InventoryPhase[];
  /** Import sizes in rows for the memory check; RSS growth is from the first to the last. */
  importRows?: number[];
  /**
   * Times the memory check is made (each a fresh process per size); the growth reported is
   * the median of the rounds'. Default 3: where V8's full collections fall moves one
   * process's peak by tens of MB from run to run.
   */
  memoryRounds?: number;
  /** Rows per round of the throughput comparison (import vs raw BatchWriteItem). */
  ratioRows?: number;
  /** Alternating rounds of the comparison; the median ratio is kept (the machine is noisy). */
  rounds?: number;
  /** Rows for the one-PutItem-per-row reference. */
  perRowPutRows?: number;
  /** The importer's write concurrency (its default), used for the raw references too. */
  concurrency?: number;
  alertSamples?: number;
  /** Rows of each settled-phase file (default 200,000; a multiple of its 50 stores). */
  settledRows?: number;
  /** How often the settled phase looks at the report, the alerts and the summaries (ms). */
  settledPollMs?: number;
  /** How long one settled-phase import may take to settle before it is reported as not settled (ms). */
  settledTimeoutMs?: number;
  log?: (line: string) => void;
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
  const phases = new Set<InventoryPhase>(options.phases ?? INVENTORY_PHASES);
  const concurrency = options.concurrency ?? 6;
  const workDir = await mkdtemp(join(tmpdir(), 'stockroom-bench-'));
  const run = Date.now().toString(36);
  try {
    const importerAlone = phases.has('importer')
      ? await benchImporterAlone(workDir, run, { ...options, concurrency }, log)
      : undefined;

    // Alert latency: the alerts function alone on a fresh table.
    let alertLatencyMs: InventoryBenchResult['alertLatencyMs'];
    if (phases.has('alerts')) {
      alertLatencyMs = await withCloud(workDir, ['stockAlerts'], async (cloud) =>
        measureAlertLatency(await contextFor(cloud, workDir, run, log), options.alertSamples ?? 20),
      );
      log(
        `inventory: alert latency (stockAlerts alone) median ${alertLatencyMs.median} ms, p95 ${alertLatencyMs.p95} ms`,
      );
    }

    // Loaded here only: the import process this file starts must not load it.
    const settled = phases.has('settled')
      ? await (await import('./inventory-settled.ts')).benchSettled({
          workDir,
          run,
          log,
          concurrency,
          rows: options.settledRows ?? 200_000,
          pollMs: options.settledPollMs ?? 250,
          timeoutMs: options.settledTimeoutMs ?? 3_600_000,
        })
      : undefined;

    const passed = [
      ...Object.values(importerAlone?.passed ?? {}),
      ...Object.values(settled?.passed ?? {}),
    ].every(Boolean);
    return {
      ...(importerAlone && { importerAlone }),
      ...(alertLatencyMs && { alertLatencyMs }),
      ...(settled && { settled }),
      passed,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Throughput and memory with only the importer wired: stream consumers run in this same
 * process and would share the CPU with it unevenly. The memory imports run in processes
 * of their own, against this cloud.
 */
async function benchImporterAlone(
  workDir: string,
  run: string,
  options: InventoryBenchOptions & { concurrency: number },
  log: (line: string) => void,
): Promise<ImporterAloneResult> {
  const { concurrency } = options;
  const ratioRows = options.ratioRows ?? 50_000;
  const say = (line: string) => log(`inventory, ${IMPORTER_ALONE}: ${line}`);
  const measured = await withCloud(workDir, ['importInventory'], async (cloud) => {
    const context = await contextFor(cloud, workDir, run, log);
    // DynamoDB Local is a JVM: its JIT needs thousands of requests before its speed
    // settles, so both paths are warmed before anything is timed.
    say('warming up');
    await writeRawBatches(context, 20_000, concurrency, 'warmup-raw');
    await importCsv(context, 5000, 'warmup');

    const rounds: ImporterAloneResult['rounds'] = [];
    for (let round = 0; round < (options.rounds ?? 3); round += 1) {
      const imported = await importCsv(context, ratioRows, `round-${round}`);
      const rawBatch = await writeRawBatches(context, ratioRows, concurrency, `raw-${round}`);
      const ratio = imported.rowsPerSecond / rawBatch.rowsPerSecond;
      rounds.push({ import: imported, rawBatch, ratio });
      say(
        `round ${round + 1}: import ${imported.rowsPerSecond.toFixed(0)} rows/s, ` +
          `raw BatchWriteItem ${rawBatch.rowsPerSecond.toFixed(0)} rows/s (× ${ratio.toFixed(2)})`,
      );
    }
    const perRowPut = await putRowByRow(context, options.perRowPutRows ?? 10_000);
    say(`one PutItem per row: ${perRowPut.rowsPerSecond.toFixed(0)} rows/s`);
    const importRows = options.importRows ?? [10_000, 500_000];
    const memory = await measureMemory(context, importRows, options.memoryRounds ?? 3, concurrency, say);
    return { rounds, perRowPut, ...memory };
  });

  const { rounds, perRowPut } = measured;
  const importRate = median(rounds.map((round) => round.import.rowsPerSecond));
  const ratios = {
    importVsRawBatch: median(rounds.map((round) => round.ratio)),
    importVsPerRowPut: importRate / perRowPut.rowsPerSecond,
  };
  const rssGrowthMb = median(measured.rssGrowthsMb);
  return {
    label: IMPORTER_ALONE,
    ...measured,
    ratios,
    rssGrowthMb,
    targets: TARGETS,
    passed: {
      importVsRawBatch: ratios.importVsRawBatch >= TARGETS.importVsRawBatch,
      importVsPerRowPut: ratios.importVsPerRowPut >= TARGETS.importVsPerRowPut,
      rssGrowthMb: rssGrowthMb < TARGETS.rssGrowthMb,
    },
  };
}

/** Peak RSS of each import size, in a process of its own, `memoryRounds` times. */
async function measureMemory(
  context: BenchContext,
  importRows: number[],
  memoryRounds: number,
  concurrency: number,
  say: (line: string) => void,
): Promise<Pick<ImporterAloneResult, 'memory' | 'rssGrowthsMb'>> {
  const memory: MemoryRun[] = [];
  const rssGrowthsMb: number[] = [];
  for (let round = 1; round <= memoryRounds; round += 1) {
    let smallestPeakMb: number | undefined;
    let growthMb = 0;
    for (const rows of importRows) {
      const run = await importInOwnProcess(context, rows, `memory-${rows}-${round}`, concurrency);
      smallestPeakMb ??= run.peakRssMb;
      growthMb = run.peakRssMb - smallestPeakMb;
      memory.push({ ...run, peakRssGrowthMb: growthMb, round });
      say(
        `memory round ${round}: import ${rows} rows in its own process: ${run.rowsPerSecond.toFixed(0)} rows/s, ` +
          `peak RSS ${run.peakRssMb.toFixed(1)} MB (${run.loadedRssMb.toFixed(1)} MB once loaded), ` +
          `+${growthMb.toFixed(1)} MB over the first`,
      );
    }
    rssGrowthsMb.push(growthMb);
  }
  return { memory, rssGrowthsMb };
}

let cloudPorts: { s3: number; dynamodb: number; aws: number; http: number; smtp?: number } | undefined;

/**
 * Runs `body` against a local cloud of its own, in a fresh data directory. `functions`:
 * the ones wired (undefined: every function, as `npm start` wires them). In memory unless
 * told otherwise (`npm start` keeps DynamoDB on disk).
 */
export async function withCloud<T>(
  workDir: string,
  functions: string[] | undefined,
  body: (cloud: LocalCloud) => Promise<T>,
  { inMemory = true }: { inMemory?: boolean } = {},
): Promise<T> {
  const dataDir = await mkdtemp(join(workDir, 'cloud-'));
  // Later clouds in this process reuse the first one's ports: the handler modules, loaded
  // once, keep their clients for those endpoints.
  const { startLocalCloud } = await localCloud();
  const cloud = await startLocalCloud({
    dataDir,
    inMemory,
    verbose: false,
    ...(functions && { functions }),
    ...(cloudPorts && { ports: cloudPorts }),
  });
  const port = (url: string) => Number(new URL(url).port);
  const { endpoints } = cloud.endpoints;
  cloudPorts ??= {
    s3: port(endpoints.s3),
    dynamodb: port(endpoints.dynamodb),
    aws: port(endpoints.sns),
    http: port(endpoints.http),
    // The local SMTP server (mail-in) listens too, whenever the stage has a mail domain.
    ...(endpoints.smtp ? { smtp: port(endpoints.smtp) } : {}),
  };
  try {
    return await body(cloud);
  } finally {
    await cloud.stop();
  }
}

export async function contextFor(
  cloud: LocalCloud,
  workDir: string,
  run: string,
  log: (line: string) => void,
): Promise<BenchContext> {
  const { LOCAL_CREDENTIALS } = await localCloud();
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
    credentials: LOCAL_CREDENTIALS,
    workDir,
    run,
    log,
  };
}

export interface BenchContext {
  cloud: LocalCloud;
  credentials: { accessKeyId: string; secretAccessKey: string };
  s3: S3Client;
  dynamoDb: DynamoDBClient;
  workDir: string;
  run: string;
  log: (line: string) => void;
}

/** Counts above 0, so the rows raise no alerts; 50 stores, items unique per run. */
const benchRow = (run: string, label: string, i: number) =>
  ({ store: `bench-${run}-${label}-${i % 50}`, item: `sku-${i}`, count: 1 + (i % 97) }) as const;

/** Writes a bench CSV of `rows` rows to disk, in slices (never held whole). */
async function writeCsv(context: BenchContext, rows: number, label: string): Promise<string> {
  const { workDir, run } = context;
  const path = join(workDir, `${label}.csv`);
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
  return path;
}

export async function upload(context: BenchContext, path: string, key: string): Promise<void> {
  await context.s3.send(
    new PutObjectCommand({
      Bucket: context.cloud.endpoints.buckets.uploads,
      Key: key,
      Body: createReadStream(path),
      ContentLength: (await stat(path)).size,
    }),
  );
}

/** Waits for an import's report; its times give the import's throughput. */
async function waitForReport(
  context: BenchContext,
  key: string,
  rows: number,
  label: string,
): Promise<Throughput> {
  const bucket = context.cloud.endpoints.buckets.uploads;
  const deadline = Date.now() + 900_000;
  for (;;) {
    const report = await readReport(context.s3, bucket, key);
    if (report) {
      if (report.status !== 'completed')
        throw new Error(`bench import ${label} ended ${report.status}: ${report.detail}`);
      const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
      return { rows, seconds, rowsPerSecond: rows / seconds };
    }
    if (Date.now() > deadline) throw new Error(`bench import ${label} wrote no report`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An upload under `inventory/`, imported by the function the local cloud runs on its S3 event. */
export async function importCsv(context: BenchContext, rows: number, label: string): Promise<Throughput> {
  const path = await writeCsv(context, rows, label);
  const key = `inventory/bench-${context.run}-${label}.csv`;
  await upload(context, path, key);
  return waitForReport(context, key, rows, label);
}

/** What the import process is told: which object to import. */
interface WorkerJob {
  bucket: string;
  key: string;
}

/** What it prints when done. */
interface WorkerReport {
  peakRssMb: number;
  loadedRssMb: number;
}

const self = fileURLToPath(import.meta.url);

/**
 * Imports a file with the handler in a process of its own, invoked with the S3 event a
 * Lambda instance would get. The key is outside `inventory/`, so the local cloud's own
 * notification does not import it too.
 */
async function importInOwnProcess(
  context: BenchContext,
  rows: number,
  label: string,
  concurrency: number,
): Promise<Throughput & WorkerReport> {
  const { cloud, workDir, credentials } = context;
  const path = await writeCsv(context, rows, label);
  const key = `bench/inventory-${context.run}-${label}.csv`;
  await upload(context, path, key);
  await rm(path, { force: true });
  const job: WorkerJob = { bucket: cloud.endpoints.buckets.uploads, key };
  const jobFile = join(workDir, `${label}.job.json`);
  await writeFile(jobFile, JSON.stringify(job));
  const { region, endpoints } = cloud.endpoints;
  // The function's configuration, in the child's own environment, as Lambda gives it.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: endpoints.sns,
    STOCKROOM_LOCAL_CLOUD: '1',
    UPLOADS_BUCKET: cloud.endpoints.buckets.uploads,
    INVENTORY_TABLE: cloud.tables.inventory,
    INVENTORY_WRITE_CONCURRENCY: String(concurrency),
    POWERTOOLS_SERVICE_NAME: 'import-inventory',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  delete env.NODE_OPTIONS;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--inventory-worker', jobFile], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`inventory bench worker (${label}) exited with ${code}`);
    const report = JSON.parse(output.trim().split('\n').at(-1) ?? '') as WorkerReport;
    return { ...(await waitForReport(context, key, rows, label)), ...report };
  } finally {
    await rm(jobFile, { force: true });
  }
}

/** The import process: loads the handler, imports one object, prints its peak RSS. */
async function worker(jobFile: string): Promise<void> {
  const job = JSON.parse(await readFile(jobFile, 'utf8')) as WorkerJob;
  const { handler } = await import('../functions/import-inventory/handler.ts');
  const loadedRssMb = process.memoryUsage().rss / MB;
  const event = {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: job.bucket }, object: { key: job.key } },
      },
    ],
  };
  const context = {
    functionName: 'importInventory',
    awsRequestId: 'bench',
    getRemainingTimeInMillis: () => 900_000,
  };
  await handler(event as never, context as never);
  const report: WorkerReport = { peakRssMb: await peakRssMb(), loadedRssMb };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

export async function readReport(s3: S3Client, bucket: string, key: string) {
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

export async function writeRawBatches(
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
): Promise<NonNullable<InventoryBenchResult['alertLatencyMs']>> {
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
if (process.argv[2] === '--inventory-worker' && process.argv[3]) {
  await worker(process.argv[3]);
  process.exit(0);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  // Not awaited at the top level: the settled phase's module imports this one, which must
  // have finished evaluating by then.
  void benchInventory().then((result) => console.log(JSON.stringify(result, null, 2)));
}
