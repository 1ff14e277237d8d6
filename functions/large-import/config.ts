import { z } from 'zod';
import {
  type ImportSettings,
  importSettingsEnvironmentSchema,
  importSettingsFrom,
} from '#shared/inventory/settings.ts';

/**
 * Configuration of the large-import workflow's functions, parsed once at cold start by each
 * handler. Every function shares the import's settings (#shared/inventory/settings.ts); the
 * workflow's own tunables have defaults that suit an on-demand table (see docs/long-runs.md
 * for how they were chosen).
 */
export const largeImportEnvironmentSchema = importSettingsEnvironmentSchema.extend({
  /** Bytes per range: each range is one Lambda invocation of the range import. */
  LARGE_IMPORT_RANGE_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(16 * 1024 * 1024),
  /** Upper bound on ranges per execution (neighbours are joined past it): history and payload quotas. */
  LARGE_IMPORT_MAX_RANGES: z.coerce.number().int().min(1).max(2000).default(1000),
  /** Share of ranges (0–1) allowed to fail before the execution fails. */
  LARGE_IMPORT_FAILURE_TOLERANCE: z.coerce.number().min(0).max(1).default(0),
  /** Set for the summary step: where "import finished" messages go. */
  OUT_OF_STOCK_TOPIC_ARN: z.string().trim().min(1).optional(),
});

export type LargeImportEnvironment = z.infer<typeof largeImportEnvironmentSchema>;

export interface LargeImportConfig extends ImportSettings {
  rangeBytes: number;
  maxRanges: number;
  failureTolerance: number;
  topicArn?: string;
}

export function largeImportConfigFrom(env: LargeImportEnvironment): LargeImportConfig {
  return {
    ...importSettingsFrom(env),
    rangeBytes: env.LARGE_IMPORT_RANGE_BYTES,
    maxRanges: env.LARGE_IMPORT_MAX_RANGES,
    failureTolerance: env.LARGE_IMPORT_FAILURE_TOLERANCE,
    ...(env.OUT_OF_STOCK_TOPIC_ARN ? { topicArn: env.OUT_OF_STOCK_TOPIC_ARN } : {}),
  };
}
