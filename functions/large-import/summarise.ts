import { DeleteObjectsCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { bodyBuffer, isMissingObject } from '#shared/aws/s3-objects.ts';
import { putJsonReport, reportKeyFor } from '#shared/reports.ts';
import { type ImportReason, type InventoryImportReport, RowErrorLog } from '../import-inventory/report.ts';
import { resolveColumns } from '../import-inventory/rows.ts';
import {
  byteRangeSchema,
  largeImportJobSchema,
  planRejectionSchema,
  type RangePart,
  rangeKeysKey,
  rangeOutcomeSchema,
  rangePartKey,
  rangePartSchema,
  rangeRepairKey,
} from './job.ts';

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
  const { job } = input;
  const now = options.now ?? (() => new Date());
  if (input.rejected?.reason === 'superseded') {
    // Nothing to say: the new version's own import writes the report.
    return { status: 'superseded', failed: false };
  }
  const errors = new RowErrorLog(options.maxReportedErrors);
  const totals = { rowsRead: 0, rowsImported: 0, rowsRejected: 0, duplicates: 0 };
  const outcomes = new Map((input.results ?? []).map((outcome) => [outcome.index, outcome]));
  for (const repair of input.repairResults ?? []) {
    // A range whose repair failed may have lost its last-row-wins writes: count it as failed.
    if (repair.status === 'failed') outcomes.set(repair.index, repair);
  }
  const failedRanges: NonNullable<InventoryImportReport['failedRanges']> = [];
  let rejectedPart: RangePart | undefined;
  const ranges = [...input.ranges].sort((a, b) => a.index - b.index);
  for (const [position, range] of ranges.entries()) {
    const outcome = outcomes.get(range.index);
    const part =
      outcome && outcome.status !== 'failed' ? await readPart(s3, bucket, job, range.index) : undefined;
    if (!part) {
      const next = ranges[position + 1];
      failedRanges.push({
        index: range.index,
        firstLine: range.firstLine,
        ...(next ? { lastLine: next.firstLine - 1 } : {}),
        error: outcome?.error ?? 'NoResult',
      });
      continue;
    }
    totals.rowsRead += part.rowsRead;
    totals.rowsImported += part.rowsImported;
    totals.rowsRejected += part.rowsRejected;
    totals.duplicates += part.duplicates;
    for (const error of part.errors) errors.add(error.line, error.reason);
    // Errors a range counted but did not list still count.
    for (let hidden = part.errorsTotal - part.errors.length; hidden > 0; hidden -= 1) errors.add(0, '');
    if (part.status === 'rejected') rejectedPart ??= part;
  }
  totals.duplicates += input.reconcile?.crossRangeDuplicates ?? 0;

  const tolerated =
    ranges.length === 0 ? true : failedRanges.length / ranges.length <= options.failureTolerance;
  let status: InventoryImportReport['status'];
  let reason: ImportReason | undefined;
  let detail: string | undefined;
  if (input.rejected) {
    status = 'rejected';
    reason = input.rejected.reason as ImportReason;
    detail = input.rejected.detail;
  } else if (rejectedPart) {
    status = 'rejected';
    reason = rejectedPart.reason as ImportReason;
    detail = `${rejectedPart.detail ?? ''} (range ${rejectedPart.index}; rows of other ranges were imported)`;
  } else if (!tolerated) {
    status = 'failed';
    reason = 'ranges_failed';
    detail = describeFailures(failedRanges, ranges.length);
  } else {
    status = failedRanges.length > 0 || totals.rowsRejected > 0 ? 'completed_with_errors' : 'completed';
    if (failedRanges.length > 0) detail = describeFailures(failedRanges, ranges.length);
  }

  const errorReport = errors.toReport();
  const report: InventoryImportReport = {
    source: job.source,
    status,
    ...(reason ? { reason } : {}),
    ...(detail ? { detail } : {}),
    ...totals,
    // Listed errors only (the placeholders above stand for errors a range did not list).
    errors: errorReport.errors.filter((error) => error.line > 0),
    errorsTotal: errorReport.errorsTotal,
    errorsTruncated: errorReport.errorsTruncated,
    ignoredColumns: job.header.length > 0 && !input.rejected ? resolveColumns(job.header).ignoredColumns : [],
    executionArn: job.executionArn,
    ...(failedRanges.length > 0 ? { failedRanges } : {}),
    startedAt: job.startedAt,
    finishedAt: now().toISOString(),
  };
  const reportKey = reportKeyFor('inventory', job.source.key);
  await putJsonReport(s3, bucket, reportKey, report);
  const reportUrl = `s3://${bucket}/${reportKey}`;

  if (options.sns && options.topicArn) {
    await options.sns.send(
      new PublishCommand({
        TopicArn: options.topicArn,
        Subject: `Inventory import ${status}: ${job.source.key}`.slice(0, 99),
        Message: JSON.stringify({
          type: 'import_finished',
          source: job.source,
          status,
          ...(reason ? { reason } : {}),
          rowsRead: report.rowsRead,
          rowsImported: report.rowsImported,
          rowsRejected: report.rowsRejected,
          failedRanges: failedRanges.length,
          report: reportUrl,
          executionArn: job.executionArn,
        }),
        MessageAttributes: { type: { DataType: 'String', StringValue: 'import_finished' } },
      }),
    );
  }
  await deleteParts(
    s3,
    bucket,
    job,
    ranges.map((range) => range.index),
  );

  return {
    status,
    failed: status === 'failed',
    report: reportUrl,
    ...(status === 'failed'
      ? { error: 'LargeImportFailedError', cause: `${detail ?? ''}; report: ${reportUrl}` }
      : {}),
  };
}

function describeFailures(failed: NonNullable<InventoryImportReport['failedRanges']>, total: number): string {
  const named = failed
    .slice(0, MAX_RANGES_IN_CAUSE)
    .map(
      (range) => `range ${range.index} (lines ${range.firstLine}–${range.lastLine ?? 'end'}): ${range.error}`,
    )
    .join(', ');
  const more = failed.length > MAX_RANGES_IN_CAUSE ? ` and ${failed.length - MAX_RANGES_IN_CAUSE} more` : '';
  return `${failed.length} of ${total} ranges failed: ${named}${more}`;
}

async function readPart(
  s3: S3Client,
  bucket: string,
  job: SummaryInput['job'],
  index: number,
): Promise<RangePart | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: rangePartKey(job, index) }));
    return rangePartSchema.parse(JSON.parse((await bodyBuffer(object)).toString('utf8')));
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

/** The execution's scratch objects; the bucket's lifecycle rule on `reports/` would get them too, later. */
async function deleteParts(
  s3: S3Client,
  bucket: string,
  job: SummaryInput['job'],
  indexes: number[],
): Promise<void> {
  const keys = indexes.flatMap((index) => [
    rangePartKey(job, index),
    rangeKeysKey(job, index),
    rangeRepairKey(job, index),
  ]);
  if (job.data.key !== job.source.key) keys.push(job.data.key);
  // DeleteObjects takes at most 1000 keys; a missing key is not an error.
  for (let at = 0; at < keys.length; at += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(at, at + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
}
