import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ListTopicsCommand, PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
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
  await endpoint.stop();
}

afterAll(async () => {
  await Promise.all(endpoints.map((endpoint) => endpoint.stop()));
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

async function post(
  endpoint: AwsEndpoint,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const response = await fetch(endpoint.url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

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

  it('creates a topic idempotently, with the AWS ARN, and lists it', async () => {
    // Prepare
    const name = 'idempotent-topic';

    // Act
    const first = endpoint.createTopic(name);
    const second = endpoint.createTopic(name);
    const listed = await sns.send(new ListTopicsCommand({}));

    // Assess
    expect(first).toBe(`arn:aws:sns:${REGION}:${ACCOUNT}:${name}`);
    expect(second).toBe(first);
    expect(listed.Topics?.filter((topic) => topic.TopicArn === first)).toHaveLength(1);
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
  it('reloads published messages from the outbox, and serves the topics it is given again', async () => {
    // Prepare
    const dataDir = newDataDir();
    const first = await start(dataDir, { topics: ['persistent'] });
    const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:persistent`;
    const firstClient = new SNSClient({ endpoint: first.url, region: REGION, credentials });
    await firstClient.send(new PublishCommand({ TopicArn: topicArn, Message: 'before restart ✓' }));
    firstClient.destroy();
    const published = first.snsMessages();
    await stop(first);

    // Act
    const second = await start(dataDir, { topics: ['persistent'] });
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

/** A runner that records what it was asked and completes executions at once. */
class FakeRunner implements StateMachineRunner {
  readonly machineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:rebuild-thumbnails`;
  readonly executions = new Map<string, ExecutionDescription>();
  readonly started: { input: unknown; name: string | undefined }[] = [];

  list() {
    return [{ name: 'rebuild-thumbnails', arn: this.machineArn }];
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
  it('refuses to start a state machine', async () => {
    // Prepare
    const endpoint = await start(newDataDir());
    const sfn = new SFNClient({ endpoint: endpoint.url, region: REGION, credentials, maxAttempts: 1 });

    // Act
    const error = await rejectionOf(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:any`,
        }),
      ),
    );
    sfn.destroy();

    // Assess
    expect(error.name).toBe('StateMachineDoesNotExist');
  });
});

describe('malformed requests', () => {
  let endpoint: AwsEndpoint;

  const runner = new FakeRunner();

  beforeAll(async () => {
    endpoint = await start(newDataDir(), { stateMachines: runner });
  });

  it('answers invalid JSON with a SerializationException and keeps serving', async () => {
    // Prepare
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSStepFunctions.StartExecution',
    };

    // Act
    const bad = await post(endpoint, '{"stateMachineArn":', headers);
    const good = await post(endpoint, JSON.stringify({ stateMachineArn: runner.machineArn }), headers);

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
