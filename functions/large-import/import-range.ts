import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { bodyBytes, isMissingObject, isPreconditionFailed } from '#shared/aws/s3-objects.ts';
import { InventoryFileRejectedError } from '#shared/inventory/errors.ts';
import { importInventoryRows, type RowSink } from '#shared/inventory/import-rows.ts';
import { FingerprintList, KeySet, keyFingerprint } from '#shared/inventory/key-set.ts';
import { importedPartOf, putFingerprints } from '#shared/inventory/large-import-input.ts';
import type { ByteRange } from '#shared/inventory/ranges.ts';
import { RowErrorLog } from '#shared/inventory/report.ts';
import { InventoryWriter, type InventoryWriterOptions } from '#shared/inventory/writer.ts';
import type { LargeImportConfig } from './config.ts';
import {
  directKeysKey,
  directPartKey,
  type LargeImportJob,
  type PlannedRange,
  type RangeOutcome,
  type RangePart,
  rangeKeysKey,
  rangeRepairKey,
} from './job.ts';
import { copyPartObject, getFingerprints, getPart, putRangePart } from './parts.ts';

/** The range could not finish before the Lambda timeout: it fails and Step Functions retries it. */
export class RangeTimeLimitError extends Error {
  override name = 'RangeTimeLimitError';
}

/** The object changed or vanished after the plan: retrying cannot help. */
export class RangeSourceChangedError extends Error {
  override name = 'RangeSourceChangedError';
}

export interface ImportRangeOptions {
  s3: S3Client;
  dynamoDb: DynamoDBClient;
  config: Pick<
    LargeImportConfig,
    | 'uploadsBucket'
    | 'tableName'
    | 'writeConcurrency'
    | 'writeMaxAttempts'
    | 'maxReportedErrors'
    | 'timeSafetyMarginMs'
    | 'fileLimits'
  >;
  job: LargeImportJob;
  range: PlannedRange;
  /**
   * `import`: the range's rows, as the direct path would write them.
   * `repair`: only the rows whose key the reconcile step listed for this range (keys that
   * also appear in an earlier range: this range's row must be the one left in the table).
   */
  mode: 'import' | 'repair';
  remainingTimeMs: () => number;
  writerOverrides?: Pick<InventoryWriterOptions, 'sleep' | 'random' | 'onRetry'>;
}

/**
 * Imports one byte range of a large file with the direct path's parser and writer
 * (`importInventoryRows` + `InventoryWriter`): the range's bytes from a ranged GET, the
 * header from the plan, and the range's real first line, so errors carry the file's line
 * numbers. Its counts and row errors go to an S3 part; the state only gets the outcome.
 *
 * Writes are absolute (`count` is set, never added), so a retried or re-run range leaves the
 * same table.
 */
export async function importInventoryRange(options: ImportRangeOptions): Promise<RangeOutcome> {
  const { s3, config, job, range, mode } = options;
  if (mode === 'import' && range.direct) {
    const taken = await takeDirectPart(s3, config.uploadsBucket, job, range.index, range.direct.afterLine);
    if (taken) return taken;
  }
  const repairKeys =
    mode === 'repair' ? await loadRepairKeys(s3, config.uploadsBucket, job, range.index) : undefined;
  const object = await getRange(s3, job, range);
  const writer = new InventoryWriter({
    client: options.dynamoDb,
    tableName: config.tableName,
    source: job.source,
    updatedAt: job.updatedAt,
    concurrency: config.writeConcurrency,
    maxAttempts: config.writeMaxAttempts,
    ...options.writerOverrides,
  });
  const written = new FingerprintList();
  const errors = new RowErrorLog(config.maxReportedErrors);
  let part: RangePart;
  try {
    const result = await importInventoryRows({
      source: bodyBytes(object),
      header: job.header,
      firstLine: range.firstLine,
      ...(job.recordDelimiter ? { recordDelimiter: job.recordDelimiter } : {}),
      sink: rangeSink(writer, written, repairKeys),
      errors,
      shouldStop: () => options.remainingTimeMs() < config.timeSafetyMarginMs,
      limits: config.fileLimits,
    });
    if (result.stopped) {
      throw new RangeTimeLimitError(
        `range ${range.index} stopped at line ${result.lastLine} before the Lambda timeout; lower LARGE_IMPORT_RANGE_BYTES`,
      );
    }
    if (mode === 'repair') return { index: range.index, status: 'imported' };
    part = importedPartOf(range.index, result, errors, written.length);
  } catch (error) {
    if (!(error instanceof InventoryFileRejectedError) || mode === 'repair') throw error;
    // A structural fault inside the range (the plan catches most of them up front).
    part = rejectedPart(range, error, writer.rowsWritten, errors, written.length);
  }
  await putFingerprints(s3, config.uploadsBucket, rangeKeysKey(job, range.index), written);
  await putRangePart(s3, config.uploadsBucket, job, part);
  return { index: range.index, status: part.status };
}

