import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { putJsonReport, reportKeyFor } from '#shared/reports.ts';
import type { ImportConfig } from './config.ts';
import { gunzip } from './csv-records.ts';
import { InventoryFileRejectedError, InventoryWriteError } from './errors.ts';
import { checkInventoryFile, importInventoryRows } from './import-rows.ts';
import { type ImportReason, type ImportSource, type InventoryImportReport, RowErrorLog } from './report.ts';
import { InventoryWriter, type InventoryWriterOptions } from './writer.ts';

export interface ImportObjectOptions {
  s3: S3Client;
  dynamoDb: DynamoDBClient;
  config: ImportConfig;
  bucket: string;
  /** Already URL-decoded (S3 event keys are URL-encoded; the handler's normalizer decodes them). */
  key: string;
  versionId?: string;
  /** Lambda's `context.getRemainingTimeInMillis`. */
  remainingTimeMs: () => number;
  now?: () => Date;
  /** Test seams for the writer's pauses. */
  writerOverrides?: Pick<InventoryWriterOptions, 'sleep' | 'random' | 'onRetry'>;
}

export interface ImportObjectResult {
  /** Absent only when `superseded`. */
  report?: InventoryImportReport;
  /** Set when the import stopped on a write error: the caller rethrows it so Lambda retries. */
  error?: InventoryWriteError;
  /** Set when the object was replaced while being read: its own event imports the new one. */
  superseded?: boolean;
}

/**
 * Imports one uploaded CSV (or .csv.gz) into the inventory table and writes its report.
 *
 * Two passes over the object, both streamed: the first only decodes and parses, so a file
 * with invalid UTF-8, corrupt gzip, a bad header or broken quoting is rejected before a
 * single row is written, and counts the rows to judge whether the import fits in the time
 * left. The second pass reads the same version (VersionId, else If-Match on the ETag) and
 * writes. Counts are absolute, so running an import again leaves the same table.
 */
export async function importInventoryObject(options: ImportObjectOptions): Promise<ImportObjectResult> {
  const { s3, config, bucket, key } = options;
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const errors = new RowErrorLog(config.maxReportedErrors);
  const timeIsShort = (): boolean => options.remainingTimeMs() < config.timeSafetyMarginMs;
  let source: ImportSource = {
    bucket,
    key,
    etag: '',
    ...(options.versionId ? { versionId: options.versionId } : {}),
  };

  const finish = async (
    fields: Partial<InventoryImportReport> & Pick<InventoryImportReport, 'status'>,
  ): Promise<InventoryImportReport> => {
    const report: InventoryImportReport = {
      source,
      rowsRead: 0,
      rowsImported: 0,
      rowsRejected: 0,
      duplicates: 0,
      ignoredColumns: [],
      ...fields,
      ...errors.toReport(),
      startedAt,
      finishedAt: now().toISOString(),
    };
    await putJsonReport(s3, config.uploadsBucket, reportKeyFor('inventory', key), report);
    return report;
  };
  const rejected = (reason: ImportReason, detail: string): Promise<InventoryImportReport> =>
    finish({ status: 'rejected', reason, detail });

  // Pass 1: check the whole file without writing.
  let first: GetObjectCommandOutput;
  try {
    first = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(options.versionId ? { VersionId: options.versionId } : {}),
      }),
    );
  } catch (error) {
    if (isMissingObject(error)) {
      return { report: await rejected('source_missing', 'the object no longer exists') };
    }
    throw error;
  }
  source = {
    bucket,
    key,
    etag: (first.ETag ?? '').replaceAll('"', ''),
    ...((first.VersionId ?? options.versionId) ? { versionId: first.VersionId ?? options.versionId } : {}),
  };
  const gzipped = key.toLowerCase().endsWith('.gz');
  let records: number;
  try {
    const check = await checkInventoryFile(bytesOf(first, gzipped), timeIsShort);
    if (check.stopped) {
      return {
        report: await finish({
          status: 'failed',
          reason: 'time_limit',
          detail: 'the file could not even be read within the time left; it needs the Step Functions import',
        }),
      };
    }
    records = check.records;
  } catch (error) {
    if (error instanceof InventoryFileRejectedError)
      return { report: await rejected(error.reason, error.message) };
    throw error;
  }

  const neededMs = (records / config.rowsPerSecond) * 1000;
  const availableMs = options.remainingTimeMs() - config.timeSafetyMarginMs;
  if (neededMs > availableMs) {
    return {
      report: await finish({
        status: 'failed',
        reason: 'time_limit',
        detail:
          `about ${records} rows need ~${Math.ceil(neededMs / 1000)} s at ${config.rowsPerSecond} rows/s, ` +
          `but only ${Math.max(0, Math.floor(availableMs / 1000))} s remain; nothing was written`,
      }),
    };
  }

  // Pass 2: the same bytes again, this time into the table.
  let second: GetObjectCommandOutput;
  try {
    second = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(source.versionId ? { VersionId: source.versionId } : { IfMatch: first.ETag }),
      }),
    );
  } catch (error) {
    if (isPreconditionFailed(error) || isMissingObject(error)) return { superseded: true };
    throw error;
  }
  const writer = new InventoryWriter({
    client: options.dynamoDb,
    tableName: config.tableName,
    source,
    updatedAt: (first.LastModified ?? new Date(startedAt)).toISOString(),
    concurrency: config.writeConcurrency,
    maxAttempts: config.writeMaxAttempts,
    ...options.writerOverrides,
  });
  try {
    const result = await importInventoryRows({
      source: bytesOf(second, gzipped),
      sink: writer,
      errors,
      shouldStop: timeIsShort,
    });
    const { rowsRead, rowsImported, rowsRejected, duplicates, ignoredColumns, lastLine } = result;
    const counts = { rowsRead, rowsImported, rowsRejected, duplicates, ignoredColumns };
    if (result.stopped) {
      return {
        report: await finish({
          status: 'failed',
          reason: 'time_limit',
          detail: `stopped before the Lambda timeout; rows up to line ${lastLine} are imported`,
          lastLine,
          ...counts,
        }),
      };
    }
    return {
      report: await finish({ status: rowsRejected > 0 ? 'completed_with_errors' : 'completed', ...counts }),
    };
  } catch (error) {
    if (error instanceof InventoryFileRejectedError) {
      return {
        report: await finish({
          status: 'rejected',
          reason: error.reason,
          detail: error.message,
          rowsImported: writer.rowsWritten,
        }),
      };
    }
    if (error instanceof InventoryWriteError) {
      const report = await finish({
        status: 'failed',
        reason: 'write_error',
        detail: error.message,
        rowsImported: writer.rowsWritten,
      });
      return { report, error };
    }
    throw error;
  }
}

function bytesOf(output: GetObjectCommandOutput, gzipped: boolean): AsyncIterable<Uint8Array> {
  const body = output.Body as unknown;
  if (body === undefined || body === null || typeof body !== 'object' || !(Symbol.asyncIterator in body)) {
    throw new TypeError('GetObject returned a body that is not a stream');
  }
  const bytes = body as AsyncIterable<Uint8Array>;
  return gzipped ? gunzip(bytes) : bytes;
}

function isMissingObject(error: unknown): boolean {
  return error instanceof Error && ['NoSuchKey', 'NoSuchVersion', 'NotFound'].includes(error.name);
}

function isPreconditionFailed(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  return error instanceof Error && (error.name === 'PreconditionFailed' || status === 412);
}
