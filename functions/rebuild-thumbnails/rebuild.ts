import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { MAX_THUMBNAIL_WIDTH } from '#shared/images/config.ts';
import { IMAGES_PREFIX } from '#shared/images/keys.ts';
import type { RecordOutcome } from '#shared/images/report.ts';
import type { InvocationClock } from '#shared/images/thumbnailer.ts';
import { putJsonReport } from '#shared/reports.ts';

/**
 * Rebuilding every thumbnail under a prefix, in pages of listed keys and batches of images.
 * Only counts, page numbers and S3 keys travel through the state machine (its payload
 * limit is 256 KiB); the listed keys are kept in an S3 part per page.
 */

export const REBUILDS_PREFIX = 'reports/images/rebuilds/';

export const rebuildRequestSchema = z.object({
  /** Under `images/`; default all of it. */
  prefix: z
    .string()
    .default(IMAGES_PREFIX)
    .refine((prefix) => prefix.startsWith(IMAGES_PREFIX), `prefix must start with ${IMAGES_PREFIX}`),
  /** Widths to make; default the configured THUMBNAIL_WIDTHS. */
  sizes: z.array(z.number().int().min(1).max(MAX_THUMBNAIL_WIDTH)).min(1).max(20).optional(),
});
export type RebuildRequest = z.infer<typeof rebuildRequestSchema>;

export const batchSchema = z.object({
  page: z.number().int().positive(),
  offset: z.number().int().nonnegative(),
  count: z.number().int().positive(),
});
export type RebuildBatch = z.infer<typeof batchSchema>;

export const countsSchema = z.object({
  processed: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** The first keys that failed (capped). */
  failedKeys: z.array(z.string()),
});
export type RebuildCounts = z.infer<typeof countsSchema>;

/** What a Map iteration returns: its counts, or (from the Catch) the batch that failed whole. */
export const batchResultSchema = z.union([
  countsSchema,
  z.object({ failedBatch: batchSchema, error: z.string() }),
]);

export const rebuildStateSchema = z.object({
  request: rebuildRequestSchema,
  executionName: z.string(),
  executionArn: z.string(),
  startedAt: z.string(),
  page: z.number().int().nonnegative().default(0),
  continuationToken: z.string().optional(),
  totals: countsSchema.optional(),
  batchResults: z.array(batchResultSchema).optional(),
});
export type RebuildState = z.input<typeof rebuildStateSchema>;

export interface RebuildListing {
  request: RebuildRequest;
  executionName: string;
  executionArn: string;
  startedAt: string;
  partsPrefix: string;
  page: number;
  continuationToken?: string;
  totals: RebuildCounts;
  batches: RebuildBatch[];
}

const MAX_FAILED_KEYS = 50;

export const emptyCounts = (): RebuildCounts => ({
  processed: 0,
  rejected: 0,
  skipped: 0,
  failed: 0,
  failedKeys: [],
});

/** Adds a page's batch results to the running totals. */
export function tally(
  totals: RebuildCounts,
  results: readonly z.infer<typeof batchResultSchema>[],
): RebuildCounts {
  const sum = { ...totals, failedKeys: [...totals.failedKeys] };
  for (const result of results) {
    if ('failedBatch' in result) {
      sum.failed += result.failedBatch.count;
      if (sum.failedKeys.length < MAX_FAILED_KEYS) {
        sum.failedKeys.push(
          `(batch ${result.failedBatch.page}/${result.failedBatch.offset}: ${result.error})`,
        );
      }
      continue;
    }
    sum.processed += result.processed;
    sum.rejected += result.rejected;
    sum.skipped += result.skipped;
    sum.failed += result.failed;
    sum.failedKeys.push(...result.failedKeys.slice(0, MAX_FAILED_KEYS - sum.failedKeys.length));
  }
  return sum;
}

const partsPrefixFor = (executionName: string): string => `${REBUILDS_PREFIX}.parts/${executionName}/`;

const pagePartKey = (partsPrefix: string, page: number): string =>
  `${partsPrefix}page-${String(page).padStart(5, '0')}.json`;

/**
 * Lists the next page of images (ListObjectsV2 pages of up to `pageSize` keys), keeps the
 * keys in a part, and cuts the page into batches. Also folds in the previous page's results.
 */
