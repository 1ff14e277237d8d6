import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { largeImportConfigFrom, largeImportEnvironmentSchema } from './config.ts';
import { byteRangeSchema, largeImportJobSchema, rangeOutcomeSchema } from './job.ts';
import { type ReconcileResult, reconcileRanges } from './reconcile.ts';

const config = largeImportConfigFrom(parseEnvironment(largeImportEnvironmentSchema));
const { logger } = createObservability();

const reconcileEventSchema = z.object({
  job: largeImportJobSchema,
  ranges: z.array(byteRangeSchema),
  results: z.array(rangeOutcomeSchema),
});

async function reconcile(event: unknown): Promise<ReconcileResult> {
  const { job, ranges, results } = reconcileEventSchema.parse(event);
  logger.appendKeys({ key: job.source.key, executionName: job.executionName });
  const result = await reconcileRanges({
    s3: s3Client(),
    bucket: config.uploadsBucket,
    job,
    ranges,
    outcomes: results,
  });
  logger.info('Ranges reconciled', {
    crossRangeDuplicates: result.crossRangeDuplicates,
    repairs: result.repairs.map((range) => range.index),
  });
  return result;
}

export const handler = middy(reconcile).use(injectLambdaContext(logger, { resetKeys: true }));
