import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDbClient, s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { largeImportConfigFrom, largeImportEnvironmentSchema } from './config.ts';
import { importInventoryRange } from './import-range.ts';
import { byteRangeSchema, largeImportJobSchema, type RangeOutcome } from './job.ts';

const config = largeImportConfigFrom(parseEnvironment(largeImportEnvironmentSchema));
const { logger, metrics } = createObservability();

/** One Map iteration: the ItemSelector gives the job, the range and the mode. */
const rangeEventSchema = z.object({
  job: largeImportJobSchema,
  range: byteRangeSchema,
  mode: z.enum(['import', 'repair']).default('import'),
});

async function importRange(event: unknown, context: Context): Promise<RangeOutcome> {
  const { job, range, mode } = rangeEventSchema.parse(event);
  logger.appendKeys({ key: job.source.key, executionName: job.executionName, range: range.index, mode });
  const outcome = await importInventoryRange({
    s3: s3Client(),
    dynamoDb: dynamoDbClient(),
    config,
    job,
    range,
    mode,
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    writerOverrides: {
      onRetry: ({ attempt, delayMs, unprocessed, error }) =>
        logger.warn('Retrying inventory batch write', { attempt, delayMs, unprocessed, error }),
    },
  });
  metrics.addMetric('LargeImportRangesDone', MetricUnit.Count, 1);
  logger.info('Range done', { ...outcome, start: range.start, end: range.end, firstLine: range.firstLine });
  return outcome;
}

// Errors propagate: the state machine's Retry and Catch decide (see serverless.yml).
export const handler = middy(importRange)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
