import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { StockAlertMessage } from '#shared/stock/alerts.ts';

/** Publishes one alert; resolves with SNS's message id, rejects when SNS refused it. */
export type PublishAlert = (message: StockAlertMessage) => Promise<string>;

/** One SNS Publish per alert: each is made idempotent on its own (once.ts). */
export function snsPublisher(sns: SNSClient, topicArn: string): PublishAlert {
  return async (message) => {
    const output = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: message.subject,
        Message: JSON.stringify(message.body),
        MessageAttributes: message.attributes,
      }),
    );
    return output.MessageId ?? '';
  };
}
