import { z } from 'zod';
import {
  directKeysKey,
  directPartKey,
  PARTS_PREFIX,
  type RangePart,
  rangePartSchema,
} from '#shared/inventory/large-import-input.ts';
import type { ByteRange } from '#shared/inventory/ranges.ts';
import { importSourceSchema } from '#shared/inventory/report.ts';

export { directKeysKey, directPartKey, PARTS_PREFIX, type RangePart, rangePartSchema };

/**
 * The shapes that travel through the state machine. Kept small on purpose: Step Functions
 * caps a state's input and output at 256 KiB, so row errors and key sets go to S3 parts
 * (under `reports/inventory/.parts/<execution name>/`) and only counts and keys travel.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */

/**
 * A range as the plan cut it (#shared/inventory/ranges.ts), as it travels through the state.
 * `direct`: the rows a direct import wrote before it ran out of time (range 0 only); its
 * part is `direct-<afterLine>.json` and `.keys` under the parts prefix.
 */
export const byteRangeSchema = z.object({
  index: z.number().int().nonnegative(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  firstLine: z.number().int().positive(),
  direct: z.object({ afterLine: z.number().int().positive() }).optional(),
}) satisfies z.ZodType<ByteRange>;
export type PlannedRange = z.infer<typeof byteRangeSchema>;

/** What every step needs to know about the import, fixed by the plan. */
export const largeImportJobSchema = z.object({
  executionName: z.string().min(1),
  executionArn: z.string().min(1),
  /** The uploaded object, as named in the report and on every item. */
  source: importSourceSchema,
  /** Where the ranges are read: the source itself, or a gunzipped staging copy of it. */
  data: z.object({ bucket: z.string(), key: z.string(), versionId: z.string().optional(), etag: z.string() }),
  /** The header's cells (the header is parsed once and applies to every range). */
  header: z.array(z.string()),
  /**
   * The record delimiter the plan found: every range is read with it (a range's own first
   * line break could be data, in a file with mixed line endings).
   */
  recordDelimiter: z.enum(['\n', '\r\n', '\r']).optional(),
  /** `updatedAt` of every item: the upload's time, so a re-run writes identical items. */
  updatedAt: z.string(),
  partsPrefix: z.string(),
  startedAt: z.string(),
});
export type LargeImportJob = z.infer<typeof largeImportJobSchema>;

export const planRejectionSchema = z.object({ reason: z.string(), detail: z.string() });

/** The plan step's output (the state machine keeps it at the top of the state). */
export interface LargeImportPlan {
  job: LargeImportJob;
  ranges: PlannedRange[];
  /** Set when the file is refused before anything is written. */
  rejected?: z.infer<typeof planRejectionSchema>;
}

/** One range's outcome as the Map returns it (its details are in its S3 part). */
export const rangeOutcomeSchema = z.object({
  index: z.number().int().nonnegative(),
  status: z.enum(['imported', 'rejected', 'failed']),
  /** The Step Functions error name, for a failed range. */
  error: z.string().optional(),
});
export type RangeOutcome = z.infer<typeof rangeOutcomeSchema>;

export const rangePartKey = (job: Pick<LargeImportJob, 'partsPrefix'>, index: number): string =>
  `${job.partsPrefix}range-${String(index).padStart(5, '0')}.json`;
export const rangeKeysKey = (job: Pick<LargeImportJob, 'partsPrefix'>, index: number): string =>
  `${job.partsPrefix}range-${String(index).padStart(5, '0')}.keys`;
export const rangeRepairKey = (job: Pick<LargeImportJob, 'partsPrefix'>, index: number): string =>
  `${job.partsPrefix}range-${String(index).padStart(5, '0')}.repair`;
