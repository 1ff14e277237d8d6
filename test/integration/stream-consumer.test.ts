import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../local/cloud.ts';
import { type DynamoDbStandIn, startDynamoDb } from '../../local/dynamodb.ts';
import type { LocalFunction } from '../../local/lambda-runtime.ts';
import { CheckpointStore, StreamConsumer, type StreamFailureRecord } from '../../local/stream-consumer.ts';
import { eventually } from '../support/local-cloud.ts';

// The local event-source mapping, driven by DynamoDB Local's real stream. The function
// it invokes is a recording probe: what is under test is what the mapping delivers.

let dynamoDb: DynamoDbStandIn;
let streams: DynamoDBStreamsClient;
let tableCounter = 0;
const consumers: StreamConsumer[] = [];

beforeAll(async () => {
  dynamoDb = await startDynamoDb({ port: 0, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  streams = new DynamoDBStreamsClient({
    endpoint: dynamoDb.url,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
});

afterAll(async () => {
  streams?.destroy();
  await dynamoDb?.stop();
});

async function createStreamTable(): Promise<{ table: string; streamArn: string }> {
  tableCounter += 1;
  const table = `stream-test-${tableCounter}`;
  const { TableDescription } = await dynamoDb.client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  return { table, streamArn: TableDescription?.LatestStreamArn as string };
}

async function putItems(table: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    await dynamoDb.client.send(
      new PutItemCommand({ TableName: table, Item: { id: { S: id }, n: { N: '1' } } }),
    );
  }
}

type Probe = (records: DynamoDBRecord[], attempt: number) => unknown;

function consume(
  streamArn: string,
  settings: ConstructorParameters<typeof StreamConsumer>[0]['settings'],
  probe: Probe,
): { batches: string[][]; failures: StreamFailureRecord[] } {
  const batches: string[][] = [];
  const failures: StreamFailureRecord[] = [];
  const fn = {
    key: 'probe',
    invoke: async (event: DynamoDBStreamEvent, _trigger: string, attempt: number) => {
      batches.push(event.Records.map((record) => record.dynamodb?.Keys?.id?.S as string));
      return probe(event.Records, attempt);
    },
  } as unknown as LocalFunction;
  const consumer = new StreamConsumer({
    fn,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:probe',
    streamArn,
    settings,
    client: streams,
    region: 'us-east-1',
    checkpoints: new CheckpointStore(undefined),
    onFailure: (record) => failures.push(record),
    log: () => undefined,
    pollIntervalMs: 50,
    retryDelayMs: 10,
  });
  consumer.start();
  consumers.push(consumer);
  return { batches, failures };
}

describe('the local DynamoDB stream mapping', () => {
  it('delivers records in order, shaped as Lambda delivers them', async () => {
    // Prepare
    const { table, streamArn } = await createStreamTable();
    let delivered: DynamoDBRecord[] = [];
    consume(streamArn, { arn: streamArn, batchSize: 10 }, (records) => {
      delivered = delivered.concat(records);
    });

    // Act
    await putItems(table, ['a', 'b', 'c']);

    // Assess
    await eventually(() => (delivered.length === 3 ? true : undefined), { what: 'three records' });
    expect(delivered.map((record) => record.dynamodb?.Keys?.id?.S)).toEqual(['a', 'b', 'c']);
    const first = delivered[0] as DynamoDBRecord;
    expect(first.eventName).toBe('INSERT');
    expect(first.eventSource).toBe('aws:dynamodb');
    expect(first.eventSourceARN).toBe(streamArn);
    expect(first.dynamodb?.NewImage).toEqual({ id: { S: 'a' }, n: { N: '1' } });
    const created = first.dynamodb?.ApproximateCreationDateTime as number;
    expect(Number.isInteger(created)).toBe(true);
    expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(120);
  });

  it('retries only the records from the first reported item failure on', async () => {
    // Prepare
    const { table, streamArn } = await createStreamTable();
    const { batches } = consume(
      streamArn,
      {
        arn: streamArn,
        batchSize: 10,
        batchWindow: 1,
        functionResponseType: 'ReportBatchItemFailures',
        maximumRetryAttempts: 3,
      },
      (records, attempt) => {
        const failing = records.find((record) => record.dynamodb?.Keys?.id?.S === 'b');
        return attempt === 1 && failing
          ? { batchItemFailures: [{ itemIdentifier: failing.dynamodb?.SequenceNumber }] }
          : {};
      },
    );

    // Act
    await putItems(table, ['a', 'b', 'c']);

    // Assess
    await eventually(() => (batches.length >= 2 ? true : undefined), { what: 'the retry' });
    expect(batches).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
    ]);
  });

  it('bisects a failing batch and sends only the poison record to the on-failure destination', async () => {
    // Prepare
    const { table, streamArn } = await createStreamTable();
    const { batches, failures } = consume(
      streamArn,
      {
        arn: streamArn,
        batchSize: 10,
        batchWindow: 1,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 2,
      },
      (records) => {
        if (records.some((record) => record.dynamodb?.Keys?.id?.S === 'poison'))
          throw new Error('cannot handle');
      },
    );

    // Act
    await putItems(table, ['a', 'b', 'poison', 'd']);

    // Assess
    const failure = await eventually(() => failures[0], { what: 'the on-failure record' });
    expect(failure.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(failure.DDBStreamBatchInfo.batchSize).toBe(1);
    expect(failure.DDBStreamBatchInfo.streamArn).toBe(streamArn);
    expect(failures).toHaveLength(1);
    // Every healthy record was delivered in a successful batch; the poison one was tried
    // once per retry, and nothing loops.
    const successful = batches.filter((batch) => !batch.includes('poison')).flat();
    expect(new Set(successful)).toEqual(new Set(['a', 'b', 'd']));
    expect(batches.filter((batch) => batch.length === 1 && batch[0] === 'poison')).toHaveLength(3);
    const before = batches.length;
    await putItems(table, ['e']);
    await eventually(() => (batches.at(-1)?.includes('e') ? true : undefined), { what: 'the next record' });
    expect(batches.length).toBe(before + 1);
  });
});
