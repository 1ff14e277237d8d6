import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import sharp from 'sharp';
import { s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { thumbnailConfigFrom, thumbnailEnvironmentSchema } from './config.ts';
import { powertoolsThumbnailMetrics } from './telemetry.ts';
import { type EventSummary, ImageThumbnailer } from './thumbnailer.ts';

// At cold start: a bad configuration (including one that would make the function read its
// own output) fails here, before any event is touched.
const config = thumbnailConfigFrom(parseEnvironment(thumbnailEnvironmentSchema));
const { logger, metrics } = createObservability();

// libvips' operation cache helps a process that reads the same images again; each upload
// is new here, so the cache would only hold memory between invocations.
sharp.cache(false);

const thumbnailer = new ImageThumbnailer({
  s3: s3Client(),
  config,
  logger,
  metrics: powertoolsThumbnailMetrics(metrics),
});

// Keys are decoded by the thumbnailer (per record), not by @middy/event-normalizer: a key
// that fails to decode must skip its own record, not fail the whole event.
export const handler = middy<S3Event, EventSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event: S3Event, context: Context) =>
    thumbnailer.handleEvent(event, { remainingTimeMs: () => context.getRemainingTimeInMillis() }),
  );
