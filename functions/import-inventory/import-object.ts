import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bodyBytes, isMissingSource, isPreconditionFailed, unquoteEtag } from '#shared/aws/s3-objects.ts';
import { gunzip } from '#shared/inventory/csv-records.ts';
import { InventoryFileRejectedError, InventoryWriteError } from '#shared/inventory/errors.ts';
import { isGzipKey, isInventoryFileKey } from '#shared/inventory/files.ts';
import { checkInventoryFile, importInventoryRows } from '#shared/inventory/import-rows.ts';
import { KeySet } from '#shared/inventory/key-set.ts';
import { importedPartOf } from '#shared/inventory/large-import-input.ts';
import {
  type ImportSource,
  type InventoryImportReport,
  nothingCounted,
  putImportReport,
  RowErrorLog,
} from '#shared/inventory/report.ts';
import { InventoryWriter, type InventoryWriterOptions } from '#shared/inventory/writer.ts';
import type { ImportConfig } from './config.ts';
import type { DirectPart, HandedOff } from './hand-off.ts';
import type { ImportProgressSink, ProgressStart } from './progress-writer.ts';

export interface ImportObjectOptions {
  s3: S3Client;
  dynamoDb: DynamoDBClient;
  config: ImportConfig;
  bucket: string;
  /** Already URL-decoded (S3 event keys are URL-encoded; see s3-event.ts). */
  key: string;
  versionId?: string;
  /** Lambda's `context.getRemainingTimeInMillis`. */
  remainingTimeMs: () => number;
  now?: () => Date;
  /**
   * Hands the file to the Step Functions import (hand-off.ts, `startLargeImport` with reason
   * `time`) when it will not, or did not, fit in the time left: the whole file when the first
   * pass finds it too long, the rest with `resume` (what was written) when the writes run
   * out of time. Without it (no state machine) such an import ends `failed` with `time_limit`.
   */
  handOffForTime?: (source: ImportSource, detail: string, resume?: DirectPart) => Promise<HandedOff>;
  /** Test seams for the writer's pauses. */
  writerOverrides?: Pick<InventoryWriterOptions, 'sleep' | 'random' | 'onRetry'>;
  /**
   * Makes the import watchable (progress-writer.ts, ProgressWriter): called once the object is
   * read, its progress object is written while the import runs and deleted after its report.
   */
  startProgress?: (start: ProgressStart) => ImportProgressSink;
}

export type ImportObjectResult =
  /** The import came to an end — completed, rejected, or stopped at the time limit — and its report is written. */
  | { outcome: 'reported'; report: InventoryImportReport }
  /** The import stopped on a write error; its report is written, and the caller rethrows `error` so Lambda retries. */
  | { outcome: 'write_failed'; report: InventoryImportReport; error: InventoryWriteError }
  /** Out of time: the workflow imports the file (or its rest), and its final report replaces the `handed_off` one. */
  | { outcome: 'handed_off'; handOff: HandedOff }
  /** The object was replaced while being read: its own notification imports the new version. */
  | { outcome: 'superseded' };

/** What a step decides of a report; counts left out are 0, and the run fills in the rest. */
type ReportFields = Partial<InventoryImportReport> & Pick<InventoryImportReport, 'status'>;

/**
 * Imports one uploaded CSV (or .csv.gz) into the inventory table and writes its report.
 *
 * Two passes over the object, both streamed: the first only decodes and parses, so a file
 * with invalid UTF-8, corrupt gzip, a bad header or broken quoting, or one over the limits
 * (#shared/inventory/limits.ts: a header too long or too wide, a gzip bomb; refused as soon
 * as the limit is passed), is rejected before a single row is written, and counts the rows to judge whether the import fits in the time
 * left. The second pass reads the same version (VersionId, else If-Match on the ETag) and
 * writes. Counts are absolute, so running an import again leaves the same table.
 *
 * With `startProgress`, the import's progress object is there from the first read until its
 * report is written, however the import ends (a thrown error included).
 */
export async function importInventoryObject(options: ImportObjectOptions): Promise<ImportObjectResult> {
  const run = new ObjectImport(options);
  try {
    return await importWith(run);
  } finally {
    await run.progress?.remove();
  }
}

