import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { type RebuildReport, type RebuildState, summariseRebuild } from './rebuild.ts';

const env = parseEnvironment(z.object({ UPLOADS_BUCKET: z.string().trim().min(1) }));
const { logger } = createObservability();

async function summarise(event: RebuildState): Promise<RebuildReport & { report: string }> {
  const summary = await summariseRebuild({ s3: s3Client(), bucket: env.UPLOADS_BUCKET, state: event });
  logger.info('Thumbnail rebuild finished', { ...summary });
  return summary;
}

export const handler = middy(summarise).use(injectLambdaContext(logger, { resetKeys: true }));
