import { z } from 'zod';
import {
  type ImportSettings,
  importSettingsEnvironmentSchema,
  importSettingsFrom,
} from '#shared/inventory/settings.ts';

/**
 * The import function's configuration, parsed once at cold start (handler.ts). Only the
 * bucket and table names must be set; every tunable has a default that suits an on-demand
 * table and the 15-minute Lambda limit.
 */
export const importEnvironmentSchema = importSettingsEnvironmentSchema.extend({
  /** Conservative write throughput, used to refuse up front a file that cannot finish in time. */
  INVENTORY_ROWS_PER_SECOND: z.coerce.number().positive().default(400),
});

export type ImportEnvironment = z.infer<typeof importEnvironmentSchema>;

export interface ImportConfig extends ImportSettings {
  rowsPerSecond: number;
}

export function importConfigFrom(env: ImportEnvironment): ImportConfig {
  return { ...importSettingsFrom(env), rowsPerSecond: env.INVENTORY_ROWS_PER_SECOND };
}

/**
 * When the import hands a file to the large-import state machine (hand-off.ts). Without a
 * state machine ARN nothing is handed off.
 */
export const handOffEnvironmentSchema = z.object({
  LARGE_IMPORT_STATE_MACHINE_ARN: z.string().trim().min(1).optional(),
  /** Objects larger than this go to the workflow. */
  LARGE_IMPORT_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(14 * 1024 * 1024),
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