export async function listRebuildPage(options: {
  s3: S3Client;
  bucket: string;
  state: RebuildState;
  pageSize: number;
  batchSize: number;
}): Promise<RebuildListing> {
  const state = rebuildStateSchema.parse(options.state);
  const partsPrefix = partsPrefixFor(state.executionName);
  const totals = tally(state.totals ?? emptyCounts(), state.batchResults ?? []);
  const page = state.page + 1;
  const listed = await options.s3.send(
    new ListObjectsV2Command({
      Bucket: options.bucket,
      Prefix: state.request.prefix,
      MaxKeys: options.pageSize,
      ...(state.continuationToken ? { ContinuationToken: state.continuationToken } : {}),
    }),
  );
  // Folder markers (`images/shoes/`) are not images.
  const keys = (listed.Contents ?? []).flatMap((object) =>
    object.Key && !object.Key.endsWith('/') ? [object.Key] : [],
  );
  const batches: RebuildBatch[] = [];
  if (keys.length > 0) {
    await putJsonReport(options.s3, options.bucket, pagePartKey(partsPrefix, page), { keys });
    for (let offset = 0; offset < keys.length; offset += options.batchSize) {
      batches.push({ page, offset, count: Math.min(options.batchSize, keys.length - offset) });
    }
  }
  const next = listed.IsTruncated ? listed.NextContinuationToken : undefined;
  return {
    request: state.request,
    executionName: state.executionName,
    executionArn: state.executionArn,
    startedAt: state.startedAt,
    partsPrefix,
    page,
    ...(next ? { continuationToken: next } : {}),
    totals,
    batches,
  };
}

/** Makes one image's thumbnails; the thumbnails flow's own code (ImageThumbnailer). */
export type CreateThumbnails = (
  key: string,
  sizes: number[] | undefined,
  clock: InvocationClock,
) => Promise<RecordOutcome>;

/**
 * One batch: the images of a page slice, `concurrency` at a time (sharp is CPU-bound; one
 * Lambda has few cores). A rejected image (not an image, too large…) is counted, as is a
 * failure; neither stops the batch.
 */
export async function rebuildBatch(options: {
  s3: S3Client;
  bucket: string;
  partsPrefix: string;
  batch: RebuildBatch;
  sizes?: number[];
  concurrency: number;
  createThumbnails: CreateThumbnails;
  clock: InvocationClock;
  onFailure?: (key: string, error: unknown) => void;
}): Promise<RebuildCounts> {
  const part = await options.s3.send(
    new GetObjectCommand({
      Bucket: options.bucket,
      Key: pagePartKey(options.partsPrefix, options.batch.page),
    }),
  );
  const { keys } = z
    .object({ keys: z.array(z.string()) })
    .parse(JSON.parse((await part.Body?.transformToString()) ?? '{}'));
  const slice = keys.slice(options.batch.offset, options.batch.offset + options.batch.count);
  const counts = emptyCounts();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < slice.length) {
      const key = slice[next] as string;
      next += 1;
      try {
        const outcome = await options.createThumbnails(key, options.sizes, options.clock);
        if (outcome.status === 'processed') counts.processed += 1;
        else if (outcome.status === 'rejected') counts.rejected += 1;
        else counts.skipped += 1;
      } catch (error) {
        counts.failed += 1;
        if (counts.failedKeys.length < MAX_FAILED_KEYS) counts.failedKeys.push(key);
        options.onFailure?.(key, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return counts;
}

export interface RebuildReport extends RebuildCounts {
  prefix: string;
  sizes?: number[];
  executionArn: string;
  pages: number;
  startedAt: string;
  finishedAt: string;
}

export const rebuildReportKey = (executionName: string): string => `${REBUILDS_PREFIX}${executionName}.json`;

/** Folds in the last page, writes `reports/images/rebuilds/<execution name>.json`, removes the parts. */
export async function summariseRebuild(options: {
  s3: S3Client;
  bucket: string;
  state: RebuildState & { partsPrefix?: string };
  now?: () => Date;
}): Promise<RebuildReport & { report: string }> {
  const state = rebuildStateSchema.parse(options.state);
  const totals = tally(state.totals ?? emptyCounts(), state.batchResults ?? []);
  const report: RebuildReport = {
    prefix: state.request.prefix,
    ...(state.request.sizes ? { sizes: state.request.sizes } : {}),
    ...totals,
    executionArn: state.executionArn,
    pages: state.page,
    startedAt: state.startedAt,
    finishedAt: (options.now ?? (() => new Date()))().toISOString(),
  };
  const key = rebuildReportKey(state.executionName);
  await putJsonReport(options.s3, options.bucket, key, report);
  const partsPrefix = partsPrefixFor(state.executionName);
  const parts = Array.from({ length: state.page }, (_, i) => ({ Key: pagePartKey(partsPrefix, i + 1) }));
  for (let at = 0; at < parts.length; at += 1000) {
    await options.s3.send(
      new DeleteObjectsCommand({
        Bucket: options.bucket,
        Delete: { Objects: parts.slice(at, at + 1000), Quiet: true },
      }),
    );
  }
  return { ...report, report: `s3://${options.bucket}/${key}` };
}
