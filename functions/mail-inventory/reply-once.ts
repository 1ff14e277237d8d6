import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { MailReply } from '#shared/mail/reply.ts';

/**
 * Sends a message's reply at most once, and at least once unless SES keeps refusing it.
 * Two import reports can land at the same moment and both find every report there; a
 * conditional put of the message's item in the replies table (the table's only writer is
 * this module) lets exactly one of them send. When SendEmail fails, the item is deleted
 * again and the error rethrown, so Lambda's retry sends it.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 * SendEmail: https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html
 */
export async function sendReplyOnce(options: {
  dynamoDb: DynamoDBClient;
  ses: SESv2Client;
  table: string;
  messageId: string;
  from: string;
  to: string;
  reply: MailReply;
}): Promise<'sent' | 'already_sent'> {
  const { dynamoDb, ses, table, messageId } = options;
  const key = { messageId: { S: messageId } };
  try {
    await dynamoDb.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...key, sentAt: { S: new Date().toISOString() } },
        ConditionExpression: 'attribute_not_exists(messageId)',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'already_sent';
    throw error;
  }
  try {
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: options.from,
        Destination: { ToAddresses: [options.to] },
        Content: {
          Simple: {
            Subject: { Data: options.reply.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: options.reply.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  } catch (error) {
    await dynamoDb.send(new DeleteItemCommand({ TableName: table, Key: key }));
    throw error;
  }
  return 'sent';
}