/**
 * The rows of range 0 were written by the direct import that handed the rest over: its part
 * and keys become the range's, and nothing is read or written again. Undefined when the
 * direct import left no part (the range is then imported, which leaves the same table).
 */
async function takeDirectPart(
  s3: S3Client,
  bucket: string,
  job: LargeImportJob,
  index: number,
  afterLine: number,
): Promise<RangeOutcome | undefined> {
  const part = await getPart(s3, bucket, directPartKey(job, afterLine));
  if (!part || part.lastLine !== afterLine) return undefined;
  if (!(await copyPartObject(s3, bucket, directKeysKey(job, afterLine), rangeKeysKey(job, index)))) {
    return undefined;
  }
  await putRangePart(s3, bucket, job, { ...part, index });
  return { index, status: part.status };
}

/** The range's bytes of the planned version (VersionId, else If-Match on the planned ETag). */
async function getRange(
  s3: S3Client,
  job: LargeImportJob,
  range: ByteRange,
): Promise<GetObjectCommandOutput> {
  try {
    return await s3.send(
      new GetObjectCommand({
        Bucket: job.data.bucket,
        Key: job.data.key,
        // Range is inclusive at both ends. https://www.rfc-editor.org/rfc/rfc9110#name-byte-ranges
        Range: `bytes=${range.start}-${range.end - 1}`,
        ...(job.data.versionId ? { VersionId: job.data.versionId } : { IfMatch: `"${job.data.etag}"` }),
      }),
    );
  } catch (error) {
    if (isMissingObject(error) || isPreconditionFailed(error)) {
      throw new RangeSourceChangedError(`${job.data.key} changed or was deleted after the plan`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Where the range's valid rows go. Importing, every row is written, and each distinct key
 * is noted in `written` (for the reconcile step). Repairing, only the rows whose key is in
 * `repairKeys` are written.
 */
function rangeSink(
  writer: InventoryWriter,
  written: FingerprintList,
  repairKeys: KeySet | undefined,
): RowSink {
  const keys = new KeySet();
  return {
    put(row) {
      const [high, low] = keyFingerprint(row.store, row.item);
      if (repairKeys) return repairKeys.has(high, low) ? writer.put(row) : undefined;
      if (keys.add(high, low) === 'new') written.push(high, low);
      return writer.put(row);
    },
    flush: () => writer.flush(),
    drain: () => writer.drain(),
    get rowsWritten() {
      return writer.rowsWritten;
    },
  };
}

function rejectedPart(
  range: ByteRange,
  error: InventoryFileRejectedError,
  rowsImported: number,
  errors: RowErrorLog,
  keys: number,
): RangePart {
  return {
    index: range.index,
    status: 'rejected',
    reason: error.reason,
    detail: error.message,
    rowsRead: 0,
    rowsImported,
    rowsRejected: 0,
    duplicates: 0,
    ...errors.toReport(),
    lastLine: range.firstLine - 1,
    keys,
  };
}

async function loadRepairKeys(
  s3: S3Client,
  bucket: string,
  job: LargeImportJob,
  index: number,
): Promise<KeySet> {
  const set = new KeySet();
  for (const [high, low] of await getFingerprints(s3, bucket, rangeRepairKey(job, index))) set.add(high, low);
  return set;
}
