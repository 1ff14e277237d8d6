import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  type PublishBatchCommandInput,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsEndpoint,
  type ExecutionDescription,
  type StateMachineRunner,
  StepFunctionsApiError,
  startAwsEndpoint,
} from '../../local/aws-endpoint/server.ts';
import type { SnsOutboxEntry } from '../../local/types.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const dataDirs: string[] = [];
const endpoints: AwsEndpoint[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aws-endpoint-'));
  dataDirs.push(dir);
  return dir;
}

async function start(
  dataDir: string,
  extra: Partial<Parameters<typeof startAwsEndpoint>[0]> = {},
): Promise<AwsEndpoint> {
  const endpoint = await startAwsEndpoint({ region: REGION, accountId: ACCOUNT, dataDir, ...extra });
  endpoints.push(endpoint);
  return endpoint;
}

async function stop(endpoint: AwsEndpoint): Promise<void> {
  endpoints.splice(endpoints.indexOf(endpoint), 1);
  await endpoint.close();
}

afterAll(async () => {
  await Promise.all(endpoints.map((endpoint) => endpoint.close()));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function outboxLines(dataDir: string): unknown[] {
  const path = join(dataDir, 'sns-outbox.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the call to fail');
  return outcome;
}

interface JsonReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** SQS over its JSON protocol, exactly as SDK v3 and current CLIs send it. */
async function sqs(
  endpoint: AwsEndpoint,
  operation: string,
  input: Record<string, unknown>,
): Promise<JsonReply> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${operation}`,
      'x-amzn-query-mode': 'true',
    },
    body: JSON.stringify(input),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function post(
  endpoint: AwsEndpoint,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const response = await fetch(endpoint.url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

describe('SNS', () => {
  let dataDir: string;
  let endpoint: AwsEndpoint;
  let sns: SNSClient;
  let topicArn: string;
  const printed: SnsOutboxEntry[] = [];

  beforeAll(async () => {
    dataDir = newDataDir();
    endpoint = await start(dataDir, { onSnsMessage: (entry) => printed.push(entry) });
    sns = new SNSClient({ endpoint: endpoint.url, region: REGION, credentials, maxAttempts: 1 });
    topicArn = endpoint.createTopic('stock-alerts');
  });

  afterAll(() => sns.destroy());

  it('creates a topic idempotently, with the AWS ARN', async () => {
    // Prepare
    const name = 'idempotent-topic';

    // Act
    const first = await sns.send(new CreateTopicCommand({ Name: name }));
    const second = await sns.send(new CreateTopicCommand({ Name: name }));
    const listed = await sns.send(new ListTopicsCommand({}));

    // Assess
    expect(first.TopicArn).toBe(`arn:aws:sns:${REGION}:${ACCOUNT}:${name}`);
    expect(second.TopicArn).toBe(first.TopicArn);
    expect(endpoint.createTopic(name)).toBe(first.TopicArn);
    expect(listed.Topics?.filter((topic) => topic.TopicArn === first.TopicArn)).toHaveLength(1);
  });

  it('answers GetTopicAttributes with the topic ARN and owner', async () => {
    // Act
    const result = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));

    // Assess
    expect(result.Attributes).toMatchObject({ TopicArn: topicArn, Owner: ACCOUNT });
  });

  it('writes a published message to the outbox as exactly one JSON line, and shows it', async () => {
    // Prepare
    const before = outboxLines(dataDir).length;

    // Act
    const result = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Out of stock: s1/apple',
        Message: '{"store":"s1","item":"apple","count":0}',
        MessageAttributes: {
          type: { DataType: 'String', StringValue: 'out_of_stock' },
          count: { DataType: 'Number', StringValue: '0' },
        },
      }),
    );

    // Assess
    const lines = outboxLines(dataDir);
    expect(lines).toHaveLength(before + 1);
    const line = lines.at(-1) as SnsOutboxEntry;
    expect(line).toEqual({
      topicArn,
      subject: 'Out of stock: s1/apple',
      message: '{"store":"s1","item":"apple","count":0}',
      messageAttributes: {
        type: { DataType: 'String', StringValue: 'out_of_stock' },
        count: { DataType: 'Number', StringValue: '0' },
      },
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      messageId: result.MessageId,
    });
    expect(Object.keys(line)).toEqual([
      'topicArn',
      'subject',
      'message',
      'messageAttributes',
      'timestamp',
      'messageId',
    ]);
    expect(printed.at(-1)).toEqual(line);
    expect(endpoint.snsMessages().at(-1)).toEqual(line);
  });

  it('keeps non-ASCII, markup and line breaks in messages and attributes exactly', async () => {
    // Prepare
    const message = 'Grüße — 在庫切れ 🍎\r\n<b>&amp;</b> "quoted" \'single\' + %20 = ä';
    const attribute = 'Ünïcödé ✓ & <tag> 🚀';

    // Act
    const result = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: message,
        MessageAttributes: { note: { DataType: 'String', StringValue: attribute } },
      }),
    );

    // Assess
    const line = outboxLines(dataDir).find(
      (entry) => (entry as SnsOutboxEntry).messageId === result.MessageId,
    );
    expect(line).toMatchObject({
      message,
      messageAttributes: { note: { DataType: 'String', StringValue: attribute } },
    });
    expect(line).not.toHaveProperty('subject');
  });

  it('accepts a 99-character subject and a message of exactly 256 KiB', async () => {
    // Prepare
    const subject = 'S'.repeat(99);
    const message = 'm'.repeat(256 * 1024);

    // Act
    const result = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }),
    );

    // Assess
    expect(endpoint.snsMessages().find((entry) => entry.messageId === result.MessageId)).toMatchObject({
      subject,
      message,
    });
  });

  it('publishes the valid entries of a batch and reports the invalid ones as Failed', async () => {
    // Prepare
    const before = outboxLines(dataDir).length;

    // Act
    const result = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'ok-1', Message: 'first', Subject: 'Fine' },
          { Id: 'empty', Message: '' },
          { Id: 'bad_subject', Message: 'x', Subject: 'two\nlines' },
          {
            Id: 'empty-attribute',
            Message: 'x',
            MessageAttributes: { a: { DataType: 'String', StringValue: '' } },
          },
          {
            Id: 'ok-2',
            Message: 'second',
            MessageAttributes: { n: { DataType: 'Number', StringValue: '7' } },
          },
        ],
      }),
    );

    // Assess
    expect(result.Successful?.map((entry) => entry.Id)).toEqual(['ok-1', 'ok-2']);
    expect(result.Failed?.map((entry) => [entry.Id, entry.Code, entry.SenderFault])).toEqual([
      ['empty', 'InvalidParameter', true],
      ['bad_subject', 'InvalidParameter', true],
      ['empty-attribute', 'ParameterValueInvalid', true],
    ]);
    const added = outboxLines(dataDir).slice(before) as SnsOutboxEntry[];
    expect(added.map((entry) => [entry.message, entry.messageId])).toEqual([
      ['first', result.Successful?.[0]?.MessageId],
      ['second', result.Successful?.[1]?.MessageId],
    ]);
  });

  const publishErrors: [string, (topic: string) => PublishCommandInput, string, number][] = [
    [
      'an unknown topic',
      () => ({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:nope`, Message: 'm' }),
      'NotFoundException',
      404,
    ],
    [
      'an empty subject',
      (t) => ({ TopicArn: t, Message: 'm', Subject: '' }),
      'InvalidParameterException',
      400,
    ],
    [
      'a 100-character subject',
      (t) => ({ TopicArn: t, Message: 'm', Subject: 'S'.repeat(100) }),
      'InvalidParameterException',
      400,
    ],
    [
      'a non-ASCII subject',
      (t) => ({ TopicArn: t, Message: 'm', Subject: 'Grüße' }),
      'InvalidParameterException',
      400,
    ],
    [
      'a subject with a line break',
      (t) => ({ TopicArn: t, Message: 'm', Subject: 'a\r\nb' }),
      'InvalidParameterException',
      400,
    ],
    ['an empty message', (t) => ({ TopicArn: t, Message: '' }), 'InvalidParameterException', 400],
    [
      'a message over 256 KiB',
      (t) => ({ TopicArn: t, Message: 'm'.repeat(256 * 1024 + 1) }),
      'InvalidParameterException',
      400,
    ],
    [
      'attributes pushing the message over 256 KiB',
      (t) => ({
        TopicArn: t,
        Message: 'm'.repeat(256 * 1024 - 10),
        MessageAttributes: { big: { DataType: 'String', StringValue: 'v'.repeat(10) } },
      }),
      'InvalidParameterException',
      400,
    ],
    [
      'an empty attribute value',
      (t) => ({
        TopicArn: t,
        Message: 'm',
        MessageAttributes: { a: { DataType: 'String', StringValue: '' } },
      }),
      'InvalidParameterValueException',
      400,
    ],
    [
      'a non-numeric Number attribute',
      (t) => ({
        TopicArn: t,
        Message: 'm',
        MessageAttributes: { a: { DataType: 'Number', StringValue: 'many' } },
      }),
      'InvalidParameterValueException',
      400,
    ],
  ];

  it.each(publishErrors)(
    'refuses Publish with %s, as SNS does, and stores nothing',
    async (_, input, name, status) => {
      // Prepare
      const before = outboxLines(dataDir).length;

      // Act
      const error = await rejectionOf(sns.send(new PublishCommand(input(topicArn))));

      // Assess
      expect(error.name).toBe(name);
      expect(error.$metadata?.httpStatusCode).toBe(status);
      expect(outboxLines(dataDir)).toHaveLength(before);
    },
  );

  const entries = (count: number, message = 'm') =>
    Array.from({ length: count }, (_, i) => ({ Id: `e${i}`, Message: message }));
  const batchErrors: [string, (topic: string) => PublishBatchCommandInput, string][] = [
    [
      '11 entries',
      (t) => ({ TopicArn: t, PublishBatchRequestEntries: entries(11) }),
      'TooManyEntriesInBatchRequestException',
    ],
    [
      'duplicate ids',
      (t) => ({
        TopicArn: t,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: '1' },
          { Id: 'a', Message: '2' },
        ],
      }),
      'BatchEntryIdsNotDistinctException',
    ],
    [
      'an id with a space',
      (t) => ({ TopicArn: t, PublishBatchRequestEntries: [{ Id: 'not valid', Message: '1' }] }),
      'InvalidBatchEntryIdException',
    ],
    [
      'an 81-character id',
      (t) => ({ TopicArn: t, PublishBatchRequestEntries: [{ Id: 'i'.repeat(81), Message: '1' }] }),
      'InvalidBatchEntryIdException',
    ],
    [
      'more than 256 KiB in total',
      (t) => ({ TopicArn: t, PublishBatchRequestEntries: entries(2, 'm'.repeat(200 * 1024)) }),
      'BatchRequestTooLongException',
    ],
    ['no entries', (t) => ({ TopicArn: t, PublishBatchRequestEntries: [] }), 'EmptyBatchRequestException'],
    [
      'an unknown topic',
      () => ({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:nope`, PublishBatchRequestEntries: entries(1) }),
      'NotFoundException',
    ],
  ];

  it.each(batchErrors)('refuses PublishBatch with %s, publishing none of it', async (_, input, name) => {
    // Prepare
    const before = outboxLines(dataDir).length;

    // Act
    const error = await rejectionOf(sns.send(new PublishBatchCommand(input(topicArn))));

    // Assess
    expect(error.name).toBe(name);
    expect(outboxLines(dataDir)).toHaveLength(before);
  });

  it('delivers to a subscribed local queue, honouring the filter policy', async () => {
    // Prepare
    const queue = endpoint.createQueue('alerts-inbox');
    const subscription = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queue.arn,
        Attributes: { FilterPolicy: JSON.stringify({ type: ['out_of_stock'] }) },
      }),
    );

    // Act
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'wanted',
        MessageAttributes: { type: { DataType: 'String', StringValue: 'out_of_stock' } },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'filtered out',
        MessageAttributes: { type: { DataType: 'String', StringValue: 'restock' } },
      }),
    );
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));

    // Assess
    expect(listed.Subscriptions?.map((s) => s.SubscriptionArn)).toContain(subscription.SubscriptionArn);
    expect(endpoint.queueMessages('alerts-inbox').map((record) => record.body)).toEqual([
      expect.objectContaining({
        Type: 'Notification',
        TopicArn: topicArn,
        Message: 'wanted',
        MessageAttributes: { type: { Type: 'String', Value: 'out_of_stock' } },
      }),
    ]);
  });

  it('answers an unknown action with InvalidAction and a missing one with MissingAction', async () => {
    // Act
    const unknown = await post(endpoint, 'Action=Frobnicate&Version=2010-03-31', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    const missing = await post(endpoint, 'Version=2010-03-31', {
      'content-type': 'application/x-www-form-urlencoded',
    });

    // Assess
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('<Code>InvalidAction</Code>');
    expect(unknown.text).toContain('xmlns="http://sns.amazonaws.com/doc/2010-03-31/"');
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('<Code>MissingAction</Code>');
  });
});

describe('SNS across a restart', () => {
  it('keeps topics and reloads published messages from the outbox', async () => {
    // Prepare
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const topicArn = first.createTopic('persistent');
    const firstClient = new SNSClient({ endpoint: first.url, region: REGION, credentials });
    await firstClient.send(new PublishCommand({ TopicArn: topicArn, Message: 'before restart ✓' }));
    firstClient.destroy();
    const published = first.snsMessages();
    await stop(first);

    // Act
    const second = await start(dataDir);
    const client = new SNSClient({ endpoint: second.url, region: REGION, credentials });
    const topics = await client.send(new ListTopicsCommand({}));
    await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'after restart' }));
    client.destroy();

    // Assess
    expect(topics.Topics?.map((topic) => topic.TopicArn)).toEqual([topicArn]);
    expect(second.snsMessages().map((entry) => entry.message)).toEqual(['before restart ✓', 'after restart']);
    expect(second.snsMessages()[0]).toEqual(published[0]);
  });
});

describe('SQS', () => {
  let dataDir: string;
  let endpoint: AwsEndpoint;

  beforeAll(async () => {
    dataDir = newDataDir();
    endpoint = await start(dataDir);
  });

  it('sends, receives (hiding the message while in flight), deletes and purges', async () => {
    // Prepare
    const created = await sqs(endpoint, 'CreateQueue', { QueueName: 'work' });
    const QueueUrl = created.body.QueueUrl as string;
    const body = '{"failed":"thumbnail","key":"images/ä b.png"} ✓';

    // Act
    const sent = await sqs(endpoint, 'SendMessage', {
      QueueUrl,
      MessageBody: body,
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
    });
    const received = await sqs(endpoint, 'ReceiveMessage', {
      QueueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 60,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    const whileInFlight = await sqs(endpoint, 'ReceiveMessage', { QueueUrl });
    const counts = await sqs(endpoint, 'GetQueueAttributes', {
      QueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'QueueArn'],
    });
    const messages = received.body.Messages as Record<string, unknown>[];
    const deleted = await sqs(endpoint, 'DeleteMessage', {
      QueueUrl,
      ReceiptHandle: messages[0]?.ReceiptHandle,
    });
    const afterDelete = endpoint.queueMessages('work');
    await sqs(endpoint, 'SendMessage', { QueueUrl, MessageBody: 'one' });
    await sqs(endpoint, 'SendMessage', { QueueUrl, MessageBody: 'two' });
    const purged = await sqs(endpoint, 'PurgeQueue', { QueueUrl });

    // Assess
    expect(QueueUrl).toBe(`${endpoint.url}/${ACCOUNT}/work`);
    expect(sent.status).toBe(200);
    expect(sent.body.MD5OfMessageBody).toBe(md5(body));
    expect(messages).toEqual([
      expect.objectContaining({
        MessageId: sent.body.MessageId,
        Body: body,
        MD5OfBody: md5(body),
        Attributes: { ApproximateReceiveCount: '1' },
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
        MD5OfMessageAttributes: sent.body.MD5OfMessageAttributes,
      }),
    ]);
    expect(whileInFlight.body.Messages).toBeUndefined();
    expect(counts.body.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:work`,
    });
    expect(deleted.status).toBe(200);
    expect(afterDelete).toEqual([]);
    expect(purged.status).toBe(200);
    expect(endpoint.queueMessages('work')).toEqual([]);
  });

  it('digests message attributes the way SQS does, so SDKs that verify MD5s accept the reply', async () => {
    // Prepare
    const { url: QueueUrl } = endpoint.createQueue('digests');

    // Act
    const sent = await sqs(endpoint, 'SendMessage', {
      QueueUrl,
      MessageBody: 'x',
      MessageAttributes: {
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      },
    });

    // Assess: the digest SQS itself returns for these attributes.
    expect(sent.body.MD5OfMessageAttributes).toBe('d21ae90c49061e927f57df5f5d72be1f');
  });

  it('long-polls: waits for a delayed message to become visible, and ends empty at the deadline', async () => {
    // Prepare
    const { url: QueueUrl } = endpoint.createQueue('long-poll');
    await sqs(endpoint, 'SendMessage', { QueueUrl, MessageBody: 'delayed', DelaySeconds: 1 });
    const startedAt = Date.now();

    // Act
    const immediate = await sqs(endpoint, 'ReceiveMessage', { QueueUrl });
    const polled = await sqs(endpoint, 'ReceiveMessage', { QueueUrl, WaitTimeSeconds: 20 });
    const polledAfterMs = Date.now() - startedAt;
    const empty = await sqs(endpoint, 'ReceiveMessage', { QueueUrl, WaitTimeSeconds: 1 });
    const emptyAfterMs = Date.now() - startedAt - polledAfterMs;

    // Assess
    expect(immediate.body.Messages).toBeUndefined();
    expect((polled.body.Messages as { Body: string }[]).map((message) => message.Body)).toEqual(['delayed']);
    expect(polledAfterMs).toBeGreaterThanOrEqual(900);
    expect(polledAfterMs).toBeLessThan(10_000);
    expect(empty.status).toBe(200);
    expect(empty.body.Messages).toBeUndefined();
    expect(emptyAfterMs).toBeGreaterThanOrEqual(900);
  });

  it('records failure-destination messages with their JSON bodies parsed', () => {
    // Prepare
    endpoint.createQueue('failures');

    // Act
    endpoint.sendToQueue('failures', JSON.stringify({ requestContext: { condition: 'RetriesExhausted' } }));
    endpoint.sendToQueue('failures', 'not json');

    // Assess
    expect(endpoint.queueMessages('failures')).toEqual([
      {
        queueName: 'failures',
        body: { requestContext: { condition: 'RetriesExhausted' } },
        at: expect.any(String),
      },
      { queueName: 'failures', body: 'not json', at: expect.any(String) },
    ]);
  });

  it('answers an unknown queue with QueueDoesNotExist in the JSON protocol shape', async () => {
    // Act
    const reply = await sqs(endpoint, 'GetQueueUrl', { QueueName: 'never-created' });
    const send = await sqs(endpoint, 'SendMessage', {
      QueueUrl: `${endpoint.url}/${ACCOUNT}/nope`,
      MessageBody: 'x',
    });

    // Assess
    for (const { status, headers, body } of [reply, send]) {
      expect(status).toBe(400);
      expect(body).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: expect.any(String) });
      expect(headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    }
    expect(() => endpoint.sendToQueue('nope', 'x')).toThrow('The specified queue does not exist.');
  });

  it('refuses invalid receipt handles, bad parameters and unknown operations', async () => {
    // Prepare
    const { url: QueueUrl } = endpoint.createQueue('strict');

    // Act
    const badHandle = await sqs(endpoint, 'DeleteMessage', { QueueUrl, ReceiptHandle: 'garbage' });
    const tooMany = await sqs(endpoint, 'ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 11 });
    const emptyBody = await sqs(endpoint, 'SendMessage', { QueueUrl, MessageBody: '' });
    const badCharacter = await sqs(endpoint, 'SendMessage', { QueueUrl, MessageBody: 'bell \u0007' });
    const unknown = await sqs(endpoint, 'Frobnicate', {});

    // Assess
    expect(
      [badHandle, tooMany, emptyBody, badCharacter, unknown].map((r) => [r.status, r.body.__type]),
    ).toEqual([
      [400, 'com.amazonaws.sqs#ReceiptHandleIsInvalid'],
      [400, 'com.amazonaws.sqs#InvalidParameterValue'],
      [400, 'com.amazonaws.sqs#MissingParameter'],
      [400, 'com.amazonaws.sqs#InvalidMessageContents'],
      [400, 'com.amazonaws.sqs#UnknownOperationException'],
    ]);
    expect(unknown.headers.get('x-amzn-query-error')).toBe('InvalidAction;Sender');
    expect(endpoint.queueMessages('strict')).toEqual([]);
  });

  it('also speaks the Query protocol of older clients', async () => {
    // Prepare
    const { url: QueueUrl } = endpoint.createQueue('query-style');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };

    // Act
    const sent = await post(
      endpoint,
      new URLSearchParams({ Action: 'SendMessage', QueueUrl, MessageBody: 'über <xml> & more' }).toString(),
      form,
    );
    const received = await post(
      endpoint,
      new URLSearchParams({ Action: 'ReceiveMessage', QueueUrl, 'AttributeName.1': 'All' }).toString(),
      form,
    );
    const missing = await post(
      endpoint,
      new URLSearchParams({ Action: 'GetQueueUrl', QueueName: 'never-created' }).toString(),
      form,
    );

    // Assess
    expect(sent.status).toBe(200);
    expect(sent.text).toContain(`<MD5OfMessageBody>${md5('über <xml> & more')}</MD5OfMessageBody>`);
    expect(received.text).toContain('<Body>über &lt;xml&gt; &amp; more</Body>');
    expect(received.text).toContain('<Name>ApproximateReceiveCount</Name><Value>1</Value>');
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('<Code>AWS.SimpleQueueService.NonExistentQueue</Code>');
  });
});

