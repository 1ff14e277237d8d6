import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  HISTORY_ATTRIBUTES,
  historyItemOf,
  InvalidTransitionCursorError,
  itemKeyOf,
  monthsBack,
  queryItemHistory,
  queryRecentTransitions,
  type StockChange,
  stockChangeFrom,
  TRANSITIONS_BY_MONTH,
  TRANSITIONS_BY_STORE,
  writeStockChanges,
} from '../../../../shared/stock/history-table.ts';

// The requests each read and write makes, against a stubbed client. That the tables answer
// them as intended (indexes, conditions, paging) is tested against DynamoDB Local in
// test/integration/stock-history.test.ts.

const padded = (sequence: string | number) => String(sequence).padStart(40, '0');

function documentClient() {
  // A real DocumentClient (so aws-sdk-client-mock can intercept it) that never reaches a network.
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials }));
}

const change = (sequence: number, extra: Partial<StockChange> = {}): StockChange => ({
  store: 's1',
  item: 'a',
  sequence: padded(sequence),
  changedAt: '2025-03-01T10:00:00.000Z',
  count: 3,
  ...extra,
});

/** A stored transition of store `store` at `changedAt`. */
const transition = (store: string, changedAt: string, sequence: number) =>
  historyItemOf(change(sequence, { store, changedAt, count: 0, transition: 'out_of_stock' }), 90);

describe('itemKeyOf', () => {
  it('is a 43-character base64url hash that keeps ("ab", "c") apart from ("a", "bc")', () => {
    // Act
    const keys = [itemKeyOf('ab', 'c'), itemKeyOf('a', 'bc'), itemKeyOf('s'.repeat(2048), 'i'.repeat(1024))];

    // Assess
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(keys).size).toBe(3);
    expect(itemKeyOf('ab', 'c')).toBe(keys[0]);
  });
});

describe('historyItemOf', () => {
  it('carries the index keys only on a transition, and expires after the retention', () => {
    // Act
    const plain = historyItemOf(change(7, { previousCount: 5 }), 90);
    const out = historyItemOf(change(8, { count: 0, previousCount: 3, transition: 'out_of_stock' }), 1);

    // Assess
    expect(plain).toEqual({
      itemKey: itemKeyOf('s1', 'a'),
      sequence: padded(7),
      store: 's1',
      item: 'a',
      count: 3,
      previousCount: 5,
      changedAt: '2025-03-01T10:00:00.000Z',
      expiresAt: Date.parse('2025-03-01T10:00:00.000Z') / 1000 + 90 * 86_400,
    });
    expect(out).toMatchObject({
      transition: 'out_of_stock',
      transitionMonth: '2025-03',
      transitionStore: 's1',
      transitionAt: `2025-03-01T10:00:00.000Z#${padded(8)}`,
      expiresAt: Date.parse('2025-03-01T10:00:00.000Z') / 1000 + 86_400,
    });
  });

  it('marks a removal, and reads back as the change it was written from', () => {
    // Prepare
    const removed: StockChange = {
      store: 's1',
      item: 'a',
      sequence: padded(9),
      changedAt: '2025-03-01T10:00:00.000Z',
      previousCount: 2,
    };

    // Act
    const stored = historyItemOf(removed, 90);

    // Assess
    expect(stored).toMatchObject({ removed: true });
    expect(stored).not.toHaveProperty(HISTORY_ATTRIBUTES.count);
    expect(stockChangeFrom(stored)).toEqual(removed);
    expect(stockChangeFrom({ store: 's1' })).toBeUndefined();
  });
});

describe('writeStockChanges', () => {
  const noSleep = { retentionDays: 90, sleep: async () => undefined, random: () => 0.5 };

  it('writes 25 items a request, each record once', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(BatchWriteCommand).resolves({});
    const entries = Array.from({ length: 60 }, (_, i) => ({ change: change(i), id: String(i) }));

    // Act
    const failed = await writeStockChanges(
      client,
      'history',
      [...entries, entries[0] as (typeof entries)[0]],
      noSleep,
    );

    // Assess
    expect(failed).toEqual([]);
    const sizes = mock
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.history?.length);
    expect(sizes.sort()).toEqual([10, 25, 25]);
  });

  it('sends unprocessed items again, and retries throttling', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    const [first, second] = [change(1), change(2)];
    mock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { history: [{ PutRequest: { Item: historyItemOf(second, 90) } }] } })
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .resolves({});
    const retries: number[] = [];

    // Act
    const failed = await writeStockChanges(client, 'history', [{ change: first }, { change: second }], {
      ...noSleep,
      onRetry: ({ unprocessed }) => retries.push(unprocessed),
    });

    // Assess
    expect(failed).toEqual([]);
    expect(retries).toEqual([1, 1]);
    const last = mock.commandCalls(BatchWriteCommand)[2]?.args[0].input.RequestItems?.history ?? [];
    expect(last.map((put) => put.PutRequest?.Item?.sequence)).toEqual([padded(2)]);
  });

  it('gives back what a permanent error or exhausted retries left unwritten', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(BatchWriteCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const entries = [{ change: change(1), id: 'one' }];

    // Act
    const denied = await writeStockChanges(client, 'history', entries, noSleep);
    mock.reset();
    mock
      .on(BatchWriteCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const exhausted = await writeStockChanges(client, 'history', entries, { ...noSleep, maxAttempts: 3 });

    // Assess
    expect(denied).toEqual(entries);
    expect(exhausted).toEqual(entries);
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(3);
  });
});

