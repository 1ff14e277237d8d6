import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import type { StockAlertMessage } from '#shared/stock/alerts.ts';

/**
 * PublishBatch takes up to 10 entries; each entry Id must be unique in the call and at
 * most 80 characters of letters, digits, `-` and `_`.
 * https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html
 */
export const MAX_BATCH_ENTRIES = 10;
const MAX_ENTRY_ID_LENGTH = 80;

/** An SNS publish that did not succeed for one alert; the record is retried by Lambda. */
export class AlertPublishError extends Error {
  override name = 'AlertPublishError';
}

export interface PendingAlert<K> {
  /** The caller's handle for the alert (its stream record). */
  key: K;
  message: StockAlertMessage;
}

/** A PublishBatch entry Id from a stream eventID, unique within the call. */
export function batchEntryId(eventId: string, index: number): string {
  const suffix = `_${index}`;
  const safe = eventId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, MAX_ENTRY_ID_LENGTH - suffix.length);
  return `${safe}${suffix}`;
}

/**
 * Publishes alerts with PublishBatch, 10 to a call, calls in parallel. Returns the alerts
 * that failed, each with why: an entry in the response's `Failed` list fails alone; a call
 * that throws fails all of its entries.
 */
export async function publishStockAlerts<K>(
  sns: SNSClient,
  topicArn: string,
  alerts: readonly PendingAlert<K>[],
): Promise<Map<K, AlertPublishError>> {
  const failures = new Map<K, AlertPublishError>();
  const calls: Promise<void>[] = [];
  for (let start = 0; start < alerts.length; start += MAX_BATCH_ENTRIES) {
    calls.push(publishChunk(sns, topicArn, alerts.slice(start, start + MAX_BATCH_ENTRIES), failures));
  }
  await Promise.all(calls);
  return failures;
}

async function publishChunk<K>(
  sns: SNSClient,
  topicArn: string,
  chunk: readonly PendingAlert<K>[],
  failures: Map<K, AlertPublishError>,
): Promise<void> {
  const byId = new Map<string, PendingAlert<K>>();
  const entries: PublishBatchRequestEntry[] = chunk.map((alert, index) => {
    const id = batchEntryId(alert.message.body.eventId, index);
    byId.set(id, alert);
    return {
      Id: id,
      Subject: alert.message.subject,
      Message: JSON.stringify(alert.message.body),
      MessageAttributes: alert.message.attributes,
    };
  });
  try {
    const output = await sns.send(
      new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }),
    );
    const succeeded = new Set((output.Successful ?? []).map((entry) => entry.Id));
    for (const failed of output.Failed ?? []) {
      const alert = failed.Id === undefined ? undefined : byId.get(failed.Id);
      if (alert) {
        failures.set(
          alert.key,
          new AlertPublishError(
            `SNS refused the alert: ${failed.Code ?? 'unknown'} ${failed.Message ?? ''}`.trim(),
          ),
        );
      }
    }
    // An entry in neither list was not confirmed: treat it as failed rather than lost.
    for (const [id, alert] of byId) {
      if (!succeeded.has(id) && !failures.has(alert.key)) {
        failures.set(alert.key, new AlertPublishError('SNS did not confirm the alert'));
      }
    }
  } catch (error) {
    for (const alert of chunk) {
      failures.set(alert.key, new AlertPublishError('PublishBatch failed', { cause: error }));
    }
  }
}