describe('SQS across a restart', () => {
  it('keeps queues and undeleted messages, and forgets deleted and purged ones', async () => {
    // Prepare
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const { url: firstUrl } = first.createQueue('durable');
    first.createQueue('emptied');
    for (const body of ['keep me', 'delete me'])
      await sqs(first, 'SendMessage', { QueueUrl: firstUrl, MessageBody: body });
    first.sendToQueue('emptied', 'purged');
    const received = await sqs(first, 'ReceiveMessage', { QueueUrl: firstUrl, MaxNumberOfMessages: 10 });
    const toDelete = (received.body.Messages as { Body: string; ReceiptHandle: string }[]).find(
      (message) => message.Body === 'delete me',
    );
    await sqs(first, 'DeleteMessage', { QueueUrl: firstUrl, ReceiptHandle: toDelete?.ReceiptHandle });
    await sqs(first, 'PurgeQueue', { QueueUrl: first.createQueue('emptied').url });
    await stop(first);

    // Act
    const second = await start(dataDir);
    const { url: QueueUrl } = second.createQueue('durable');
    const listed = await sqs(second, 'ListQueues', {});
    const afterRestart = await sqs(second, 'ReceiveMessage', {
      QueueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });

    // Assess
    expect(second.queueMessages('durable').map((record) => record.body)).toEqual(['keep me']);
    expect(second.queueMessages('emptied')).toEqual([]);
    expect(listed.body.QueueUrls).toEqual([
      `${second.url}/${ACCOUNT}/durable`,
      `${second.url}/${ACCOUNT}/emptied`,
    ]);
    expect(afterRestart.body.Messages).toEqual([
      expect.objectContaining({ Body: 'keep me', Attributes: { ApproximateReceiveCount: '2' } }),
    ]);
  });
});

