import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDbClient, dynamoDbDocumentClient, snsClient } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { processStockAlerts } from './alerts.ts';
import { alertsEnvironmentSchema } from './config.ts';
import { recordStockHistory } from './history.ts';
import { publishOnce } from './once.ts';
import { snsPublisher } from './publisher.ts';

const env = parseEnvironment(alertsEnvironmentSchema);
const { OUT_OF_STOCK_TOPIC_ARN, ALERTS_PUBLISHED_TABLE } = env;
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
async function publishAlerts(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> {
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

/**
 * The alerts, and each item's history and attention (the dashboard's alerts feed and "needs
 * attention"), from the same records. One function does both because Lambda reads a DynamoDB
 * stream shard for at most two functions without throttling, and storeSummaries is the other
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html, "Concurrent reads of a shard").
 * Both parts are idempotent per record, so a record that failed in either goes back to the
 * stream for both: Lambda retries from the lowest failed one, and what the other part had
 * done is done again to no effect.
 */
async function stockAlerts(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> {
  const [alerts, history] = await Promise.all([
    publishAlerts(event, context),
    recordStockHistory(event.Records ?? [], {
      documentClient: dynamoDbDocumentClient(),
      historyTable: env.STOCK_HISTORY_TABLE,
      attentionTable: env.STOCK_ATTENTION_TABLE,
      lowStockThreshold: env.LOW_STOCK_THRESHOLD,
      retentionDays: env.HISTORY_RETENTION_DAYS,
      logger,
    }),
  ]);
  const failed = new Set(
    [...alerts.batchItemFailures, ...history.batchItemFailures].map((f) => f.itemIdentifier),
  );
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy(stockAlerts).use(injectLambdaContext(logger)).use(logMetrics(metrics));
