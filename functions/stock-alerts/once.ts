import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { StockAlertMessage } from '#shared/stock/alerts.ts';
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
 * After a crash, the redelivered record finds the dead invocation's INPROGRESS record,
 * which expires with that invocation's remaining time (at most the 30 s timeout). Rather
 * than fail the record and spend Lambda's retries, the delivery waits for it, polling every
 * second while this invocation has time, then publishes. It cannot know whether the dead
 * one got as far as SNS: a process that died between SNS accepting the alert and the
 * COMPLETED update sends it twice. SNS standard topics have no idempotent publish, so that
 * window cannot be closed; `onTakeOver` is told (and the handler logs it), and subscribers
 * can drop a repeat by the message's `eventId`.
 */

/** Stream records are kept 24 h; their idempotency records a little longer. */
export const PUBLISHED_RECORD_SECONDS = 25 * 60 * 60;

export interface PublishOnce {
  publish: PublishAlert;
  /** Call at the start of each invocation: INPROGRESS records expire with its remaining time. */
  registerContext: (context: Context) => void;
}

export interface PublishOnceOptions {
  client: DynamoDBClient;
  tableName: string;
  /** An alert published after waiting for a delivery that never finished: it may have gone out twice. */
  onTakeOver?: (message: StockAlertMessage) => void;
  /** How long to wait between looks at a record in progress. */
  pollMs?: number;
}

/** Time kept back from the invocation's remaining time when waiting. */
const WAIT_MARGIN_MS = 3000;

export function publishOnce(publish: PublishAlert, options: PublishOnceOptions): PublishOnce {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'body.eventId',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: PUBLISHED_RECORD_SECONDS,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
  });
  let context: Context | undefined;
  const waited = new Set<string>();
  const idempotent = makeIdempotent(
    async (message: StockAlertMessage) => {
      if (waited.has(message.body.eventId)) options.onTakeOver?.(message);
      return publish(message);
    },
    { persistenceStore, config },
  );
  const pollMs = options.pollMs ?? 1000;
  const publishWaiting: PublishAlert = async (message) => {
    try {
      for (;;) {
        try {
          return await idempotent(message);
        } catch (error) {
          const remaining = context?.getRemainingTimeInMillis() ?? 0;
          if (!(error instanceof IdempotencyAlreadyInProgressError) || remaining < pollMs + WAIT_MARGIN_MS)
            throw error;
          waited.add(message.body.eventId);
          await new Promise((resolve) => setTimeout(resolve, pollMs));
        }
      }
    } finally {
      waited.delete(message.body.eventId);
    }
  };
  return {
    publish: publishWaiting,
    registerContext: (current) => {
      context = current;
      config.registerLambdaContext(current);
    },
  };
}