/** A runner that records what it was asked and completes executions at once. */
class FakeRunner implements StateMachineRunner {
  readonly machineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:rebuild-thumbnails`;
  readonly executions = new Map<string, ExecutionDescription>();
  readonly started: { input: unknown; name: string | undefined }[] = [];

  list() {
    return [{ name: 'rebuild-thumbnails', arn: this.machineArn, definition: '{"StartAt":"A","States":{}}' }];
  }

  start(stateMachineArn: string, input: unknown, name?: string) {
    const executionName = name ?? `run-${this.executions.size + 1}`;
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
    if (this.executions.has(executionArn)) {
      throw new StepFunctionsApiError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    this.started.push({ input, name });
    const startDate = new Date('2025-01-02T03:04:05.678Z');
    this.executions.set(executionArn, {
      executionArn,
      stateMachineArn,
      name: executionName,
      status: 'SUCCEEDED',
      startDate,
      stopDate: new Date('2025-01-02T03:04:06.000Z'),
      input: JSON.stringify(input),
      output: JSON.stringify({ rebuilt: 3 }),
    });
    return { executionArn, startDate };
  }

  describe(executionArn: string) {
    return this.executions.get(executionArn);
  }

  listExecutions(stateMachineArn: string) {
    return [...this.executions.values()].filter((execution) => execution.stateMachineArn === stateMachineArn);
  }
}

describe('Step Functions', () => {
  const runner = new FakeRunner();
  let sfn: SFNClient;

  beforeAll(async () => {
    const endpoint = await start(newDataDir(), { stateMachines: runner });
    sfn = new SFNClient({ endpoint: endpoint.url, region: REGION, credentials, maxAttempts: 1 });
  });

  afterEach(() => {
    runner.started.length = 0;
  });

  afterAll(() => sfn.destroy());

  it('starts an execution with the parsed input and describes it back with real dates', async () => {
    // Act
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: runner.machineArn,
        name: 'nightly',
        input: '{"prefix":"images/","note":"ünï"}',
      }),
    );
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: runner.machineArn }));

    // Assess
    expect(runner.started).toEqual([{ input: { prefix: 'images/', note: 'ünï' }, name: 'nightly' }]);
    expect(started.startDate).toEqual(new Date('2025-01-02T03:04:05.678Z'));
    expect(described).toMatchObject({
      executionArn: started.executionArn,
      stateMachineArn: runner.machineArn,
      name: 'nightly',
      status: 'SUCCEEDED',
      startDate: new Date('2025-01-02T03:04:05.678Z'),
      stopDate: new Date('2025-01-02T03:04:06.000Z'),
      input: '{"prefix":"images/","note":"ünï"}',
      output: '{"rebuilt":3}',
    });
    expect(listed.executions?.map((execution) => execution.name)).toContain('nightly');
  });

  it('lists and describes the runner state machines', async () => {
    // Act
    const listed = await sfn.send(new ListStateMachinesCommand({}));
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: runner.machineArn }));

    // Assess
    expect(
      listed.stateMachines?.map((machine) => [machine.name, machine.stateMachineArn, machine.type]),
    ).toEqual([['rebuild-thumbnails', runner.machineArn, 'STANDARD']]);
    expect(listed.stateMachines?.[0]?.creationDate).toBeInstanceOf(Date);
    expect(described.definition).toBe('{"StartAt":"A","States":{}}');
  });

  it.each([
    [
      'an unknown state machine',
      { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope` },
      'StateMachineDoesNotExist',
    ],
    ['a malformed ARN', { stateMachineArn: 'not-an-arn' }, 'InvalidArn'],
    ['input that is not JSON', { stateMachineArn: '', input: '{oops' }, 'InvalidExecutionInput'],
    ['a name with a space', { stateMachineArn: '', name: 'two words' }, 'InvalidName'],
    ['a name already used', { stateMachineArn: '', name: 'taken' }, 'ExecutionAlreadyExists'],
  ])('refuses StartExecution with %s', async (_, input, name) => {
    // Prepare
    if (name === 'ExecutionAlreadyExists') runner.start(runner.machineArn, {}, 'taken');
    const stateMachineArn = input.stateMachineArn === '' ? runner.machineArn : input.stateMachineArn;

    // Act
    const error = await rejectionOf(sfn.send(new StartExecutionCommand({ ...input, stateMachineArn })));

    // Assess
    expect(error.name).toBe(name);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('answers an unknown execution with ExecutionDoesNotExist', async () => {
    // Act
    const error = await rejectionOf(
      sfn.send(
        new DescribeExecutionCommand({
          executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:x:missing`,
        }),
      ),
    );

    // Assess
    expect(error.name).toBe('ExecutionDoesNotExist');
  });
});

describe('Step Functions without a runner', () => {
  it('lists no state machines and refuses to start one', async () => {
    // Prepare
    const endpoint = await start(newDataDir());
    const sfn = new SFNClient({ endpoint: endpoint.url, region: REGION, credentials, maxAttempts: 1 });

    // Act
    const listed = await sfn.send(new ListStateMachinesCommand({}));
    const error = await rejectionOf(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:any`,
        }),
      ),
    );
    sfn.destroy();

    // Assess
    expect(listed.stateMachines).toEqual([]);
    expect(error.name).toBe('StateMachineDoesNotExist');
  });
});

