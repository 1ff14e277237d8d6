import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { MessageRejected, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { sendReplyOnce } from '../../../../functions/mail-inventory/reply-once.ts';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const dynamoDb = new DynamoDBClient({ region: 'eu-west-1', credentials });
const ses = new SESv2Client({ region: 'eu-west-1', credentials });
const dynamoMock = mockClient(dynamoDb);
const sesMock = mockClient(ses);

const OPTIONS = {
  dynamoDb,
  ses,
  table: 'stockroom-dev-mail-replies',
  messageId: 'm-0001',
  from: 'inventory@stock.example',
  to: 'clerk@example.com',
  reply: { subject: 'Re: Week 12', text: 'a.csv: completed\n' },
};

beforeEach(() => {
  dynamoMock.reset();
  sesMock.reset();
});

describe('sendReplyOnce', () => {
  it('claims the message in the table, then sends the reply from the recipient to the sender', async () => {
    // Prepare
    dynamoMock.on(PutItemCommand).resolves({});
    sesMock.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });

    // Act
    const outcome = await sendReplyOnce(OPTIONS);

    // Assess
    expect(outcome).toBe('sent');
    const put = dynamoMock.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: OPTIONS.table,
      Item: { messageId: { S: 'm-0001' } },
      ConditionExpression: 'attribute_not_exists(messageId)',
    });
    expect(sesMock.commandCalls(SendEmailCommand).map((call) => call.args[0].input)).toEqual([
      {
        FromEmailAddress: 'inventory@stock.example',
        Destination: { ToAddresses: ['clerk@example.com'] },
        Content: {
          Simple: {
            Subject: { Data: 'Re: Week 12', Charset: 'UTF-8' },
            Body: { Text: { Data: 'a.csv: completed\n', Charset: 'UTF-8' } },
          },
        },
      },
    ]);
    expect(dynamoMock.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('sends nothing when the message was already claimed (the other import report won)', async () => {
    // Prepare
    dynamoMock
      .on(PutItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    // Act
    const outcome = await sendReplyOnce(OPTIONS);

    // Assess
    expect(outcome).toBe('already_sent');
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('gives the claim back when SES refuses the send, and rethrows for the retry to send', async () => {
    // Prepare
    dynamoMock.on(PutItemCommand).resolves({});
    dynamoMock.on(DeleteItemCommand).resolves({});
    sesMock
      .on(SendEmailCommand)
      .rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));

    // Act
    const outcome = sendReplyOnce(OPTIONS);

    // Assess
    await expect(outcome).rejects.toThrow('Email address is not verified.');
    expect(dynamoMock.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: OPTIONS.table, Key: { messageId: { S: 'm-0001' } } },
    ]);
  });

  it('sends on the retry after a failed send, since the claim was given back', async () => {
    // Prepare: a table that keeps the claim as DynamoDB would.
    const claimed = new Set<string>();
    dynamoMock.on(PutItemCommand).callsFake(async (input) => {
      const id = input.Item.messageId.S;
      if (claimed.has(id)) throw new ConditionalCheckFailedException({ message: 'taken', $metadata: {} });
      claimed.add(id);
      return {};
    });
    dynamoMock.on(DeleteItemCommand).callsFake(async (input) => {
      claimed.delete(input.Key.messageId.S);
      return {};
    });
    sesMock
      .on(SendEmailCommand)
      .rejectsOnce(new MessageRejected({ message: 'throttled', $metadata: {} }))
      .resolves({ MessageId: 'ses-2' });

    // Act
    const first = await sendReplyOnce(OPTIONS).catch((error: Error) => error.message);
    const retry = await sendReplyOnce(OPTIONS);
    const late = await sendReplyOnce(OPTIONS);

    // Assess
    expect([first, retry, late]).toEqual(['throttled', 'sent', 'already_sent']);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(2);
  });

  it('lets a table error other than the condition through, without sending', async () => {
    // Prepare
    dynamoMock.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceeded'));

    // Act
    const outcome = sendReplyOnce(OPTIONS);

    // Assess
    await expect(outcome).rejects.toThrow('ProvisionedThroughputExceeded');
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
