import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { s3Client, snsClient } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { largeImportConfigFrom, largeImportEnvironmentSchema } from './config.ts';
import { type SummaryResult, summariseLargeImport, summaryInputSchema } from './summarise.ts';

const config = largeImportConfigFrom(parseEnvironment(largeImportEnvironmentSchema));
const { logger, metrics } = createObservability();

async function summarise(event: unknown): Promise<SummaryResult> {
  const input = summaryInputSchema.parse(event);
  logger.appendKeys({ key: input.job.source.key, executionName: input.job.executionName });
  const result = await summariseLargeImport({
    s3: s3Client(),
    sns: snsClient(),
    ...(config.topicArn ? { topicArn: config.topicArn } : {}),
    bucket: config.uploadsBucket,
    maxReportedErrors: config.maxReportedErrors,
    failureTolerance: config.failureTolerance,
    input,
  });
  // One series per status, as the direct import's `Imports`.
  const imports = metrics.singleMetric();
  imports.addDimension('status', result.status);
  imports.addMetric('LargeImports', MetricUnit.Count, 1);
  if (result.failed) logger.error('Large import failed', { ...result });
  else logger.info('Large import finished', { ...result });
  return result;
}

export const handler = middy(summarise)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
