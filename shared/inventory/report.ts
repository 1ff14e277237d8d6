import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { putJsonReport, reportKeyFor } from '#shared/reports.ts';

/**
 * The machine-readable record of one import, written to
 * `reports/inventory/<source key>.json` in the uploads bucket. The dashboard reads it back
 * with this schema, so the shape is a contract: add fields, never rename them.
 */

/**
 * `handed_off`: the file is larger than the direct path takes; a Step Functions execution
 * (`executionArn`) imports it and replaces this report with its final one.
 */
export const IMPORT_STATUSES = [
  'completed',
  'completed_with_errors',
  'rejected',
  'failed',
  'handed_off',
] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/**
 * Why a file was rejected as a whole (nothing written) or an import stopped part-way.
 * - rejected: `empty_file`, `invalid_utf8`, `corrupt_gzip`, `missing_columns`,
 *   `duplicate_columns`, `malformed_csv`, `source_missing`.
 * - failed: `time_limit` (returned normally: a retry would hit the same wall),
 *   `write_error` (rethrown: Lambda's retries and on-failure destination apply),
 *   `ranges_failed` (the Step Functions import: more ranges failed than tolerated).
 */
export const IMPORT_REASONS = [
  'empty_file',
  'invalid_utf8',
  'corrupt_gzip',
  'missing_columns',
  'duplicate_columns',
  'malformed_csv',
  'source_missing',
  'time_limit',
  'write_error',
  'ranges_failed',
] as const;
export type ImportReason = (typeof IMPORT_REASONS)[number];

export const importSourceSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  etag: z.string(),
  versionId: z.string().optional(),
});
export type ImportSource = z.infer<typeof importSourceSchema>;

export const rowErrorSchema = z.object({
  /** The file's line where the record starts (the header is line 1). */
  line: z.number().int().positive(),
  reason: z.string(),
});
export type RowError = z.infer<typeof rowErrorSchema>;

const count = z.number().int().nonnegative();

export const inventoryImportReportSchema = z.object({
  source: importSourceSchema,
  status: z.enum(IMPORT_STATUSES),
  /** Set for `rejected` and `failed`. */
  reason: z.enum(IMPORT_REASONS).optional(),
  /** A sentence for a person, set with `reason`. */
  detail: z.string().optional(),
  /** Data records parsed (the header and blank rows excluded). */
  rowsRead: count,
  /** Valid rows applied to the table (a repeated store+item counts each time; the last wins). */
  rowsImported: count,
  /** Invalid rows, skipped and listed in `errors`. */
  rowsRejected: count,
  /** Valid rows whose store+item appeared earlier in the same file. */
  duplicates: count,
  errors: z.array(rowErrorSchema),
  errorsTotal: count,
  errorsTruncated: z.boolean(),
  ignoredColumns: z.array(z.string()),
  /** The last line whose rows are all in the table (set when an import stops part-way). */
  lastLine: count.optional(),
  /** The Step Functions execution that imports (or imported) the file: `handed_off` and its final report. */
  executionArn: z.string().optional(),
  /** Byte ranges of a Step Functions import whose rows are missing: the file lines they start on. */
  failedRanges: z
    .array(z.object({ index: count, firstLine: count, lastLine: count.optional(), error: z.string() }))
    .optional(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
});
export type InventoryImportReport = z.infer<typeof inventoryImportReportSchema>;

/** Row errors for a report: every error is counted, the first `limit` are kept. */
export class RowErrorLog {
  readonly #limit: number;
  readonly #kept: RowError[] = [];
  #total = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(line: number, reason: string): void {
    this.#total += 1;
    if (this.#kept.length < this.#limit) this.#kept.push({ line, reason });
  }

  get total(): number {
    return this.#total;
  }

  toReport(): Pick<InventoryImportReport, 'errors' | 'errorsTotal' | 'errorsTruncated'> {
    return {
      errors: [...this.#kept],
      errorsTotal: this.#total,
      errorsTruncated: this.#total > this.#kept.length,
    };
  }
}

/** Writes (or replaces) the report of the file it names, next to the other inventory reports. */
export async function putImportReport(
  s3: S3Client,
  uploadsBucket: string,
  report: InventoryImportReport,
): Promise<void> {
  await putJsonReport(s3, uploadsBucket, reportKeyFor('inventory', report.source.key), report);
}
