import { z } from 'zod';

/**
 * The import function's configuration, parsed once at cold start (handler.ts). Only the
 * bucket and table names must be set; every tunable has a default that suits an on-demand
 * table and the 15-minute Lambda limit.
 */
export const importEnvironmentSchema = z.object({
  UPLOADS_BUCKET: z.string().trim().min(1),
  INVENTORY_TABLE: z.string().trim().min(1),
  /** BatchWriteItem requests in flight at once (each carries up to 25 rows). */
  INVENTORY_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(6),
  /** Attempts per batch (first try included) for throttling, 5xx and UnprocessedItems. */
  INVENTORY_WRITE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(10),
  /** Row errors listed in a report; the rest are only counted (`errorsTotal`). */
  INVENTORY_MAX_REPORTED_ERRORS: z.coerce.number().int().min(0).max(10_000).default(1000),
  /** Conservative write throughput, used to refuse up front a file that cannot finish in time. */
  INVENTORY_ROWS_PER_SECOND: z.coerce.number().positive().default(2000),
  /** Stop this long before the Lambda timeout: enough to drain in-flight writes and write the report. */
  INVENTORY_TIME_SAFETY_MARGIN_MS: z.coerce.number().int().min(0).default(30_000),
});

export type ImportEnvironment = z.infer<typeof importEnvironmentSchema>;

export interface ImportConfig {
  uploadsBucket: string;
  tableName: string;
  writeConcurrency: number;
  writeMaxAttempts: number;
  maxReportedErrors: number;
  rowsPerSecond: number;
  timeSafetyMarginMs: number;
}

export function importConfigFrom(env: ImportEnvironment): ImportConfig {
  return {
    uploadsBucket: env.UPLOADS_BUCKET,
    tableName: env.INVENTORY_TABLE,
    writeConcurrency: env.INVENTORY_WRITE_CONCURRENCY,
    writeMaxAttempts: env.INVENTORY_WRITE_MAX_ATTEMPTS,
    maxReportedErrors: env.INVENTORY_MAX_REPORTED_ERRORS,
    rowsPerSecond: env.INVENTORY_ROWS_PER_SECOND,
    timeSafetyMarginMs: env.INVENTORY_TIME_SAFETY_MARGIN_MS,
  };
}
