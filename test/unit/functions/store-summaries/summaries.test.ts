import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { refreshStoreSummaries, writesByStore } from '../../../../functions/store-summaries/summaries.ts';

// The request each batch makes, against a stubbed client. Whether the summaries come out
// exact under redelivery, bisects and reordering is tested against DynamoDB Local's real
// stream in test/integration/store-summaries.test.ts.

type Image = { count: number; updatedAt?: string };

function record(store: string, sequenceNumber: string, before?: Image, after?: Image): DynamoDBRecord {
  const image = (value: Image) => ({
    store: { S: store },
    item: { S: 'x' },
    count: { N: String(value.count) },
    ...(value.updatedAt ? { updatedAt: { S: value.updatedAt } } : {}),
  });
  return {
    eventID: `e-${sequenceNumber}`,
    eventName: before && after ? 'MODIFY' : after ? 'INSERT' : 'REMOVE',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { store: { S: store }, item: { S: 'x' } },
      SequenceNumber: sequenceNumber,
      ...(before ? { OldImage: image(before) } : {}),
      ...(after ? { NewImage: image(after) } : {}),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

function dependencies() {
  // A real DocumentClient (so aws-sdk-client-mock can intercept it) that never reaches a network.
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return {
    documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials })),
    storeSummariesTable: 'summaries',
    lowStockThreshold: 5,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => new Date('2025-05-05T00:00:00.000Z'),
  };
}

const padded = (sequence: string) => sequence.padStart(40, '0');
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'applied', $metadata: {} });

describe('store summaries', () => {
  it('groups writes by store, oldest first, and skips records without a store key', () => {
    // Prepare
    const keyless: DynamoDBRecord = { eventID: 'k', dynamodb: { SequenceNumber: '9' } };

    // Act
    const stores = writesByStore([record('a', '30'), record('b', '2'), record('a', '4'), keyless]);

    // Assess
    expect([...stores.keys()]).toEqual(['a', 'b']);
    expect(stores.get('a')?.map((write) => write.sequenceNumber)).toEqual(['4', '30']);
  });

  it("adds each store's change in one conditional UpdateItem and never reads the inventory", async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock.on(UpdateCommand).resolves({});

    // Act
    const result = await refreshStoreSummaries(
      [
        record('a', '1', undefined, { count: 3, updatedAt: '2025-01-01T00:00:00.000Z' }),
        record('a', '2', { count: 3 }, { count: 0, updatedAt: '2025-02-01T00:00:00.000Z' }),
        record('a', '3', { count: 5 }),
        record('a', '4', undefined, { count: 4 }),
        record('a', '5', { count: 4 }, { count: 9 }),
      ],
      deps,
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(mock.commandCalls(QueryCommand)).toHaveLength(0);
    const updates = mock.commandCalls(UpdateCommand);
    expect(updates).toHaveLength(1);
    const input = updates[0]?.args[0].input;
    expect(input?.Key).toEqual({ store: 'a' });
    expect(input?.ConditionExpression).toBe(
      'attribute_not_exists(appliedSequence) OR appliedSequence < :first',
    );
    expect(input?.ExpressionAttributeValues).toEqual({
      ':items': 1, // +1 inserted, −1 removed, +1 inserted
      ':units': 4, // +3, −3, −5, +4, +5
      ':out': 1,
      ':low': -1, // +1 (3), −1 (3 → 0), −1 (5 removed), +1 (4), −1 (4 → 9)
      ':first': padded('1'),
      ':last': padded('5'),
      ':at': '2025-05-05T00:00:00.000Z',
      ':updated': '2025-02-01T00:00:00.000Z',
    });
  });

  it('after a failed condition, adds only the writes newer than the applied sequence', async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    mock.on(GetCommand).resolves({ Item: { appliedSequence: padded('2') } });

    // Act
    const result = await refreshStoreSummaries(
      [
        record('a', '1', undefined, { count: 1 }),
        record('a', '2', undefined, { count: 2 }),
        record('a', '3', undefined, { count: 4 }),
      ],
      deps,
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(mock.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
    const retried = mock.commandCalls(UpdateCommand)[1]?.args[0].input.ExpressionAttributeValues;
    expect(retried).toMatchObject({ ':items': 1, ':units': 4, ':first': padded('3'), ':last': padded('3') });
  });

  it('writes nothing more when every write of a store was applied before', async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock.on(UpdateCommand).rejects(conditionFailed());
    mock.on(GetCommand).resolves({ Item: { appliedSequence: padded('9') } });

    // Act
    const result = await refreshStoreSummaries([record('a', '8', undefined, { count: 1 })], deps);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it("reports every record of a store whose update failed, and only that store's", async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock.on(TransactWriteCommand).rejects(new Error('TransactionCanceledException'));
    mock.on(UpdateCommand, { Key: { store: 'ok' } }).resolves({});
    mock
      .on(UpdateCommand, { Key: { store: 'broken' } })
      .rejects(new Error('ProvisionedThroughputExceededException'));

    // Act
    const result = await refreshStoreSummaries(
      [
        record('broken', '10', undefined, { count: 1 }),
        record('ok', '11', undefined, { count: 1 }),
        record('broken', '12', { count: 1 }),
      ],
      deps,
    );

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '10' }, { itemIdentifier: '12' }]);
  });

  it('adds the changes of several stores in one transaction', async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock.on(TransactWriteCommand).resolves({});

    // Act
    const stores = ['a', 'b', 'c'];
    const result = await refreshStoreSummaries(
      stores.map((store, i) => record(store, String(i + 1), undefined, { count: 2 })),
      deps,
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(0);
    const items = mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((item) => item.Update?.Key)).toEqual([{ store: 'a' }, { store: 'b' }, { store: 'c' }]);
    expect(items[0]?.Update?.ConditionExpression).toBe(
      'attribute_not_exists(appliedSequence) OR appliedSequence < :first',
    );
  });

  it('adds each store on its own when the transaction is cancelled', async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock.on(TransactWriteCommand).rejects(new Error('TransactionCanceledException: ConditionalCheckFailed'));
    mock.on(UpdateCommand).resolves({});

    // Act
    const result = await refreshStoreSummaries(
      [record('a', '1', undefined, { count: 2 }), record('b', '2', undefined, { count: 3 })],
      deps,
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(mock.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key)).toEqual([
      { store: 'a' },
      { store: 'b' },
    ]);
  });
});
