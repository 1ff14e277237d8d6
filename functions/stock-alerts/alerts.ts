import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StockAlertMessage } from '#shared/stock/alerts.ts';
import type { PublishAlert } from './publisher.ts';
import { PoisonRecordError, stockAlertFor } from './records.ts';

export interface StockAlertsDependencies {
  /** Publishes one alert (in production: once per stream record, see once.ts). */
  publish: PublishAlert;
  /** Told about each record skipped as poison (already classified, never retried). */
  onPoisonRecord?: (record: DynamoDBRecord, error: PoisonRecordError) => void;
}

/** An alert that was not published; its record is reported for Lambda to retry. */
export class AlertPublishError extends Error {
  override name = 'AlertPublishError';
}

/**
 * Turns a batch of inventory stream records into SNS alerts and reports, per record, what
 * must be retried (ReportBatchItemFailures; the identifier is the record's SequenceNumber).
 *
 * The alerts of one item are published in stream order, one after the other (an item that
 * ran out and came back within a batch says so in that order); different items in parallel.
 * An alert that fails fails its record, and the item's later alerts of the batch wait for
 * the retry. Powertools' BatchProcessor then builds the response from each record's
 * outcome; a poison record is logged and counted but not failed (see records.ts). If every
 * record fails, Powertools throws, and Lambda retries the batch by bisecting it.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
export async function processStockAlerts(
  event: DynamoDBStreamEvent,
  deps: StockAlertsDependencies,
): Promise<DynamoDBBatchResponse> {
  const poison = new Map<DynamoDBRecord, PoisonRecordError>();
  const byItem = new Map<string, { record: DynamoDBRecord; message: StockAlertMessage }[]>();
  for (const record of event.Records) {
    let message: StockAlertMessage | undefined;
    try {
      message = stockAlertFor(record);
    } catch (error) {
      if (!(error instanceof PoisonRecordError)) throw error;
      poison.set(record, error);
      continue;
    }
    if (!message) continue;
    const key = JSON.stringify([message.body.store, message.body.item]);
    byItem.set(key, [...(byItem.get(key) ?? []), { record, message }]);
  }

  const failures = new Map<DynamoDBRecord, AlertPublishError>();
  await Promise.all([...byItem.values()].map((alerts) => publishInOrder(alerts, deps.publish, failures)));

  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return processPartialResponse(
    event,
    async (record: DynamoDBRecord) => {
      const failure = failures.get(record);
      if (failure) throw failure;
      const bad = poison.get(record);
      if (bad) deps.onPoisonRecord?.(record, bad);
    },
    processor,
  );
}

async function publishInOrder(
  alerts: readonly { record: DynamoDBRecord; message: StockAlertMessage }[],
  publish: PublishAlert,
  failures: Map<DynamoDBRecord, AlertPublishError>,
): Promise<void> {
  let failed: AlertPublishError | undefined;
  for (const { record, message } of alerts) {
    if (failed) {
      failures.set(record, new AlertPublishError('an earlier alert of this item failed', { cause: failed }));
      continue;
    }
    try {
      await publish(message);
    } catch (error) {
      failed = new AlertPublishError(`the alert was not published: ${(error as Error).message}`, {
        cause: error,
      });
      failures.set(record, failed);
    }
  }
}
