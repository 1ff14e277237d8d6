import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import sharp from 'sharp';
import { z } from 'zod';
import { s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { thumbnailConfigFrom, thumbnailEnvironmentSchema } from '#shared/images/config.ts';
import { powertoolsThumbnailMetrics } from '#shared/images/telemetry.ts';
import { ImageThumbnailer } from '#shared/images/thumbnailer.ts';
import { createObservability } from '#shared/observability.ts';
import { rebuildEnvironmentSchema } from './config.ts';
import { batchSchema, type RebuildCounts, rebuildBatch, rebuildRequestSchema } from './rebuild.ts';

const config = thumbnailConfigFrom(parseEnvironment(thumbnailEnvironmentSchema));
const env = parseEnvironment(rebuildEnvironmentSchema);
const { logger, metrics } = createObservability();
sharp.cache(false);

/** One thumbnailer per set of widths (the configured one, or a rebuild's `sizes`). */
const thumbnailers = new Map<string, ImageThumbnailer>();
function thumbnailerFor(sizes: number[] | undefined): ImageThumbnailer {
  const widths = sizes ? [...new Set(sizes)].sort((a, b) => a - b) : config.widths;
  const id = widths.join(',');
  let thumbnailer = thumbnailers.get(id);
  if (!thumbnailer) {
    thumbnailer = new ImageThumbnailer({
      s3: s3Client(),
      config: { ...config, widths },
      logger,
      metrics: powertoolsThumbnailMetrics(metrics),
    });
    thumbnailers.set(id, thumbnailer);
  }
  return thumbnailer;
}

const batchEventSchema = z.object({
  batch: batchSchema,
  request: rebuildRequestSchema,
  partsPrefix: z.string(),
});

async function rebuildImages(event: unknown, context: Context): Promise<RebuildCounts> {
  const { batch, request, partsPrefix } = batchEventSchema.parse(event);
  const counts = await rebuildBatch({
    s3: s3Client(),
    bucket: config.uploadsBucket,
    partsPrefix,
    batch,
    ...(request.sizes ? { sizes: request.sizes } : {}),
    concurrency: env.REBUILD_IMAGE_CONCURRENCY,
    clock: { remainingTimeMs: () => context.getRemainingTimeInMillis() },
    // The same code path as an upload: as if the image had just been uploaded.
    createThumbnails: (key, sizes, clock) =>
      thumbnailerFor(sizes).createThumbnails(
        { kind: 'created', eventName: 'Rebuild', bucket: config.uploadsBucket, key },
        clock,
      ),
    onFailure: (key, error) => logger.error('Rebuild of an image failed', { key, error }),
  });
  logger.info('Rebuilt a batch', { ...batch, ...counts });
  return counts;
}

export const handler = middy(rebuildImages)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
