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
 *   `duplicate_columns`, `malformed_csv`, `source_missing`, `unsupported_file` (not
 *   `.csv` or `.csv.gz`, in any case); and a file over one of the
 *   caps of limits.ts: `no_header`, `header_too_long`, `too_many_columns`, `gzip_too_large`,
 *   `gzip_ratio_too_high`.
 * - failed: `time_limit` (only with no workflow to hand the file to; returned normally: a retry
 *   would hit the same wall),
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
  'unsupported_file',
  'no_header',
  'header_too_long',
  'too_many_columns',
  'gzip_too_large',
  'gzip_ratio_too_high',
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
  /** The header's other columns: the first REPORT_LIST_LIMIT, each clipped (see `boundReport`). */
  ignoredColumns: z.array(z.string()),
  /** How many columns were ignored (absent from reports written before it existed). */
  ignoredColumnsTotal: count.optional(),
  /** The last line whose rows are all in the table (set when an import stops part-way). */
  lastLine: count.optional(),
  /** The Step Functions execution that imports (or imported) the file: `handed_off` and its final report. */
  executionArn: z.string().optional(),
  /** Byte ranges of a Step Functions import whose rows are missing: the file lines they start on. */
  failedRanges: z
    .array(z.object({ index: count, firstLine: count, lastLine: count.optional(), error: z.string() }))
    .optional(),
  /** How many ranges failed, when `failedRanges` lists only the first of them. */
  failedRangesTotal: count.optional(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
});
export type InventoryImportReport = z.infer<typeof inventoryImportReportSchema>;

/** The counts of a report before any row is read (a rejection, a hand-off), fresh each time. */
export function nothingCounted(): Pick<
  InventoryImportReport,
  | 'rowsRead'
  | 'rowsImported'
  | 'rowsRejected'
  | 'duplicates'
  | 'errors'
  | 'errorsTotal'
  | 'errorsTruncated'
  | 'ignoredColumns'
> {
  return {
    rowsRead: 0,
    rowsImported: 0,
    rowsRejected: 0,
    duplicates: 0,
    errors: [],
    errorsTotal: 0,
    errorsTruncated: false,
    ignoredColumns: [],
  };
}

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

/** Names listed in one list of a report (ignored columns, failed ranges); the rest are counted. */
export const REPORT_LIST_LIMIT = 100;
/** Characters kept of one name or reason in a report. */
export const REPORT_TEXT_CHARACTERS = 300;
/** Characters kept of a report's `detail`. */
export const REPORT_DETAIL_CHARACTERS = 2000;

const clip = (text: string, length: number): string =>
  text.length > length ? `${text.slice(0, length)}…` : text;

/**
 * The report as it is written: every list capped, every text clipped, every total kept. A
 * hostile CSV can name millions of columns; its report must still be a few hundred KB at
 * most, for the dashboard to read it (it refuses reports over 1 MB). Row errors are capped
 * where they are collected (`RowErrorLog`, INVENTORY_MAX_REPORTED_ERRORS): at the default
 * 1000, with reasons clipped here, they stay under ~350 KB.
 */
export function boundReport(report: InventoryImportReport): InventoryImportReport {
  const { ignoredColumns, failedRanges, detail } = report;
  return {
    ...report,
    ...(detail === undefined ? {} : { detail: clip(detail, REPORT_DETAIL_CHARACTERS) }),
    errors: report.errors.map((error) => ({ ...error, reason: clip(error.reason, REPORT_TEXT_CHARACTERS) })),
    ignoredColumns: ignoredColumns
      .slice(0, REPORT_LIST_LIMIT)
      .map((name) => clip(name, REPORT_TEXT_CHARACTERS)),
    ignoredColumnsTotal: report.ignoredColumnsTotal ?? ignoredColumns.length,
    ...(failedRanges === undefined
      ? {}
      : {
          failedRanges: failedRanges
            .slice(0, REPORT_LIST_LIMIT)
            .map((range) => ({ ...range, error: clip(range.error, REPORT_TEXT_CHARACTERS) })),
          failedRangesTotal: report.failedRangesTotal ?? failedRanges.length,
        }),
  };
}

/**
 * Writes (or replaces) the report of the file it names, next to the other inventory
 * reports, bounded (`boundReport`); returns what was written.
 */
export async function putImportReport(
  s3: S3Client,
  uploadsBucket: string,
  report: InventoryImportReport,
): Promise<InventoryImportReport> {
  const bounded = boundReport(report);
  await putJsonReport(s3, uploadsBucket, reportKeyFor('inventory', report.source.key), bounded);
  return bounded;
}
