import { z } from 'zod';

/**
 * The input of a large-import execution: the contract between the S3-triggered import, which
 * hands a file off to the state machine, and the workflow's plan step, which reads it (an
 * operator may also start an execution by hand with it; see docs/long-runs.md).
 */
export const largeImportInputSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  versionId: z.string().optional(),
  etag: z.string().optional(),
  /** Overrides LARGE_IMPORT_RANGE_BYTES for this execution (an operator's re-run, tests). */
  rangeBytes: z.number().int().min(1).optional(),
});
export type LargeImportInput = z.infer<typeof largeImportInputSchema>;
