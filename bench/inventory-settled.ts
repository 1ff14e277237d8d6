/**
 * The inventory bench's `settled` phase: how long users wait for an import to be right
 * everywhere, with every function wired as `npm start` wires them (DynamoDB on disk, both
 * stream consumers on).
 *
 * Two generated files of `rows` rows (`store,item,count`), 50 stores of rows/50 items, one
 * item in 100 at count 0 (2,000 at 200,000 rows):
 * - blocks: every row of a store together, one store after another;
 * - interleaved: row i belongs to store i mod 50, so every stream batch touches every store
 *   (the bad case for a per-store consumer).
 * Each file has stores of its own (`settled-<run>-<file>-<nn>`), so the checks of one never
 * see the other. They are imported one at a time into one cloud, after a warm-up import,
 * the cloud idle in between; then the interleaved file is uploaded again, under the same key.
 *
 * For each upload under `inventory/`, from the end of the PutObject:
 * - to the report: until the report's `finishedAt`, status `completed` (anything but
 *   `completed` or `handed_off` ends the wait, and fails the phase);
 * - settled: the first poll (every `pollMs`) at which the report is completed, every alert
 *   the file should raise is in the SNS outbox, and every store summary equals what the file
 *   put in the store. The table is then recounted (a Query of each store, summarised with
 *   the summaries' rule) and must agree; if it does not, the recount becomes what the
 *   summaries must equal and the polling goes on. Its resolution is one poll.
 * - then, once the cloud is idle, the alerts and summaries are checked again: a consumer
 *   that is right for a while and then wrong fails the phase.
 *
 * Alerts expected: a row at count 0 writes a new item at 0 (an INSERT, no old image), which
 * classifyStockTransition (shared/stock/transitions.ts) calls `out_of_stock`: one alert
 * each; a row above 0 is a new item in stock: none. The upload again changes no count
 * (0 → 0 and n → n are no news): none.
 *
 * The reference: raw BatchWriteItem of as many rows at the importer's concurrency, in a
 * cloud of its own, on disk too, with no function wired (nothing shares the machine).
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_REGION, LOCAL_STAGE } from '../local/cloud.ts';
import { loadServiceConfig } from '../local/service-config.ts';
import type { LocalCloud } from '../local/types.ts';
import type { ImportStatus, InventoryImportReport } from '../shared/inventory/report.ts';
import { queryStoreItems } from '../shared/inventory/table.ts';
import { isOutOfStock } from '../shared/stock/status.ts';
import {
  type BenchContext,
  contextFor,
  importCsv,
  readReport,
  upload,
  withCloud,
  writeRawBatches,
} from './inventory.ts';
import type {
  DirectImportFigures,
  InvocationStats,
  SettledImport,
  SettledResult,
  Throughput,
} from './types.ts';

export const SETTLED = 'settled (every function wired, as npm start)';
const STORES = 50;
/** Batches at least this large count for the storeSummaries batch target. */
const LARGE_BATCH = 400;
const TARGETS = { settledVsRaw: 0.5, reportVsRaw: 0.7, summariesLargeBatchP95Ms: 200 };
const WATCHED = ['storeSummaries', 'stockAlerts'] as const;
type Watched = (typeof WATCHED)[number];

export interface SettledOptions {
  workDir: string;
  run: string;
  rows: number;
  concurrency: number;
  pollMs: number;
  timeoutMs: number;
  log: (line: string) => void;
}