describe('malformed requests', () => {
  let endpoint: AwsEndpoint;

  beforeAll(async () => {
    endpoint = await start(newDataDir());
  });

  it('answers invalid JSON with a SerializationException and keeps serving', async () => {
    // Act
    const bad = await post(endpoint, '{"stateMachineArn":', {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSStepFunctions.ListStateMachines',
    });
    const good = await post(endpoint, '{}', {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSStepFunctions.ListStateMachines',
    });

    // Assess
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ __type: 'SerializationException' });
    expect(good.status).toBe(200);
  });

  it('answers an unknown JSON service or operation with UnknownOperationException', async () => {
    // Act
    const unknownService = await post(endpoint, '{}', { 'x-amz-target': 'AmazonKinesis.PutRecord' });
    const unknownOperation = await post(endpoint, '{}', { 'x-amz-target': 'AWSStepFunctions.Frobnicate' });

    // Assess
    for (const reply of [unknownService, unknownOperation]) {
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.text)).toMatchObject({ __type: 'UnknownOperationException' });
    }
  });

  it('refuses a body over the size limit with 413 after reading it', async () => {
    // Prepare
    const huge = `Action=Publish&Message=${'x'.repeat(5 * 1024 * 1024)}`;

    // Act
    const reply = await post(endpoint, huge, { 'content-type': 'application/x-www-form-urlencoded' });

    // Assess
    expect(reply.status).toBe(413);
    expect(reply.text).toContain('<Code>RequestEntityTooLarge</Code>');
  });
});
