import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { snsClient } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { processStockAlerts } from './alerts.ts';
import { alertsEnvironmentSchema } from './config.ts';

const { OUT_OF_STOCK_TOPIC_ARN } = parseEnvironment(alertsEnvironmentSchema);
const { logger, metrics } = createObservability();

/**
 * The records are left in DynamoDB's typed JSON (no event normalizer): records.ts unmarshalls
 * and validates each image itself, so that a malformed one is recognisable as poison.
 */
async function stockAlerts(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const response = await processStockAlerts(event, {
    sns: snsClient(),
    topicArn: OUT_OF_STOCK_TOPIC_ARN,
    onPublished: (count) => {
      if (count > 0) metrics.addMetric('AlertsPublished', MetricUnit.Count, count);
    },
    onPoisonRecord: (record, error) => {
      // Stream records expire after 24 h and the on-failure queue only receives their
      // position, so this log line is the record's lasting trace.
      metrics.addMetric('PoisonRecords', MetricUnit.Count, 1);
      logger.error('Skipping a stream record that can never produce an alert', { error, record });
    },
  });
  if (response.batchItemFailures.length > 0) {
    metrics.addMetric('AlertRecordsFailed', MetricUnit.Count, response.batchItemFailures.length);
    logger.warn('Some alerts were not published; their records will be retried', {
      failed: response.batchItemFailures.map((failure) => failure.itemIdentifier),
    });
  }
  return response;
}

export const handler = middy(stockAlerts).use(injectLambdaContext(logger)).use(logMetrics(metrics));