describe('queryItemHistory', () => {
  it('reads the item’s partition backwards, page after page, up to the limit', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    const stored = (sequence: number) => historyItemOf(change(sequence), 90);
    mock
      .on(QueryCommand)
      .resolvesOnce({
        Items: [stored(9), stored(8)],
        LastEvaluatedKey: { itemKey: 'k', sequence: padded(8) },
      })
      .resolvesOnce({ Items: [stored(7)], LastEvaluatedKey: { itemKey: 'k', sequence: padded(7) } });

    // Act
    const history = await queryItemHistory(client, 'history', 's1', 'a', { limit: 3 });

    // Assess
    expect(history.map((found) => found.sequence)).toEqual([padded(9), padded(8), padded(7)]);
    const [first, second] = mock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(first).toMatchObject({
      TableName: 'history',
      KeyConditionExpression: '#itemKey = :itemKey',
      ExpressionAttributeValues: { ':itemKey': itemKeyOf('s1', 'a') },
      ScanIndexForward: false,
      Limit: 3,
    });
    expect(second).toMatchObject({ Limit: 1, ExclusiveStartKey: { itemKey: 'k', sequence: padded(8) } });
    await expect(queryItemHistory(client, 'history', 's1', 'a', { limit: 0 })).rejects.toThrow(RangeError);
  });
});

describe('queryRecentTransitions', () => {
  it('walks the month index back from now, and gives `next` only when there is more', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(QueryCommand, { ExpressionAttributeValues: { ':partition': '2025-03' } }).resolves({
      Items: [transition('s1', '2025-03-02T00:00:00.000Z', 5)],
    });
    mock.on(QueryCommand, { ExpressionAttributeValues: { ':partition': '2025-02' } }).resolves({ Items: [] });
    mock.on(QueryCommand, { ExpressionAttributeValues: { ':partition': '2025-01' } }).resolves({
      Items: [
        transition('s2', '2025-01-20T00:00:00.000Z', 4),
        transition('s1', '2025-01-10T00:00:00.000Z', 3),
      ],
    });

    // Act
    const page = await queryRecentTransitions(client, 'history', {
      stores: 'all',
      limit: 2,
      now: new Date('2025-03-15T00:00:00.000Z'),
      months: 4,
    });

    // Assess
    expect(page.changes.map((found) => found.sequence)).toEqual([padded(5), padded(4)]);
    expect(page.next).toBe(`2025-01-20T00:00:00.000Z#${padded(4)}`);
    const inputs = mock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.ExpressionAttributeValues?.[':partition'])).toEqual([
      '2025-03',
      '2025-02',
      '2025-01',
    ]);
    expect(inputs[0]).toMatchObject({ IndexName: TRANSITIONS_BY_MONTH, ScanIndexForward: false, Limit: 3 });
  });

  it('continues before a cursor, from its month, filtered by type, and stops at the window', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(QueryCommand).resolves({ Items: [] });
    const before = `2025-02-03T00:00:00.000Z#${padded(4)}`;

    // Act
    const page = await queryRecentTransitions(client, 'history', {
      stores: 'all',
      type: 'back_in_stock',
      limit: 10,
      before,
      now: new Date('2025-03-15T00:00:00.000Z'),
      months: 2,
    });

    // Assess
    expect(page).toEqual({ changes: [] });
    const inputs = mock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({
      KeyConditionExpression: '#partition = :partition AND #at < :before',
      FilterExpression: '#transition = :type',
      ExpressionAttributeValues: { ':partition': '2025-02', ':before': before, ':type': 'back_in_stock' },
    });
  });

  it('merges the store index of each store asked for, newest first', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(QueryCommand, { ExpressionAttributeValues: { ':partition': 's1' } }).resolves({
      Items: [
        transition('s1', '2025-03-05T00:00:00.000Z', 9),
        transition('s1', '2025-03-01T00:00:00.000Z', 2),
      ],
    });
    mock.on(QueryCommand, { ExpressionAttributeValues: { ':partition': 's2' } }).resolves({
      Items: [transition('s2', '2025-03-03T00:00:00.000Z', 5)],
    });

    // Act
    const page = await queryRecentTransitions(client, 'history', { stores: ['s1', 's2', 's1'], limit: 5 });

    // Assess
    expect(page.changes.map((found) => `${found.store}:${Number(found.sequence)}`)).toEqual([
      's1:9',
      's2:5',
      's1:2',
    ]);
    expect(page.next).toBeUndefined();
    const inputs = mock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toMatchObject({ IndexName: TRANSITIONS_BY_STORE, ScanIndexForward: false, Limit: 6 });
  });

  it('refuses a cursor it did not give out', async () => {
    // Prepare
    const client = documentClient();
    mockClient(client).on(QueryCommand).resolves({ Items: [] });

    // Act / Assess
    for (const before of ['yesterday', '2025-02-03T00:00:00.000Z#12', `2025-02-03#${padded(1)}`]) {
      await expect(
        queryRecentTransitions(client, 'history', { stores: 'all', limit: 5, before }),
      ).rejects.toThrow(InvalidTransitionCursorError);
    }
  });
});

describe('monthsBack', () => {
  it('crosses into the year before', () => {
    // Act / Assess
    expect(monthsBack(new Date('2025-02-28T23:59:59.000Z'), 4)).toEqual([
      '2025-02',
      '2025-01',
      '2024-12',
      '2024-11',
    ]);
  });
});
