import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { rebuildEnvironmentSchema } from './config.ts';
import { listRebuildPage, type RebuildListing, type RebuildState } from './rebuild.ts';

const env = parseEnvironment(rebuildEnvironmentSchema.extend({ UPLOADS_BUCKET: z.string().trim().min(1) }));
const { logger } = createObservability();

async function listImages(event: RebuildState): Promise<RebuildListing> {
  const listing = await listRebuildPage({
    s3: s3Client(),
    bucket: env.UPLOADS_BUCKET,
    state: event,
    pageSize: env.REBUILD_PAGE_SIZE,
    batchSize: env.REBUILD_BATCH_SIZE,
  });
  logger.info('Listed images to rebuild', {
    executionName: listing.executionName,
    prefix: listing.request.prefix,
    page: listing.page,
    batches: listing.batches.length,
    more: listing.continuationToken !== undefined,
  });
  return listing;
}

export const handler = middy(listImages).use(injectLambdaContext(logger, { resetKeys: true }));
