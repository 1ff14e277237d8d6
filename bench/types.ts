import type { ImportStatus } from '../shared/inventory/report.ts';

/** What a benchmark returns to `npm run bench` (bench/run.ts renders it as Markdown). */
export interface BenchTarget {
  name: string;
  value: number;
  /** The wanted value, as text (e.g. "≥ 0.85×"). */
  target: string;
  pass: boolean;
}

export interface BenchResult {
  name: string;
  /** Flat numbers, named with their unit. */
  metrics: Record<string, number>;
  targets: BenchTarget[];
  notes: string[];
}

// ── The inventory bench (bench/inventory.ts, bench/inventory-settled.ts) ──────────────

export interface Throughput {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

/** One import run in a process of its own. */
export interface MemoryRun extends Throughput {
  /** The import process's peak RSS (VmHWM) over its whole life. */
  peakRssMb: number;
  /** Its RSS once the handler module is loaded, before the import starts (context). */
  loadedRssMb: number;
  /** Peak RSS above the smallest import's peak in the same round (0 for the smallest). */
  peakRssGrowthMb: number;
  /** Which memory round (from 1). */
  round: number;
}

/** The `importer` phase: only importInventory is wired, so no stream consumer shares the work. */
export interface ImporterAloneResult {
  /** IMPORTER_ALONE (bench/inventory.ts): what these figures are, wherever they are shown. */
  label: string;
  rounds: { import: Throughput; rawBatch: Throughput; ratio: number }[];
  perRowPut: Throughput;
  memory: MemoryRun[];
  /** Each memory round's growth, smallest → largest import. */
  rssGrowthsMb: number[];
  ratios: { importVsRawBatch: number; importVsPerRowPut: number };
  rssGrowthMb: number;
  targets: { importVsRawBatch: number; importVsPerRowPut: number; rssGrowthMb: number };
  passed: { importVsRawBatch: boolean; importVsPerRowPut: boolean; rssGrowthMb: boolean };
}

export interface InventoryBenchResult {
  /** Absent when the `importer` phase did not run. */
  importerAlone?: ImporterAloneResult;
  /** The `alerts` phase (stockAlerts alone); absent when it did not run. */
  alertLatencyMs?: { samples: number; median: number; p95: number };
  /** The `settled` phase (every function wired); absent when it did not run. */
  settled?: SettledResult;
  /** Every target and check of the phases that ran. */
  passed: boolean;
}

// Its settled phase: every function wired, as `npm start`.

export interface InvocationStats {
  count: number;
  errors: number;
  medianMs: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  /** Invocations whose batch size is known (the local runtime keeps the newest events only). */
  sized: number;
  medianRecords: number | null;
  maxRecords: number | null;
  /** Batches of at least `minRecords` records. */
  largeBatches: { minRecords: number; count: number; p95Ms: number | null };
}

export interface SettledImport {
  file: string;
  rows: number;
  bytes: number;
  status: ImportStatus | 'no report';
  uploadSeconds: number;
  /** The handler's own time, from its report (`finishedAt − startedAt`). */
  importSeconds: number | null;
  toReportSeconds: number | null;
  rowsPerSecondToReport: number | null;
  bytesPerSecondToReport: number | null;
  settledSeconds: number | null;
  rowsPerSecondSettled: number | null;
  ratios: { reportVsRaw: number | null; settledVsRaw: number | null };
  /** Alerts this upload should publish, and those published for its stores (by the idle check). */
  alerts: { expected: number; published: number; distinct: number };
  /** Stores whose summary differed from the recount once the cloud was idle (0: all right). */
  summaryMismatchesWhenIdle: number;
  notes: string[];
  invocations: Record<'storeSummaries' | 'stockAlerts', InvocationStats>;
}

export interface DirectImportFigures {
  /** The interleaved file's bytes per second, upload to report. */
  bytesPerSecond: number | null;
  /** importInventory's timeout in serverless.yml, and the margin it stops short of it by. */
  timeoutSeconds: number | null;
  safetyMarginSeconds: number | null;
  bytesInTimeout: number | null;
  bytesInTimeoutLessMargin: number | null;
  /** LARGE_IMPORT_THRESHOLD_BYTES today: larger files go to Step Functions at once. */
  thresholdBytes: number | null;
  /** INVENTORY_ROWS_PER_SECOND today: the rate the up-front time check assumes. */
  assumedRowsPerSecond: number | null;
}

export interface SettledResult {
  /** SETTLED (bench/inventory-settled.ts). */
  label: string;
  rows: number;
  stores: number;
  zeroRows: number;
  /** How often the report, the outbox and the summaries were looked at. */
  pollMs: number;
  raw: Throughput;
  imports: SettledImport[];
  directImport: DirectImportFigures;
  targets: {
    settledVsRaw: number;
    reportVsRaw: number;
    summariesLargeBatchP95Ms: number;
    largeBatchRecords: number;
  };
  passed: {
    settledVsRaw: boolean;
    reportVsRaw: boolean;
    summariesLargeBatchP95Ms: boolean;
    everyImportCompleted: boolean;
    everyImportSettled: boolean;
    rightWhenIdle: boolean;
  };
}
