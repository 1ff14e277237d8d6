import { z } from 'zod';

/**
 * Import reports are written by the import function; this schema reads them leniently:
 * unknown fields are ignored and a wrongly typed optional field is dropped. Only a report
 * without a recognisable source key and status is "unreadable".
 */
const optionalCount = z.number().int().nonnegative().optional().catch(undefined);
const optionalText = z.string().optional().catch(undefined);

const rejectedRowSchema = z.object({
  line: z.number().int().optional().catch(undefined),
  reason: z.string().catch('(no reason given)'),
});

export const importReportSchema = z.object({
  source: z.object({
    bucket: optionalText,
    key: z.string().min(1),
    etag: optionalText,
    versionId: optionalText,
  }),
  status: z.string().min(1).max(64),
  rowsRead: optionalCount,
  rowsImported: optionalCount,
  rowsRejected: optionalCount,
  duplicates: optionalCount,
  // A malformed entry becomes a readable placeholder rather than hiding the whole report.
  errors: z
    .array(rejectedRowSchema.catch({ line: undefined, reason: '(unreadable entry)' }))
    .max(10_000)
    .optional()
    .catch(undefined),
  errorsTotal: optionalCount,
  errorsTruncated: z.boolean().optional().catch(undefined),
  ignoredColumns: z.array(z.string()).optional().catch(undefined),
  /** How many columns were ignored, when the report lists only the first of them. */
  ignoredColumnsTotal: optionalCount,
  startedAt: optionalText,
  finishedAt: optionalText,
  reason: optionalText,
});

export type ImportReport = z.infer<typeof importReportSchema>;

export type ImportReportEntry =
  | { reportKey: string; lastModified?: string; readable: true; report: ImportReport }
  | { reportKey: string; lastModified?: string; readable: false; problem: string };

export function parseImportReport(reportKey: string, text: string, lastModified?: string): ImportReportEntry {
  const base = { reportKey, ...(lastModified ? { lastModified } : {}) };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ...base, readable: false, problem: 'the report is not valid JSON' };
  }
  const result = importReportSchema.safeParse(json);
  if (!result.success) {
    return { ...base, readable: false, problem: 'the report does not have the expected shape' };
  }
  return { ...base, readable: true, report: result.data };
}

export interface ReportBounds {
  /** Rejected rows shown (the report's `errorsTotal` still counts them all). */
  errors: number;
  /** Ignored column names shown. */
  columns: number;
  /** Characters shown of one column name or one reason. */
  text: number;
}

/** A list shows a glimpse of each report; the page of one import shows what the report holds. */
export const LIST_BOUNDS: ReportBounds = { errors: 20, columns: 20, text: 200 };
export const SINGLE_BOUNDS: ReportBounds = { errors: 1000, columns: 100, text: 500 };

const clip = (text: string, length: number): string =>
  text.length > length ? `${text.slice(0, length)}…` : text;

/**
 * A report cut to what one answer can carry. A CSV can name millions of columns or rows
 * with megabytes of text; the dashboard shows the first few, says how many there were, and
 * keeps every answer well under Lambda's 6 MB response limit.
 */
export function boundReport(report: ImportReport, bounds: ReportBounds): ImportReport {
  const bounded: ImportReport = { ...report };
  if (report.errors) {
    bounded.errors = report.errors
      .slice(0, bounds.errors)
      .map((error) => ({ ...error, reason: clip(error.reason, bounds.text) }));
    bounded.errorsTotal = report.errorsTotal ?? report.errors.length;
    if (report.errors.length > bounds.errors) bounded.errorsTruncated = true;
  }
  if (report.ignoredColumns) {
    bounded.ignoredColumns = report.ignoredColumns
      .slice(0, bounds.columns)
      .map((name) => clip(name, bounds.text));
    bounded.ignoredColumnsTotal = report.ignoredColumnsTotal ?? report.ignoredColumns.length;
  }
  if (report.reason) bounded.reason = clip(report.reason, bounds.text);
  return bounded;
}

export function boundEntry(entry: ImportReportEntry, bounds: ReportBounds): ImportReportEntry {
  return entry.readable ? { ...entry, report: boundReport(entry.report, bounds) } : entry;
}
