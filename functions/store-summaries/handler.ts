import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDbDocumentClient } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { refreshStoreSummaries } from './summaries.ts';

const env = parseEnvironment(
  z.object({
    STORE_SUMMARIES_TABLE: z.string().min(1),
    LOW_STOCK_THRESHOLD: z.coerce.number().int().min(0),
  }),
);
const { logger } = createObservability();

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
  .use(injectLambdaContext(logger))
  .handler((event) =>
    refreshStoreSummaries(event.Records ?? [], {
      documentClient: dynamoDbDocumentClient(),
      storeSummariesTable: env.STORE_SUMMARIES_TABLE,
      lowStockThreshold: env.LOW_STOCK_THRESHOLD,
      logger,
    }),
  );