async function importWith(run: ObjectImport): Promise<ImportObjectResult> {
  const { options } = run;
  const { s3, bucket, key } = options;
  if (!isInventoryFileKey(key)) {
    return run.reported({
      status: 'rejected',
      reason: 'unsupported_file',
      detail: 'only .csv and .csv.gz files (in any case) are imported',
    });
  }
  const first = await getObjectIfUnchanged(s3, {
    Bucket: bucket,
    Key: key,
    ...(options.versionId ? { VersionId: options.versionId } : {}),
  });
  if (!first) {
    return run.reported({
      status: 'rejected',
      reason: 'source_missing',
      detail: 'the object no longer exists',
    });
  }
  const versionId = first.VersionId ?? options.versionId;
  run.source = { bucket, key, etag: unquoteEtag(first.ETag), ...(versionId ? { versionId } : {}) };
  run.progress = options.startProgress?.({
    source: run.source,
    startedAt: run.startedAt,
    totalBytes: first.ContentLength ?? 0,
  });
  run.progress?.start();
  const gzipped = isGzipKey(key);

  // Pass 1: check the whole file without writing.
  const refusal = await checkPass(run, bytesOf(first, gzipped, run, false));
  if (refusal && 'outOfTime' in refusal) return run.outOfTime(refusal.outOfTime);
  if (refusal) return run.reported(refusal);

  // Pass 2: the same bytes again, this time into the table.
  const second = await getObjectIfUnchanged(s3, {
    Bucket: bucket,
    Key: key,
    ...(versionId ? { VersionId: versionId } : { IfMatch: first.ETag }),
  });
  if (!second) return { outcome: 'superseded' };
  const updatedAt = (first.LastModified ?? new Date(run.startedAt)).toISOString();
  return writePass(run, bytesOf(second, gzipped, run, true), updatedAt);
}

/** One import under way: what its steps share, and the report they all end with. */
class ObjectImport {
  readonly options: ImportObjectOptions;
  readonly startedAt: string;
  readonly errors: RowErrorLog;
  /** Known once the object is read (its ETag and version). */
  source: ImportSource;
  /** Started once the object is read, when the import is watched. */
  progress: ImportProgressSink | undefined;
  readonly #now: () => Date;

  constructor(options: ImportObjectOptions) {
    this.options = options;
    this.#now = options.now ?? (() => new Date());
    this.startedAt = this.#now().toISOString();
    this.errors = new RowErrorLog(options.config.maxReportedErrors);
    const { bucket, key, versionId } = options;
    this.source = { bucket, key, etag: '', ...(versionId ? { versionId } : {}) };
  }

  readonly timeIsShort = (): boolean =>
    this.options.remainingTimeMs() < this.options.config.timeSafetyMarginMs;

  async finish(fields: ReportFields): Promise<InventoryImportReport> {
    // No progress PUT may land after the report (and so after the object's deletion).
    await this.progress?.settle();
    const report: InventoryImportReport = {
      source: this.source,
      ...nothingCounted(),
      ...fields,
      ...this.errors.toReport(),
      startedAt: this.startedAt,
      finishedAt: this.#now().toISOString(),
    };
    return putImportReport(this.options.s3, this.options.config.uploadsBucket, report);
  }

  async reported(fields: ReportFields): Promise<ImportObjectResult> {
    return { outcome: 'reported', report: await this.finish(fields) };
  }

  /**
   * No import fails for time: the workflow takes the file, or with `resume` its rest (a
   * `handed_off` report), or, without one, the import reports `time_limit` with `fields`' counts.
   */
  async outOfTime(
    detail: string,
    fields: Partial<InventoryImportReport> = {},
    resume?: DirectPart,
  ): Promise<ImportObjectResult> {
    const { handOffForTime } = this.options;
    await this.progress?.settle();
    if (handOffForTime) {
      return { outcome: 'handed_off', handOff: await handOffForTime(this.source, detail, resume) };
    }
    return this.reported({ status: 'failed', reason: 'time_limit', detail, ...fields });
  }
}

/**
 * The first pass: reads the whole file without writing. Returns why the file is refused —
 * rejected (a file-level fault), or out of time (why) — or undefined to go on.
 */
