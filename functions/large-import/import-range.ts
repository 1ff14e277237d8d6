import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { bodyBuffer, bodyBytes, isMissingObject, isPreconditionFailed } from '#shared/aws/s3-objects.ts';
import { putJsonReport } from '#shared/reports.ts';
import { InventoryFileRejectedError } from '../import-inventory/errors.ts';
import { importInventoryRows, type RowSink } from '../import-inventory/import-rows.ts';
import { RowErrorLog } from '../import-inventory/report.ts';
import type { InventoryRow } from '../import-inventory/rows.ts';
import { InventoryWriter, type InventoryWriterOptions } from '../import-inventory/writer.ts';
import type { LargeImportConfig } from './config.ts';
import {
  type byteRangeSchema,
  type LargeImportJob,
  type RangeOutcome,
  type RangePart,
  rangeKeysKey,
  rangePartKey,
  rangeRepairKey,
} from './job.ts';
import { decodeFingerprints, FingerprintList, KeySet, keyFingerprint } from './key-set.ts';

type ByteRange = z.infer<typeof byteRangeSchema>;

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
  >;
  job: LargeImportJob;
  range: ByteRange;
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
  const repairKeys =
    mode === 'repair' ? await loadRepairKeys(s3, config.uploadsBucket, job, range.index) : undefined;

  let object: GetObjectCommandOutput;
  try {
    object = await s3.send(
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

  const writer = new InventoryWriter({
    client: options.dynamoDb,
    tableName: config.tableName,
    source: job.source,
    updatedAt: job.updatedAt,
    concurrency: config.writeConcurrency,
    maxAttempts: config.writeMaxAttempts,
    ...options.writerOverrides,
  });
  const keys = new KeySet();
  const written = new FingerprintList();
  const sink: RowSink = {
    async put(row: InventoryRow) {
      const [high, low] = keyFingerprint(row.store, row.item);
      if (repairKeys) {
        if (repairKeys.has(high, low)) await writer.put(row);
        return;
      }
      if (keys.add(high, low) === 'new') written.push(high, low);
      await writer.put(row);
    },
    flush: () => writer.flush(),
    drain: () => writer.drain(),
    get rowsWritten() {
      return writer.rowsWritten;
    },
  };
  const errors = new RowErrorLog(config.maxReportedErrors);
  const timeIsShort = (): boolean => options.remainingTimeMs() < config.timeSafetyMarginMs;
  let part: RangePart;
  try {
    const result = await importInventoryRows({
      source: bodyBytes(object),
      header: job.header,
      firstLine: range.firstLine,
      sink,
      errors,
      shouldStop: timeIsShort,
    });
    if (result.stopped) {
      throw new RangeTimeLimitError(
        `range ${range.index} stopped at line ${result.lastLine} before the Lambda timeout; lower LARGE_IMPORT_RANGE_BYTES`,
      );
    }
    if (mode === 'repair') return { index: range.index, status: 'imported' };
    part = {
      index: range.index,
      status: 'imported',
      rowsRead: result.rowsRead,
      rowsImported: result.rowsImported,
      rowsRejected: result.rowsRejected,
      duplicates: result.duplicates,
      ...errors.toReport(),
      lastLine: result.lastLine,
      keys: written.length,
    };
  } catch (error) {
    if (!(error instanceof InventoryFileRejectedError) || mode === 'repair') throw error;
    // A structural fault inside the range (the plan catches most of them up front).
    part = {
      index: range.index,
      status: 'rejected',
      reason: error.reason,
      detail: error.message,
      rowsRead: 0,
      rowsImported: writer.rowsWritten,
      rowsRejected: 0,
      duplicates: 0,
      ...errors.toReport(),
      lastLine: range.firstLine - 1,
      keys: written.length,
    };
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: config.uploadsBucket,
      Key: rangeKeysKey(job, range.index),
      Body: written.toBytes(),
      ContentType: 'application/octet-stream',
    }),
  );
  await putJsonReport(s3, config.uploadsBucket, rangePartKey(job, range.index), part);
  return { index: range.index, status: part.status };
}

async function loadRepairKeys(
  s3: S3Client,
  bucket: string,
  job: LargeImportJob,
  index: number,
): Promise<KeySet> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: rangeRepairKey(job, index) }));
  const set = new KeySet();
  for (const [high, low] of decodeFingerprints(await bodyBuffer(object))) set.add(high, low);
  return set;
}
