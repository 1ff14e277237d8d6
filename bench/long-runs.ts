/**
 * Long-runs benchmark: the same CSV imported by the direct single-function path and by the
 * Step Functions workflow (plan → ranges in a Map → reconcile → summary), in the same run
 * against the same DynamoDB Local, so the ratio holds on a noisy machine.
 *
 * - direct: the object is uploaded; time is the report's `finishedAt − startedAt`.
 * - workflow: StartExecution with the same object; time is the execution's start to stop
 *   (every step included). The table is the same one: counts are absolute, so the second
 *   import rewrites the same items.
 * - memory: peak RSS of this process (every handler runs in it) during each import.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Upload } from '@aws-sdk/lib-storage';
import { LOCAL_CREDENTIALS, startLocalCloud } from '../local/cloud.ts';
import { inventoryImportReportSchema } from '../shared/inventory/report.ts';

export interface LongRunsBenchOptions {
  /** Rows in the file (the figure: 1,000,000). */
  rows?: number;
  /** Range size for the workflow (bytes); default 4 MiB, so a local file makes several ranges. */
  rangeBytes?: number;
  log?: (line: string) => void;
}

export interface LongRunsBenchResult {
  rows: number;
  bytes: number;
  ranges: number;
  direct: { seconds: number; rowsPerSecond: number; peakRssMb: number };
  workflow: { seconds: number; rowsPerSecond: number; peakRssMb: number };
  ratio: number;
  target: number;
  passed: boolean;
}

const TARGET = 0.8;
const MB = 1024 * 1024;

/** Peak RSS while `work` runs, sampled every 50 ms. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const value = await work();
    return { value, peakRssMb: Math.round(Math.max(peak, process.memoryUsage().rss) / MB) };
  } finally {
    clearInterval(timer);
  }
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('store,item,count\n');
  for (let i = 0; i < rows; i += 1) {
    if (!out.write(`store-${i % 50},item-${i},${i % 997}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function benchLongRuns(options: LongRunsBenchOptions = {}): Promise<LongRunsBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const rows = options.rows ?? 1_000_000;
  const rangeBytes = options.rangeBytes ?? 4 * MB;
  const workDir = await mkdtemp(join(tmpdir(), 'stockroom-bench-long-'));
  const cloud = await startLocalCloud({
    dataDir: workDir,
    inMemory: true,
    verbose: false,
    functions: [
      'importInventory',
      'largeImportPlan',
      'largeImportRange',
      'largeImportReconcile',
      'largeImportSummarise',
    ],
    // The direct path is what is compared: with the deployed thresholds (chosen from the
    // settled bench, DynamoDB on disk) a file this size would be handed to the workflow.
    environment: {
      importInventory: {
        LARGE_IMPORT_THRESHOLD_BYTES: String(1024 * MB),
        INVENTORY_ROWS_PER_SECOND: '100000',
      },
    },
  });
  try {
    const { region, endpoints, buckets } = cloud.endpoints;
    const s3 = new S3Client({
      region,
      endpoint: endpoints.s3,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: LOCAL_CREDENTIALS,
    });
    const sfn = new SFNClient({ region, endpoint: endpoints.sns, credentials: LOCAL_CREDENTIALS });
    const file = join(workDir, 'inventory.csv');
    await writeCsv(file, rows);
    const bytes = (await stat(file)).size;
    const key = 'inventory/bench-long-runs.csv';
    log(`long runs: ${rows} rows, ${(bytes / MB).toFixed(1)} MiB`);
    await new Upload({
      client: s3,
      params: { Bucket: buckets.uploads, Key: key, Body: createReadStream(file) },
    }).done();

    const readReport = async () => {
      try {
        const output = await s3.send(
          new GetObjectCommand({ Bucket: buckets.uploads, Key: `reports/inventory/${key}.json` }),
        );
        return inventoryImportReportSchema.parse(JSON.parse((await output.Body?.transformToString()) ?? ''));
      } catch {
        return undefined;
      }
    };

    // Direct: the upload above triggers it (the thresholds above keep it direct).
    const direct = await withPeakRss(async () => {
      await cloud.waitForIdle(3_600_000);
      const report = await readReport();
      if (report?.status !== 'completed' || report.rowsImported !== rows) {
        throw new Error(`direct import did not complete: ${JSON.stringify(report)?.slice(0, 300)}`);
      }
      return (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
    });
    log(
      `  direct:   ${direct.value.toFixed(1)} s, ${Math.round(rows / direct.value)} rows/s, peak RSS ${direct.peakRssMb} MB`,
    );

    const workflow = await withPeakRss(async () => {
      const started = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: cloud.endpoints.stateMachines.largeImport,
          name: `bench-${Date.now()}`,
          input: JSON.stringify({ bucket: buckets.uploads, key, rangeBytes }),
        }),
      );
      for (;;) {
        const execution = await sfn.send(
          new DescribeExecutionCommand({ executionArn: started.executionArn }),
        );
        if (execution.status !== 'RUNNING') {
          const report = await readReport();
          if (execution.status !== 'SUCCEEDED' || report?.rowsImported !== rows) {
            throw new Error(`workflow import failed: ${execution.status} ${execution.cause ?? ''}`);
          }
          const seconds =
            ((execution.stopDate?.getTime() ?? 0) - (execution.startDate?.getTime() ?? 0)) / 1000;
          return seconds;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    const ranges = cloud.invocations('largeImportRange').length;
    log(
      `  workflow: ${workflow.value.toFixed(1)} s, ${Math.round(rows / workflow.value)} rows/s, ${ranges} ranges, peak RSS ${workflow.peakRssMb} MB`,
    );
    const ratio = direct.value / workflow.value;
    log(`  workflow vs direct: ${ratio.toFixed(2)}× (target ≥ ${TARGET}×)`);
    return {
      rows,
      bytes,
      ranges,
      direct: { seconds: direct.value, rowsPerSecond: rows / direct.value, peakRssMb: direct.peakRssMb },
      workflow: {
        seconds: workflow.value,
        rowsPerSecond: rows / workflow.value,
        peakRssMb: workflow.peakRssMb,
      },
      ratio,
      target: TARGET,
      passed: ratio >= TARGET,
    };
  } finally {
    await cloud.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

// `tsx bench/long-runs.ts [rows]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = process.argv[2] ? Number(process.argv[2]) : undefined;
  const result = await benchLongRuns(rows ? { rows } : {});
  console.log(JSON.stringify(result, null, 2));
}