async function checkPass(
  run: ObjectImport,
  source: AsyncIterable<Uint8Array>,
): Promise<ReportFields | { outOfTime: string } | undefined> {
  const { config } = run.options;
  let records: number;
  try {
    const check = await checkInventoryFile(source, run.timeIsShort, config.fileLimits);
    if (check.stopped) {
      return { outOfTime: 'the file could not even be read within the time left; nothing was written' };
    }
    records = check.records;
  } catch (error) {
    if (error instanceof InventoryFileRejectedError) {
      return { status: 'rejected', reason: error.reason, detail: error.message };
    }
    throw error;
  }
  const neededMs = (records / config.rowsPerSecond) * 1000;
  const availableMs = run.options.remainingTimeMs() - config.timeSafetyMarginMs;
  if (neededMs <= availableMs) return undefined;
  return {
    outOfTime:
      `about ${records} rows need ~${Math.ceil(neededMs / 1000)} s at ${config.rowsPerSecond} rows/s, ` +
      `but only ${Math.max(0, Math.floor(availableMs / 1000))} s remain; nothing was written`,
  };
}

/** The second pass: streams the rows into the table, and reports how far it got. */
async function writePass(
  run: ObjectImport,
  source: AsyncIterable<Uint8Array>,
  updatedAt: string,
): Promise<ImportObjectResult> {
  const { options } = run;
  const writer = new InventoryWriter({
    client: options.dynamoDb,
    tableName: options.config.tableName,
    source: run.source,
    updatedAt,
    concurrency: options.config.writeConcurrency,
    maxAttempts: options.config.writeMaxAttempts,
    ...options.writerOverrides,
  });
  // The keys written, kept only when the rest may be handed over with them.
  const keys = options.handOffForTime ? new KeySet() : undefined;
  try {
    const result = await importInventoryRows({
      source,
      sink: writer,
      errors: run.errors,
      shouldStop: run.timeIsShort,
      limits: options.config.fileLimits,
      ...(keys ? { keys } : {}),
      ...(run.progress ? { onRows: (rows: number) => run.progress?.rowsParsed(rows) } : {}),
    });
    const { rowsRead, rowsImported, rowsRejected, duplicates, ignoredColumns, lastLine } = result;
    const counts = { rowsRead, rowsImported, rowsRejected, duplicates, ignoredColumns };
    if (result.stopped) {
      // The rest of the file goes to the workflow, with what was written here as its range 0
      // (see docs/inventory.md, "Time and failures").
      const resume =
        keys && rowsRead > 0
          ? { part: importedPartOf(0, result, run.errors, keys.size), keys: keys.toList() }
          : undefined;
      return run.outOfTime(
        `stopped before the Lambda timeout; rows up to line ${lastLine} (${rowsImported} rows) are imported`,
        { lastLine, ...counts },
        resume,
      );
    }
    return run.reported({ status: rowsRejected > 0 ? 'completed_with_errors' : 'completed', ...counts });
  } catch (error) {
    if (error instanceof InventoryFileRejectedError) {
      return run.reported({
        status: 'rejected',
        reason: error.reason,
        detail: error.message,
        rowsImported: writer.rowsWritten,
      });
    }
    if (error instanceof InventoryWriteError) {
      const report = await run.finish({
        status: 'failed',
        reason: 'write_error',
        detail: error.message,
        ...error.progress,
        rowsImported: writer.rowsWritten,
      });
      return { outcome: 'write_failed', report, error };
    }
    throw error;
  }
}

/**
 * GetObject, or undefined when the object (or the version asked for) no longer exists, or no
 * longer matches the ETag asked for (`If-Match`): either way, not the object this import read.
 */
async function getObjectIfUnchanged(
  s3: S3Client,
  input: GetObjectCommandInput,
): Promise<GetObjectCommandOutput | undefined> {
  try {
    return await s3.send(new GetObjectCommand(input));
  } catch (error) {
    if (isPreconditionFailed(error)) return undefined;
    if (await isMissingSource(s3, input.Bucket ?? '', input.Key ?? '', error)) return undefined;
    throw error;
  }
}

/**
 * The object's bytes, gunzipped (within the bomb caps) for a `.gz` key. A watched import
 * counts them as stored (`counted`: the writing pass), before gunzip.
 */
function bytesOf(
  output: GetObjectCommandOutput,
  gzipped: boolean,
  run: ObjectImport,
  counted: boolean,
): AsyncIterable<Uint8Array> {
  const stored = bodyBytes(output);
  const bytes = run.progress ? run.progress.meter(stored, counted) : stored;
  return gzipped ? gunzip(bytes, run.options.config.fileLimits) : bytes;
}
