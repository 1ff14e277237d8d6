import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDbClient, snsClient } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { processStockAlerts } from './alerts.ts';
import { alertsEnvironmentSchema } from './config.ts';
import { publishOnce } from './once.ts';
import { snsPublisher } from './publisher.ts';

const { OUT_OF_STOCK_TOPIC_ARN, ALERTS_PUBLISHED_TABLE } = parseEnvironment(alertsEnvironmentSchema);
const { logger, metrics } = createObservability();

/** Alerts SNS accepted in this invocation (a repeat found already published is not one). */
let published = 0;
const toSns = snsPublisher(snsClient(), OUT_OF_STOCK_TOPIC_ARN);
const once = publishOnce(
  async (message) => {
    const messageId = await toSns(message);
    published += 1;
    return messageId;
  },
  {
    client: dynamoDbClient(),
    tableName: ALERTS_PUBLISHED_TABLE,
    onTakeOver: (message) =>
      logger.warn('Published an alert whose earlier delivery never finished: it may have gone out twice', {
        eventId: message.body.eventId,
        store: message.body.store,
        item: message.body.item,
      }),
  },
);

/**
 * The records are left in DynamoDB's typed JSON (no event normalizer): records.ts unmarshalls
 * and validates each image itself, so that a malformed one is recognisable as poison.
 */
async function stockAlerts(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> {
  published = 0;
  once.registerContext(context);
  const response = await processStockAlerts(event, {
    publish: once.publish,
    onPoisonRecord: (record, error) => {
      // Stream records expire after 24 h and the on-failure queue only receives their
      // position, so this log line is the record's lasting trace.
      metrics.addMetric('PoisonRecords', MetricUnit.Count, 1);
      logger.error('Skipping a stream record that can never produce an alert', { error, record });
    },
  });
  if (published > 0) metrics.addMetric('AlertsPublished', MetricUnit.Count, published);
  if (response.batchItemFailures.length > 0) {
    metrics.addMetric('AlertRecordsFailed', MetricUnit.Count, response.batchItemFailures.length);
    logger.warn('Some alerts were not published; their records will be retried', {
      failed: response.batchItemFailures.map((failure) => failure.itemIdentifier),
    });
  }
  return response;
}

export const handler = middy(stockAlerts).use(injectLambdaContext(logger)).use(logMetrics(metrics));
