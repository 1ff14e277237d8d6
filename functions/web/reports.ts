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
