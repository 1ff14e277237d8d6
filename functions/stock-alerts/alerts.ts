import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StockAlertMessage } from '#shared/stock/alerts.ts';
import { type PendingAlert, publishStockAlerts } from './publisher.ts';
import { PoisonRecordError, stockAlertFor } from './records.ts';

export interface StockAlertsDependencies {
  sns: SNSClient;
  topicArn: string;
  /** Told about each record skipped as poison (already classified, never retried). */
  onPoisonRecord?: (record: DynamoDBRecord, error: PoisonRecordError) => void;
  onPublished?: (count: number) => void;
}

/**
 * Turns a batch of inventory stream records into SNS alerts and reports, per record, what
 * must be retried (ReportBatchItemFailures; the identifier is the record's SequenceNumber).
 *
 * All alerts of the batch are published first, in PublishBatch calls of 10, then Powertools'
 * BatchProcessor builds the response from each record's outcome: a failed publish fails
 * that record only; a poison record is logged and counted but not failed (see records.ts).
 * If every record fails, Powertools throws, and Lambda retries the batch by bisecting it.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
export async function processStockAlerts(
  event: DynamoDBStreamEvent,
  deps: StockAlertsDependencies,
): Promise<DynamoDBBatchResponse> {
  const poison = new Map<DynamoDBRecord, PoisonRecordError>();
  const pending: PendingAlert<DynamoDBRecord>[] = [];
  for (const record of event.Records) {
    let message: StockAlertMessage | undefined;
    try {
      message = stockAlertFor(record);
    } catch (error) {
      if (!(error instanceof PoisonRecordError)) throw error;
      poison.set(record, error);
      continue;
    }
    if (message) pending.push({ key: record, message });
  }

  const failures = await publishStockAlerts(deps.sns, deps.topicArn, pending);
  deps.onPublished?.(pending.length - failures.size);

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
