import type { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import type { ByteRange } from '#shared/inventory/ranges.ts';
import {
  type ImportReason,
  type InventoryImportReport,
  putImportReport,
  RowErrorLog,
} from '#shared/inventory/report.ts';
import { resolveColumns } from '#shared/inventory/rows.ts';
import { reportKeyFor } from '#shared/reports.ts';
import {
  byteRangeSchema,
  directKeysKey,
  directPartKey,
  largeImportJobSchema,
  planRejectionSchema,
  type RangePart,
  rangeOutcomeSchema,
} from './job.ts';
import { deleteParts, getRangePart } from './parts.ts';

/** The state the summary step receives: the plan's output plus what the Maps returned. */
export const summaryInputSchema = z.object({
  job: largeImportJobSchema,
  ranges: z.array(byteRangeSchema),
  rejected: planRejectionSchema.optional(),
  results: z.array(rangeOutcomeSchema).optional(),
  reconcile: z.object({ crossRangeDuplicates: z.number().int().nonnegative() }).optional(),
  repairResults: z.array(rangeOutcomeSchema).optional(),
});
export type SummaryInput = z.infer<typeof summaryInputSchema>;

export interface SummaryResult {
  status: InventoryImportReport['status'] | 'superseded';
  /** True when more ranges failed than tolerated: the state machine then fails the execution. */
  failed: boolean;
  error?: string;
  cause?: string;
  report?: string;
}

export interface SummariseOptions {
  s3: S3Client;
  sns?: SNSClient;
  topicArn?: string;
  bucket: string;
  maxReportedErrors: number;
  failureTolerance: number;
  input: SummaryInput;
  now?: () => Date;
}

type FailedRange = NonNullable<InventoryImportReport['failedRanges']>[number];

/** What the ranges' parts add up to. */
interface MergedParts {
  totals: Pick<InventoryImportReport, 'rowsRead' | 'rowsImported' | 'rowsRejected' | 'duplicates'>;
  errors: RowErrorLog;
  failedRanges: FailedRange[];
  /** The first range that found a structural fault. */
  rejectedPart?: RangePart;
}

type Verdict = Pick<InventoryImportReport, 'status' | 'reason' | 'detail'>;

/** Failed ranges named in the execution's failure cause (the report lists them all). */
const MAX_RANGES_IN_CAUSE = 20;

/**
 * Merges the ranges' parts into one report — the same schema and numbers a direct import of
 * the file gives: real line numbers, errors in file order and capped, absolute totals —
 * writes it over the `handed_off` report, publishes an `import_finished` message, and
 * removes the execution's parts.
 */
export async function summariseLargeImport(options: SummariseOptions): Promise<SummaryResult> {
  const { s3, bucket, input } = options;
  if (input.rejected?.reason === 'superseded') {
    // Nothing to say: the new version's own import writes the report.
    return { status: 'superseded', failed: false };
  }
  const ranges = [...input.ranges].sort((a, b) => a.index - b.index);
  const merged = await mergeParts(options, ranges);
  const verdict = verdictOn(input, merged, ranges.length, options.failureTolerance);
  const report = await putImportReport(
    s3,
    bucket,
    reportOf(input, merged, verdict, (options.now ?? (() => new Date()))()),
  );
  const reportUrl = `s3://${bucket}/${reportKeyFor('inventory', report.source.key)}`;
  await publishFinished(options, report, reportUrl);
  const direct = ranges.flatMap((range) =>
    range.direct
      ? [directPartKey(input.job, range.direct.afterLine), directKeysKey(input.job, range.direct.afterLine)]
      : [],
  );
  await deleteParts(
    s3,
    bucket,
    input.job,
    ranges.map((range) => range.index),
    direct,
  );
  const failed = report.status === 'failed';
  return {
    status: report.status,
    failed,
    report: reportUrl,
    ...(failed
      ? { error: 'LargeImportFailedError', cause: `${report.detail ?? ''}; report: ${reportUrl}` }
      : {}),
  };
}

/** Reads every range's part, in file order; a range without one is a failed range. */
async function mergeParts(options: SummariseOptions, ranges: readonly ByteRange[]): Promise<MergedParts> {
  const { s3, bucket, input } = options;
  const merged: MergedParts = {
    totals: { rowsRead: 0, rowsImported: 0, rowsRejected: 0, duplicates: 0 },
    errors: new RowErrorLog(options.maxReportedErrors),
    failedRanges: [],
  };
  const outcomes = new Map((input.results ?? []).map((outcome) => [outcome.index, outcome]));
  for (const repair of input.repairResults ?? []) {
    // A range whose repair failed may have lost its last-row-wins writes: count it as failed.
    if (repair.status === 'failed') outcomes.set(repair.index, repair);
  }
  for (const [position, range] of ranges.entries()) {
    const outcome = outcomes.get(range.index);
    const part =
      outcome && outcome.status !== 'failed'
        ? await getRangePart(s3, bucket, input.job, range.index)
        : undefined;
    if (!part) {
      const next = ranges[position + 1];
      merged.failedRanges.push({
        index: range.index,
        firstLine: range.firstLine,
        ...(next ? { lastLine: next.firstLine - 1 } : {}),
        error: outcome?.error ?? 'NoResult',
      });
      continue;
    }
    merged.totals.rowsRead += part.rowsRead;
    merged.totals.rowsImported += part.rowsImported;
    merged.totals.rowsRejected += part.rowsRejected;
    merged.totals.duplicates += part.duplicates;
    for (const error of part.errors) merged.errors.add(error.line, error.reason);
    // Errors a range counted but did not list still count.
    for (let hidden = part.errorsTotal - part.errors.length; hidden > 0; hidden -= 1)
      merged.errors.add(0, '');
    if (part.status === 'rejected') merged.rejectedPart ??= part;
  }
  merged.totals.duplicates += input.reconcile?.crossRangeDuplicates ?? 0;
  return merged;
}

/** The import's status: the plan's or a range's rejection first, then failed ranges against the tolerance. */
function verdictOn(
  input: SummaryInput,
  merged: MergedParts,
  ranges: number,
  failureTolerance: number,
): Verdict {
  const { failedRanges, rejectedPart } = merged;
  if (input.rejected) {
    return {
      status: 'rejected',
      reason: input.rejected.reason as ImportReason,
      detail: input.rejected.detail,
    };
  }
  if (rejectedPart) {
    return {
      status: 'rejected',
      reason: rejectedPart.reason as ImportReason,
      detail: `${rejectedPart.detail ?? ''} (range ${rejectedPart.index}; rows of other ranges were imported)`,
    };
  }
  const tolerated = ranges === 0 ? true : failedRanges.length / ranges <= failureTolerance;
  if (!tolerated) {
    return { status: 'failed', reason: 'ranges_failed', detail: describeFailures(failedRanges, ranges) };
  }
  return {
    status: failedRanges.length > 0 || merged.totals.rowsRejected > 0 ? 'completed_with_errors' : 'completed',
    ...(failedRanges.length > 0 ? { detail: describeFailures(failedRanges, ranges) } : {}),
  };
}

function reportOf(
  input: SummaryInput,
  merged: MergedParts,
  verdict: Verdict,
  now: Date,
): InventoryImportReport {
  const { job } = input;
  const errorReport = merged.errors.toReport();
  return {
    source: job.source,
    status: verdict.status,
    ...(verdict.reason ? { reason: verdict.reason } : {}),
    ...(verdict.detail ? { detail: verdict.detail } : {}),
    ...merged.totals,
    // Listed errors only (the placeholders above stand for errors a range did not list).
    errors: errorReport.errors.filter((error) => error.line > 0),
    errorsTotal: errorReport.errorsTotal,
    errorsTruncated: errorReport.errorsTruncated,
    // The plan judged the header against the caps; here it only names the ignored columns.
    ignoredColumns:
      job.header.length > 0 && !input.rejected
        ? resolveColumns(job.header, Number.POSITIVE_INFINITY).ignoredColumns
        : [],
    executionArn: job.executionArn,
    ...(merged.failedRanges.length > 0 ? { failedRanges: merged.failedRanges } : {}),
    startedAt: job.startedAt,
    finishedAt: now.toISOString(),
  };
}

/** `import_finished` on the alerts topic (its e-mail subscription filters it out by `type`). */
async function publishFinished(
  options: SummariseOptions,
  report: InventoryImportReport,
  reportUrl: string,
): Promise<void> {
  if (!options.sns || !options.topicArn) return;
  await options.sns.send(
    new PublishCommand({
      TopicArn: options.topicArn,
      Subject: `Inventory import ${report.status}: ${report.source.key}`.slice(0, 99),
      Message: JSON.stringify({
        type: 'import_finished',
        source: report.source,
        status: report.status,
        ...(report.reason ? { reason: report.reason } : {}),
        rowsRead: report.rowsRead,
        rowsImported: report.rowsImported,
        rowsRejected: report.rowsRejected,
        failedRanges: report.failedRanges?.length ?? 0,
        report: reportUrl,
        executionArn: report.executionArn,
      }),
      MessageAttributes: { type: { DataType: 'String', StringValue: 'import_finished' } },
    }),
  );
}

function describeFailures(failed: readonly FailedRange[], total: number): string {
  const named = failed
    .slice(0, MAX_RANGES_IN_CAUSE)
    .map(
      (range) => `range ${range.index} (lines ${range.firstLine}–${range.lastLine ?? 'end'}): ${range.error}`,
    )
    .join(', ');
  const more = failed.length > MAX_RANGES_IN_CAUSE ? ` and ${failed.length - MAX_RANGES_IN_CAUSE} more` : '';
  return `${failed.length} of ${total} ranges failed: ${named}${more}`;
}
