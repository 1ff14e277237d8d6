import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import { s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { thumbnailConfigFrom, thumbnailEnvironmentSchema } from '#shared/images/config.ts';
import { configureSharpForThumbnails } from '#shared/images/render.ts';
import { powertoolsThumbnailMetrics } from '#shared/images/telemetry.ts';
import { ImageThumbnailer } from '#shared/images/thumbnailer.ts';
import { createObservability } from '#shared/observability.ts';
import { type EventSummary, handleS3Event, type S3EventFlow } from './s3-events.ts';

// At cold start: a bad configuration (including one that would make the function read its
// own output) fails here, before any event is touched.
const config = thumbnailConfigFrom(parseEnvironment(thumbnailEnvironmentSchema));
const { logger, metrics } = createObservability();
configureSharpForThumbnails();

const thumbnailMetrics = powertoolsThumbnailMetrics(metrics);
const flow: S3EventFlow = {
  thumbnailer: new ImageThumbnailer({ s3: s3Client(), config, logger, metrics: thumbnailMetrics }),
  config,
  logger,
  metrics: thumbnailMetrics,
};

// Keys are decoded per record (s3-records.ts), not by @middy/event-normalizer: a key that
// fails to decode must skip its own record, not fail the whole event.
export const handler = middy<S3Event, EventSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event: S3Event, context: Context) =>
    handleS3Event(event, { remainingTimeMs: () => context.getRemainingTimeInMillis() }, flow),
  );
