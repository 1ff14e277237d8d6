import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { largeImportInputSchema } from '#shared/inventory/large-import-input.ts';
import { createObservability } from '#shared/observability.ts';
import { largeImportConfigFrom, largeImportEnvironmentSchema } from './config.ts';
import type { LargeImportPlan } from './job.ts';
import { planLargeImport } from './plan.ts';

const config = largeImportConfigFrom(parseEnvironment(largeImportEnvironmentSchema));
const { logger } = createObservability();

/** The Plan state's Parameters: the execution input plus the context object's names. */
const planEventSchema = z.object({
  input: largeImportInputSchema,
  executionName: z.string().min(1),
  executionArn: z.string().min(1),
});

async function planImport(event: unknown): Promise<LargeImportPlan> {
  const { input, executionName, executionArn } = planEventSchema.parse(event);
  logger.appendKeys({ bucket: input.bucket, key: input.key, executionName });
  const plan = await planLargeImport({ s3: s3Client(), config, input, executionName, executionArn });
  if (plan.rejected) logger.warn('Large import rejected by the plan', plan.rejected);
  else logger.info('Large import planned', { ranges: plan.ranges.length, data: plan.job.data.key });
  return plan;
}

export const handler = middy(planImport).use(injectLambdaContext(logger, { resetKeys: true }));
