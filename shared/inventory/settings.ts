import { z } from 'zod';
import { DEFAULT_FILE_LIMITS, type InventoryFileLimits } from './limits.ts';

/**
 * What both imports — the direct one and each range of the Step Functions one — read from
 * their function's environment: where files and the table are, and how the writer and the
 * report behave. Each handler extends this schema with its own settings and parses it once,
 * at cold start (`parseEnvironment`). The defaults suit an on-demand table and the
 * 15-minute Lambda limit (see docs/inventory.md and docs/long-runs.md).
 */
export const importSettingsEnvironmentSchema = z.object({
  UPLOADS_BUCKET: z.string().trim().min(1),
  INVENTORY_TABLE: z.string().trim().min(1),
  /** BatchWriteItem requests in flight at once (each carries up to 25 rows). */
  INVENTORY_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(6),
  /** Attempts per batch (first try included) for throttling, 5xx and UnprocessedItems. */
  INVENTORY_WRITE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(10),
  /** Row errors listed in a report; the rest are only counted (`errorsTotal`). */
  INVENTORY_MAX_REPORTED_ERRORS: z.coerce.number().int().min(0).max(10_000).default(1000),
  /**
   * Stop this long before the Lambda timeout: enough to drain in-flight writes and write the
   * report (the direct import), or to fail the range cleanly so it is retried (a range).
   */
  INVENTORY_TIME_SAFETY_MARGIN_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * Caps that refuse a hostile file early (limits.ts says why each default). The header may
   * only be capped lower than 64 KiB: the workflow carries it in its state (256 KiB at most).
   */
  INVENTORY_MAX_COLUMNS: z.coerce.number().int().min(3).max(10_000).default(DEFAULT_FILE_LIMITS.maxColumns),
  INVENTORY_MAX_HEADER_BYTES: z.coerce
    .number()
    .int()
    .min(64)
    .max(DEFAULT_FILE_LIMITS.maxHeaderBytes)
    .default(DEFAULT_FILE_LIMITS.maxHeaderBytes),
  INVENTORY_MAX_GUNZIPPED_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_FILE_LIMITS.maxGunzippedBytes),
  INVENTORY_MAX_GZIP_RATIO: z.coerce.number().min(1).default(DEFAULT_FILE_LIMITS.maxGzipRatio),
});

export type ImportSettingsEnvironment = z.infer<typeof importSettingsEnvironmentSchema>;

export interface ImportSettings {
  uploadsBucket: string;
  tableName: string;
  writeConcurrency: number;
  writeMaxAttempts: number;
  maxReportedErrors: number;
  timeSafetyMarginMs: number;
  fileLimits: InventoryFileLimits;
}

export function importSettingsFrom(env: ImportSettingsEnvironment): ImportSettings {
  return {
    uploadsBucket: env.UPLOADS_BUCKET,
    tableName: env.INVENTORY_TABLE,
    writeConcurrency: env.INVENTORY_WRITE_CONCURRENCY,
    writeMaxAttempts: env.INVENTORY_WRITE_MAX_ATTEMPTS,
    maxReportedErrors: env.INVENTORY_MAX_REPORTED_ERRORS,
    timeSafetyMarginMs: env.INVENTORY_TIME_SAFETY_MARGIN_MS,
    fileLimits: {
      maxColumns: env.INVENTORY_MAX_COLUMNS,
      maxHeaderBytes: env.INVENTORY_MAX_HEADER_BYTES,
      maxGunzippedBytes: env.INVENTORY_MAX_GUNZIPPED_BYTES,
      maxGzipRatio: env.INVENTORY_MAX_GZIP_RATIO,
    },
  };
}
