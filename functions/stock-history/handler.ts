import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDbDocumentClient } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { stockHistoryEnvironmentSchema } from './config.ts';
import { recordStockHistory } from './history.ts';

const env = parseEnvironment(stockHistoryEnvironmentSchema);
const { logger } = createObservability();

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
  .use(injectLambdaContext(logger))
  .handler((event) =>
    recordStockHistory(event.Records ?? [], {
      documentClient: dynamoDbDocumentClient(),
      historyTable: env.STOCK_HISTORY_TABLE,
      attentionTable: env.STOCK_ATTENTION_TABLE,
      lowStockThreshold: env.LOW_STOCK_THRESHOLD,
      retentionDays: env.HISTORY_RETENTION_DAYS,
      logger,
    }),
  );
