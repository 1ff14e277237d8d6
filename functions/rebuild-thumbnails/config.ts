import { z } from 'zod';

/** The rebuild's own tunables; the thumbnail settings are shared with the thumbnails function (`#shared/images/config.ts`). */
export const rebuildEnvironmentSchema = z.object({
  /** Keys listed per page (ListObjectsV2 returns at most 1000). */
  REBUILD_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(1000),
  /** Images per Map iteration (one Lambda invocation). */
  REBUILD_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(50),
  /** Images rendered at once inside one invocation. */
  REBUILD_IMAGE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
});
export type RebuildEnvironment = z.infer<typeof rebuildEnvironmentSchema>;
