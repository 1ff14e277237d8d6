import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { PublishAlert } from './publisher.ts';

/**
 * Stream delivery is at least once: Lambda retries a batch from its first failed record
 * (records after it that had succeeded come again), and a host that dies after publishing
 * but before the stream position moved gets the whole batch again. Each alert is therefore
 * published through Powertools' idempotency utility, keyed by the stream record's eventID:
 * the first delivery writes an INPROGRESS record (conditional PutItem), publishes, and marks
 * it COMPLETED; a later delivery of the same record finds it and publishes nothing.
 * https://docs.aws.amazon.com/powertools/typescript/latest/features/idempotency/
 *
 * What is left: a process that dies between SNS accepting the alert and the COMPLETED
 * update publishes it again once the INPROGRESS record has expired (the invocation's
 * remaining time). SNS standard topics have no idempotent publish, so that window cannot be
 * closed; subscribers can drop a repeat by the message's `eventId`.
 */

/** Stream records are kept 24 h; their idempotency records a little longer. */
export const PUBLISHED_RECORD_SECONDS = 25 * 60 * 60;

export interface PublishOnce {
  publish: PublishAlert;
  /** Call at the start of each invocation: INPROGRESS records expire with its remaining time. */
  registerContext: (context: Context) => void;
}

export function publishOnce(publish: PublishAlert, client: DynamoDBClient, tableName: string): PublishOnce {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'body.eventId',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: PUBLISHED_RECORD_SECONDS,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
  return {
    publish: makeIdempotent(publish, { persistenceStore, config }),
    registerContext: (context) => config.registerLambdaContext(context),
  };
}
