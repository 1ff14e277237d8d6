import { z } from 'zod';

/**
 * Configuration of the large-import workflow's functions, parsed once at cold start by each
 * handler. Every function shares the import's names; the tunables have defaults that suit
 * an on-demand table (see docs/long-runs.md for how they were chosen).
 */
export const largeImportEnvironmentSchema = z.object({
  UPLOADS_BUCKET: z.string().trim().min(1),
  INVENTORY_TABLE: z.string().trim().min(1),
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
  /** As in the direct import (functions/import-inventory/config.ts). */
  INVENTORY_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(6),
  INVENTORY_WRITE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(10),
  INVENTORY_MAX_REPORTED_ERRORS: z.coerce.number().int().min(0).max(10_000).default(1000),
  /** Stop a range this long before the Lambda timeout (the range then fails and is retried). */
  INVENTORY_TIME_SAFETY_MARGIN_MS: z.coerce.number().int().min(0).default(30_000),
  /** Set for the summary step: where "import finished" messages go. */
  OUT_OF_STOCK_TOPIC_ARN: z.string().trim().min(1).optional(),
});

export type LargeImportEnvironment = z.infer<typeof largeImportEnvironmentSchema>;

export interface LargeImportConfig {
  uploadsBucket: string;
  tableName: string;
  rangeBytes: number;
  maxRanges: number;
  failureTolerance: number;
  writeConcurrency: number;
  writeMaxAttempts: number;
  maxReportedErrors: number;
  timeSafetyMarginMs: number;
  topicArn?: string;
}

export function largeImportConfigFrom(env: LargeImportEnvironment): LargeImportConfig {
  return {
    uploadsBucket: env.UPLOADS_BUCKET,
    tableName: env.INVENTORY_TABLE,
    rangeBytes: env.LARGE_IMPORT_RANGE_BYTES,
    maxRanges: env.LARGE_IMPORT_MAX_RANGES,
    failureTolerance: env.LARGE_IMPORT_FAILURE_TOLERANCE,
    writeConcurrency: env.INVENTORY_WRITE_CONCURRENCY,
    writeMaxAttempts: env.INVENTORY_WRITE_MAX_ATTEMPTS,
    maxReportedErrors: env.INVENTORY_MAX_REPORTED_ERRORS,
    timeSafetyMarginMs: env.INVENTORY_TIME_SAFETY_MARGIN_MS,
    ...(env.OUT_OF_STOCK_TOPIC_ARN ? { topicArn: env.OUT_OF_STOCK_TOPIC_ARN } : {}),
  };
}

/**
 * The hand-off settings of the S3-triggered import (read by functions/import-inventory).
 * Without a state machine ARN nothing is handed off.
 */
export const handOffEnvironmentSchema = z.object({
  LARGE_IMPORT_STATE_MACHINE_ARN: z.string().trim().min(1).optional(),
  /** Objects larger than this go to the workflow. */
  LARGE_IMPORT_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(24 * 1024 * 1024),
});

export type HandOffEnvironment = z.infer<typeof handOffEnvironmentSchema>;

export interface HandOffConfig {
  stateMachineArn?: string;
  thresholdBytes: number;
}

export function handOffConfigFrom(env: HandOffEnvironment): HandOffConfig {
  return {
    thresholdBytes: env.LARGE_IMPORT_THRESHOLD_BYTES,
    ...(env.LARGE_IMPORT_STATE_MACHINE_ARN ? { stateMachineArn: env.LARGE_IMPORT_STATE_MACHINE_ARN } : {}),
  };
}
