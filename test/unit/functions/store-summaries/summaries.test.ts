import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { recordsByStore, refreshStoreSummaries } from '../../../../functions/store-summaries/summaries.ts';

function record(store: string, sequenceNumber: string): DynamoDBRecord {
  return {
    eventID: `e-${sequenceNumber}`,
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { store: { S: store }, item: { S: 'x' } },
      SequenceNumber: sequenceNumber,
      ApproximateCreationDateTime: 1_700_000_000,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

function dependencies() {
  // A real DocumentClient (so aws-sdk-client-mock can intercept it) that never reaches a network.
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return {
    documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials })),
    inventoryTable: 'inventory',
    storeSummariesTable: 'summaries',
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => new Date('2025-05-05T00:00:00.000Z'),
  };
}

describe('store summaries', () => {
  it('groups records by store and skips records without a store key', () => {
    // Prepare
    const keyless: DynamoDBRecord = { eventID: 'k', dynamodb: { SequenceNumber: '9' } };

    // Act
    const stores = recordsByStore([record('a', '1'), record('b', '2'), record('a', '3'), keyless]);

    // Assess
    expect([...stores.entries()]).toEqual([
      ['a', ['1', '3']],
      ['b', ['2']],
    ]);
  });

  it('recomputes each touched store once from a paged Query and writes it conditionally', async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock
      .on(QueryCommand, { ExpressionAttributeValues: { ':store': 'a' } })
      .resolvesOnce({
        Items: [
          { item: 'k', count: 0, updatedAt: '2025-01-01T00:00:00.000Z' },
          { item: 'l', count: 4, updatedAt: '2025-02-01T00:00:00.000Z' },
        ],
        LastEvaluatedKey: { store: 'a', item: 'm' },
      })
      .resolvesOnce({ Items: [{ item: 'n', count: 10 }] });
    mock.on(PutCommand).resolves({});

    // Act
    const result = await refreshStoreSummaries([record('a', '1'), record('a', '2')], deps);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const queries = mock.commandCalls(QueryCommand);
    expect(queries).toHaveLength(2);
    expect(queries[0]?.args[0].input.ConsistentRead).toBe(true);
    expect(queries[1]?.args[0].input.ExclusiveStartKey).toEqual({ store: 'a', item: 'm' });
    const put = mock.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.Item).toEqual({
      store: 'a',
      itemCount: 3,
      totalUnits: 14,
      outOfStockCount: 1,
      lastUpdatedAt: '2025-02-01T00:00:00.000Z',
      computedAt: '2025-05-05T00:00:00.000Z',
    });
    expect(put?.ConditionExpression).toBe('attribute_not_exists(#store) OR computedAt < :computedAt');
  });

  it('deletes the summary of a store that has no items left', async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock.on(QueryCommand).resolves({ Items: [] });
    mock.on(DeleteCommand).resolves({});

    // Act
    const result = await refreshStoreSummaries([record('gone', '1')], deps);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(mock.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({ store: 'gone' });
    expect(mock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('treats a newer stored summary as success', async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock.on(QueryCommand).resolves({ Items: [{ item: 'x', count: 1 }] });
    mock.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'newer', $metadata: {} }));

    // Act
    const result = await refreshStoreSummaries([record('a', '1')], deps);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
  });

  it("reports every record of a store whose recompute failed, and only that store's", async () => {
    // Prepare
    const deps = dependencies();
    const mock = mockClient(deps.documentClient);
    mock
      .on(QueryCommand, { ExpressionAttributeValues: { ':store': 'ok' } })
      .resolves({ Items: [{ item: 'x', count: 1 }] });
    mock
      .on(QueryCommand, { ExpressionAttributeValues: { ':store': 'broken' } })
      .rejects(new Error('ProvisionedThroughputExceededException'));
    mock.on(PutCommand).resolves({});

    // Act
    const result = await refreshStoreSummaries(
      [record('broken', '10'), record('ok', '11'), record('broken', '12')],
      deps,
    );

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '10' }, { itemIdentifier: '12' }]);
    expect(mock.commandCalls(PutCommand)[0]?.args[0].input.Item?.store).toBe('ok');
  });
});