export async function benchSettled(options: SettledOptions): Promise<SettledResult> {
  const { workDir, run, rows, concurrency, log } = options;
  if (!Number.isInteger(rows) || rows <= 0 || rows % STORES !== 0)
    throw new Error(`settled rows must be a positive multiple of ${STORES}, not ${rows}`);
  const say = (line: string) => log(`inventory, ${SETTLED}: ${line}`);
  const warmupRows = Math.min(20_000, rows);
  const raw = await withCloud(
    workDir,
    [],
    async (cloud) => {
      const context = await contextFor(cloud, workDir, run, log);
      await writeRawBatches(context, warmupRows, concurrency, 'settled-raw-warmup');
      return writeRawBatches(context, rows, concurrency, 'settled-raw');
    },
    { inMemory: false },
  );
  say(`raw BatchWriteItem, DynamoDB on disk, nothing wired: ${Math.round(raw.rowsPerSecond)} rows/s`);

  const imports = await withCloud(
    workDir,
    undefined,
    async (cloud) => {
      const context = await contextFor(cloud, workDir, run, log);
      say('warming up');
      await importCsv(context, warmupRows, 'settled-warmup');
      await cloud.waitForIdle(options.timeoutMs);
      const measure = async (file: SettledFile, label: string, expectedAlerts: number) => {
        const figures = await measureUpload(context, file, label, expectedAlerts, raw, options);
        say(describe(figures));
        return figures;
      };
      const blocks = await writeSettledCsv(context, rows, 'blocks');
      const measured = [await measure(blocks, 'blocks', blocks.zeroRows)];
      const interleaved = await writeSettledCsv(context, rows, 'interleaved');
      measured.push(await measure(interleaved, 'interleaved', interleaved.zeroRows));
      // Again, same key, same content: no count changes, so no alert is expected.
      measured.push(await measure(interleaved, 'interleaved, uploaded again', 0));
      return measured;
    },
    { inMemory: false },
  );
  const direct = await directImportFigures(
    imports.find((figures) => figures.file === 'interleaved')?.bytesPerSecondToReport,
  );
  return { ...settledResult(rows, raw, imports, direct), pollMs: options.pollMs };
}

function settledResult(
  rows: number,
  raw: Throughput,
  imports: SettledImport[],
  directImport: DirectImportFigures,
): Omit<SettledResult, 'pollMs'> {
  const interleaved = imports.find((figures) => figures.file === 'interleaved');
  const largeP95 = interleaved?.invocations.storeSummaries.largeBatches.p95Ms ?? null;
  return {
    label: SETTLED,
    rows,
    stores: STORES,
    zeroRows: imports[0]?.alerts.expected ?? 0,
    raw,
    imports,
    directImport,
    targets: { ...TARGETS, largeBatchRecords: LARGE_BATCH },
    passed: {
      settledVsRaw: (interleaved?.ratios.settledVsRaw ?? 0) >= TARGETS.settledVsRaw,
      reportVsRaw: (interleaved?.ratios.reportVsRaw ?? 0) >= TARGETS.reportVsRaw,
      summariesLargeBatchP95Ms: largeP95 !== null && largeP95 < TARGETS.summariesLargeBatchP95Ms,
      everyImportCompleted: imports.every((figures) => figures.status === 'completed'),
      everyImportSettled: imports.every((figures) => figures.settledSeconds !== null),
      rightWhenIdle: imports.every(
        (figures) =>
          figures.summaryMismatchesWhenIdle === 0 &&
          figures.alerts.published === figures.alerts.expected &&
          figures.alerts.distinct === figures.alerts.expected,
      ),
    },
  };
}

/** A summary's counts, as the summaries table holds them and as a recount gives them. */
interface StoreCounts {
  itemCount: number;
  totalUnits: number;
  outOfStockCount: number;
}

/** The summaries' rule (shared/inventory/store-summaries-table.ts): units never below 0. */
function addCount(counts: StoreCounts, count: number): void {
  counts.itemCount += 1;
  counts.totalUnits += Math.max(0, count);
  if (isOutOfStock(count)) counts.outOfStockCount += 1;
}

const noCounts = (): StoreCounts => ({ itemCount: 0, totalUnits: 0, outOfStockCount: 0 });

interface SettledFile {
  path: string;
  key: string;
  bytes: number;
  rows: number;
  stores: string[];
  /** What the file puts in each store. */
  counts: Map<string, StoreCounts>;
  zeroRows: number;
}

/** One item in 100 at 0, spread over every store; the others 1–97. */
const settledCount = (store: number, item: number): number =>
  item % 100 === 0 ? 0 : 1 + ((store * 31 + item) % 97);

