import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { ImportRowsResult } from './import-rows.ts';
import type { FingerprintList } from './key-set.ts';
import type { RowErrorLog } from './report.ts';

/**
 * The input of a large-import execution: the contract between the S3-triggered import, which
 * hands a file off to the state machine, and the workflow's plan step, which reads it (an
 * operator may also start an execution by hand with it; see docs/long-runs.md).
 */
export const largeImportInputSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  versionId: z.string().optional(),
  etag: z.string().optional(),
  /** Overrides LARGE_IMPORT_RANGE_BYTES for this execution (an operator's re-run, tests). */
  rangeBytes: z.number().int().min(1).optional(),
  /**
   * Set by a direct import that ran out of time: the rows up to `afterLine` are imported,
   * and its part (counts, row errors, keys) is under the execution's parts prefix
   * (`direct-<afterLine>.json`, `.keys`). The workflow imports the rest, from the record that
   * starts on the next line, and its report covers the whole file.
   */
  resume: z.object({ afterLine: z.number().int().positive() }).optional(),
});
export type LargeImportInput = z.infer<typeof largeImportInputSchema>;

/**
 * Written by each range import to `<partsPrefix>range-<index>.json`, and by a direct import
 * that hands the rest of its file over (`direct-<afterLine>.json`: its rows so far, with the
 * line numbers of the whole file).
 */
export const rangePartSchema = z.object({
  index: z.number().int().nonnegative(),
  status: z.enum(['imported', 'rejected']),
  reason: z.string().optional(),
  detail: z.string().optional(),
  rowsRead: z.number().int().nonnegative(),
  rowsImported: z.number().int().nonnegative(),
  rowsRejected: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  errors: z.array(z.object({ line: z.number().int().positive(), reason: z.string() })),
  errorsTotal: z.number().int().nonnegative(),
  lastLine: z.number().int().nonnegative(),
  /** Distinct store+item keys this range wrote (their fingerprints are in the `.keys` part). */
  keys: z.number().int().nonnegative(),
});
export type RangePart = z.infer<typeof rangePartSchema>;

/** Where an execution keeps its scratch objects: `<PARTS_PREFIX><execution name>/`. */
export const PARTS_PREFIX = 'reports/inventory/.parts/';

export const partsPrefixFor = (executionName: string): string => `${PARTS_PREFIX}${executionName}/`;

/** The direct import's part and keys, written before it starts the execution (see `resume`). */
export const directPartKey = (job: { partsPrefix: string }, afterLine: number): string =>
  `${job.partsPrefix}direct-${afterLine}.json`;
export const directKeysKey = (job: { partsPrefix: string }, afterLine: number): string =>
  `${job.partsPrefix}direct-${afterLine}.keys`;

/** The part of rows imported from `firstLine` on: a range's, or the direct import's (range 0). */
export function importedPartOf(
  index: number,
  result: Pick<ImportRowsResult, 'rowsRead' | 'rowsImported' | 'rowsRejected' | 'duplicates' | 'lastLine'>,
  errors: RowErrorLog,
  keys: number,
): RangePart {
  return {
    index,
    status: 'imported',
    rowsRead: result.rowsRead,
    rowsImported: result.rowsImported,
    rowsRejected: result.rowsRejected,
    duplicates: result.duplicates,
    ...errors.toReport(),
    lastLine: result.lastLine,
    keys,
  };
}

/** Key fingerprints as bytes, 8 per key (see key-set.ts): a part's `.keys`, or a repair list. */
export async function putFingerprints(
  s3: S3Client,
  bucket: string,
  key: string,
  fingerprints: FingerprintList,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: fingerprints.toBytes(),
      ContentType: 'application/octet-stream',
    }),
  );
}