/** Writes a settled-phase CSV to disk, in slices, and what it puts in each store. */
async function writeSettledCsv(
  context: BenchContext,
  rows: number,
  order: 'blocks' | 'interleaved',
): Promise<SettledFile> {
  const perStore = rows / STORES;
  const name = `settled-${context.run}-${order}`;
  const stores = Array.from({ length: STORES }, (_, store) => `${name}-${String(store).padStart(2, '0')}`);
  const counts = new Map(stores.map((store) => [store, noCounts()]));
  const path = join(context.workDir, `${name}.csv`);
  const out = createWriteStream(path);
  out.write('store,item,count\n');
  let zeroRows = 0;
  for (let start = 0; start < rows; start += 10_000) {
    let slice = '';
    for (let i = start; i < Math.min(rows, start + 10_000); i += 1) {
      const store = order === 'blocks' ? Math.floor(i / perStore) : i % STORES;
      const item = order === 'blocks' ? i % perStore : Math.floor(i / STORES);
      const count = settledCount(store, item);
      const storeName = stores[store] as string;
      addCount(counts.get(storeName) as StoreCounts, count);
      if (isOutOfStock(count)) zeroRows += 1;
      slice += `${storeName},sku-${item},${count}\n`;
    }
    if (!out.write(slice)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const bytes = (await stat(path)).size;
  return { path, key: `inventory/${name}.csv`, bytes, rows, stores, counts, zeroRows };
}

/** Uploads a file as users do and follows it to its report, to settled, and to idle. */
async function measureUpload(
  context: BenchContext,
  file: SettledFile,
  label: string,
  expectedAlerts: number,
  raw: Throughput,
  options: SettledOptions,
): Promise<SettledImport> {
  const { cloud } = context;
  const since = Date.now();
  const alertsFrom = cloud.snsMessages().length;
  const watch = new InvocationWatch(cloud, since);
  watch.start(options.pollMs);
  try {
    await upload(context, file.path, file.key);
    const uploaded = Date.now();
    const followed = await untilSettled(context, file, { since, alertsFrom, expectedAlerts }, options);
    const { notes, report, settledAt } = followed;
    try {
      await cloud.waitForIdle(options.timeoutMs);
    } catch (error) {
      notes.push(`the cloud was not idle in time: ${(error as Error).message}`);
    }
    const alerts = alertsSince(cloud, new Set(file.stores), alertsFrom);
    const summaries = await readSummaries(context, file.stores);
    watch.stop();
    const toReport = report ? (Date.parse(report.finishedAt) - uploaded) / 1000 : null;
    const settled = settledAt === undefined ? null : (settledAt - uploaded) / 1000;
    const perSecond = (amount: number, seconds: number | null) => (seconds ? amount / seconds : null);
    const vsRaw = (rate: number | null) => (rate === null ? null : rate / raw.rowsPerSecond);
    const rowsToReport = perSecond(file.rows, toReport);
    const rowsSettled = perSecond(file.rows, settled);
    return {
      file: label,
      rows: file.rows,
      bytes: file.bytes,
      status: followed.status,
      uploadSeconds: (uploaded - since) / 1000,
      importSeconds: report ? (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000 : null,
      toReportSeconds: toReport,
      rowsPerSecondToReport: rowsToReport,
      bytesPerSecondToReport: perSecond(file.bytes, toReport),
      settledSeconds: settled,
      rowsPerSecondSettled: rowsSettled,
      ratios: { reportVsRaw: vsRaw(rowsToReport), settledVsRaw: vsRaw(rowsSettled) },
      alerts: { expected: expectedAlerts, ...alerts },
      summaryMismatchesWhenIdle: mismatches(followed.want, summaries),
      notes,
      invocations: { storeSummaries: watch.stats('storeSummaries'), stockAlerts: watch.stats('stockAlerts') },
    };
  } finally {
    watch.stop();
  }
}

interface Followed {
  status: ImportStatus | 'no report';
  report?: InventoryImportReport;
  settledAt?: number;
  /** What the summaries must equal: the recount of the table. */
  want: Map<string, StoreCounts>;
  notes: string[];
}

/** Polls the report, the outbox and the summaries until all three are right (or time runs out). */
async function untilSettled(
  context: BenchContext,
  file: SettledFile,
  upload: { since: number; alertsFrom: number; expectedAlerts: number },
  options: SettledOptions,
): Promise<Followed> {
  const { cloud, s3 } = context;
  const stores = new Set(file.stores);
  const notes: string[] = [];
  let want = file.counts;
  let report: InventoryImportReport | undefined;
  let waitingFor = 'the report';
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (!report) {
      const found = await readReport(s3, cloud.endpoints.buckets.uploads, file.key);
      // The same key's earlier report (an upload again) started before this upload.
      if (found && Date.parse(found.startedAt) >= upload.since) {
        if (found.status === 'completed') report = found;
        else if (found.status !== 'handed_off') {
          notes.push(`the import ended ${found.status}: ${found.reason ?? ''} ${found.detail ?? ''}`.trim());
          return { status: found.status, want, notes };
        } else if (!notes.some((note) => note.startsWith('handed off')))
          notes.push('handed off to Step Functions');
      }
    }
    if (report) {
      const alerts = alertsSince(cloud, stores, upload.alertsFrom);
      waitingFor = `${alerts.distinct} of ${upload.expectedAlerts} alerts`;
      if (alerts.distinct >= upload.expectedAlerts) {
        const summaries = await readSummaries(context, file.stores);
        const wrong = mismatches(want, summaries);
        waitingFor = `${wrong} of ${stores.size} store summaries still wrong`;
        if (wrong === 0) {
          const settledAt = Date.now();
          const recount = await recountStores(context, file.stores);
          if (mismatches(recount, summaries) === 0)
            return { status: 'completed', report, settledAt, want, notes };
          notes.push(
            `the table differs from the file in ${mismatches(recount, file.counts)} stores; summaries held to the recount`,
          );
          want = recount;
        }
      }
    }
    await sleep(options.pollMs);
  }
  notes.push(`not settled within ${options.timeoutMs / 1000} s: waiting for ${waitingFor}`);
  if (!report) return { status: 'no report', want, notes };
  // The summaries may equal a table that differs from the file: say so, and hold them to the table.
  const recount = await recountStores(context, file.stores);
  const differs = mismatches(recount, file.counts);
  if (differs > 0) notes.push(`the table differs from the file in ${differs} stores`);
  return { status: 'completed', report, want: recount, notes };
}

/** Alerts for the given stores published since `from` (a position in the outbox). */
function alertsSince(
  cloud: LocalCloud,
  stores: Set<string>,
  from: number,
): { published: number; distinct: number } {
  const items = new Set<string>();
  let published = 0;
  for (const message of cloud.snsMessages().slice(from)) {
    const { store, item, type } = message.messageAttributes;
    if (!store?.StringValue || !stores.has(store.StringValue)) continue;
    published += 1;
    if (type?.StringValue === 'out_of_stock') items.add(`${store.StringValue}\n${item?.StringValue}`);
  }
  return { published, distinct: items.size };
}

const documentClients = new WeakMap<BenchContext, DynamoDBDocumentClient>();
const documentClient = (context: BenchContext): DynamoDBDocumentClient => {
  const client = documentClients.get(context) ?? DynamoDBDocumentClient.from(context.dynamoDb);
  documentClients.set(context, client);
  return client;
};

/** The stores' summaries as the dashboard would read them (BatchGetItem, 100 keys a call). */
async function readSummaries(context: BenchContext, stores: string[]): Promise<Map<string, StoreCounts>> {
  const table = context.cloud.tables.storeSummaries;
  const found = new Map<string, StoreCounts>();
  for (let start = 0; start < stores.length; start += 100) {
    let keys: Record<string, unknown>[] | undefined = stores
      .slice(start, start + 100)
      .map((store) => ({ store }));
    while (keys && keys.length > 0) {
      const output: BatchGetCommandOutput = await documentClient(context).send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of output.Responses?.[table] ?? []) {
        const { itemCount, totalUnits, outOfStockCount } = item as Record<string, unknown>;
        found.set(String(item.store), {
          itemCount: Number(itemCount),
          totalUnits: Number(totalUnits),
          outOfStockCount: Number(outOfStockCount),
        });
      }
      keys = output.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return found;
}

/** Each store recounted from its items in the inventory table (strongly consistent Queries). */
async function recountStores(context: BenchContext, stores: string[]): Promise<Map<string, StoreCounts>> {
  const counts = new Map<string, StoreCounts>();
  for (const store of stores) {
    const items = await queryStoreItems(documentClient(context), context.cloud.tables.inventory, store, {
      consistentRead: true,
      withSource: false,
    });
    const recount = noCounts();
    for (const item of items) addCount(recount, item.count);
    counts.set(store, recount);
  }
  return counts;
}

/** Stores whose summary is missing or differs from what is wanted. */
function mismatches(want: Map<string, StoreCounts>, got: Map<string, StoreCounts>): number {
  let wrong = 0;
  for (const [store, counts] of want) {
    const found = got.get(store);
    const same =
      found?.itemCount === counts.itemCount &&
      found.totalUnits === counts.totalUnits &&
      found.outOfStockCount === counts.outOfStockCount;
    if (!same) wrong += 1;
  }
  return wrong;
}

interface SeenInvocation {
  durationMs: number;
  records: number | undefined;
  failed: boolean;
}

/**
 * Keeps the stream consumers' invocations that start after `since`. The local runtime keeps
 * the events of its newest 200 invocations only, so it is read every poll, before a batch's
 * event (its size) is dropped.
 */
class InvocationWatch {
  private readonly seen: Record<Watched, Map<string, SeenInvocation>> = {
    storeSummaries: new Map(),
    stockAlerts: new Map(),
  };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cloud: LocalCloud,
    private readonly since: number,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.collect(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.collect();
  }

  private collect(): void {
    for (const name of WATCHED) {
      for (const record of this.cloud.invocations(name)) {
        if (Date.parse(record.startedAt) < this.since || this.seen[name].has(record.requestId)) continue;
        const batch = (record.event as { Records?: unknown } | undefined)?.Records;
        this.seen[name].set(record.requestId, {
          durationMs: record.durationMs,
          records: Array.isArray(batch) ? batch.length : undefined,
          failed: record.outcome === 'error',
        });
      }
    }
  }

  stats(name: Watched): InvocationStats {
    const seen = [...this.seen[name].values()];
    const sized = seen.flatMap((invocation) =>
      invocation.records === undefined ? [] : [invocation.records],
    );
    const large = seen.filter((invocation) => (invocation.records ?? 0) >= LARGE_BATCH);
    const durations = seen.map((invocation) => invocation.durationMs);
    return {
      count: seen.length,
      errors: seen.filter((invocation) => invocation.failed).length,
      medianMs: percentile(durations, 0.5),
      p95Ms: percentile(durations, 0.95),
      maxMs: percentile(durations, 1),
      sized: sized.length,
      medianRecords: percentile(sized, 0.5),
      maxRecords: percentile(sized, 1),
      largeBatches: {
        minRecords: LARGE_BATCH,
        count: large.length,
        p95Ms: percentile(
          large.map((invocation) => invocation.durationMs),
          0.95,
        ),
      },
    };
  }
}

/** Nearest-rank percentile; null for no values. */
function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}

/** What the measured rate means for the direct import's time limit, from serverless.yml. */
async function directImportFigures(bytesPerSecond: number | null | undefined): Promise<DirectImportFigures> {
  const config = await loadServiceConfig(LOCAL_STAGE, LOCAL_REGION);
  const definition = config.functions.importInventory;
  const environment = definition?.environment ?? {};
  const numberOf = (value: unknown): number | null =>
    value === undefined || value === null || !Number.isFinite(Number(value)) ? null : Number(value);
  const timeoutSeconds = numberOf(definition?.timeout ?? config.provider.timeout);
  const marginMs = numberOf(environment.INVENTORY_TIME_SAFETY_MARGIN_MS);
  const safetyMarginSeconds = marginMs === null ? null : marginMs / 1000;
  const rate = bytesPerSecond ?? null;
  return {
    bytesPerSecond: rate,
    timeoutSeconds,
    safetyMarginSeconds,
    bytesInTimeout: rate === null || timeoutSeconds === null ? null : rate * timeoutSeconds,
    bytesInTimeoutLessMargin:
      rate === null || timeoutSeconds === null || safetyMarginSeconds === null
        ? null
        : rate * (timeoutSeconds - safetyMarginSeconds),
    thresholdBytes: numberOf(environment.LARGE_IMPORT_THRESHOLD_BYTES),
    assumedRowsPerSecond: numberOf(environment.INVENTORY_ROWS_PER_SECOND),
  };
}

function describe(figures: SettledImport): string {
  const seconds = (value: number | null) => (value === null ? 'never' : `${value.toFixed(1)} s`);
  const rate = (value: number | null) => (value === null ? '—' : `${Math.round(value)} rows/s`);
  const ratio = (value: number | null) => (value === null ? '—' : `${value.toFixed(2)}× raw`);
  const { storeSummaries } = figures.invocations;
  return (
    `${figures.file}: ${figures.status}; report after ${seconds(figures.toReportSeconds)} ` +
    `(${rate(figures.rowsPerSecondToReport)}, ${ratio(figures.ratios.reportVsRaw)}), ` +
    `settled after ${seconds(figures.settledSeconds)} (${rate(figures.rowsPerSecondSettled)}, ` +
    `${ratio(figures.ratios.settledVsRaw)}); alerts ${figures.alerts.published}/${figures.alerts.expected}; ` +
    `storeSummaries ${storeSummaries.count} invocations, p95 ${storeSummaries.p95Ms ?? '—'} ms, ` +
    `max ${storeSummaries.maxMs ?? '—'} ms (batches ≥ ${LARGE_BATCH}: ${storeSummaries.largeBatches.count}, ` +
    `p95 ${storeSummaries.largeBatches.p95Ms ?? '—'} ms)` +
    (figures.notes.length > 0 ? `; ${figures.notes.join('; ')}` : '')
  );
}
