import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  ATTENTION_BY_STATUS,
  type AttentionChange,
  applyAttentionChange,
  attentionStatusOf,
  attentionUpdate,
  queryAttention,
  TOMBSTONE_SECONDS,
} from '../../../../shared/stock/attention-table.ts';

// The requests each write and read makes, against a stubbed client. That DynamoDB applies
// the conditions as intended is tested against DynamoDB Local in
// test/integration/stock-history.test.ts.

const padded = (sequence: number) => String(sequence).padStart(40, '0');
const NOW = new Date('2025-03-01T12:00:00.000Z');

function documentClient() {
  // A real DocumentClient (so aws-sdk-client-mock can intercept it) that never reaches a network.
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials }));
}

const change = (extra: Partial<AttentionChange> = {}): AttentionChange => ({
  store: 's1',
  item: 'a',
  status: 'low',
  count: 2,
  sequence: padded(9),
  since: '2025-03-01T10:00:00.000Z',
  sinceSequence: padded(7),
  entered: true,
  ...extra,
});

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'no', $metadata: {} });

/** DynamoDB refuses names and values an expression does not use, and those it lacks. */
function expectConsistent(input: UpdateCommandInput) {
  const text = `${input.UpdateExpression} ${input.ConditionExpression}`;
  const used = new Set(text.match(/[#:]\w+/g));
  expect(
    new Set([
      ...Object.keys(input.ExpressionAttributeNames ?? {}),
      ...Object.keys(input.ExpressionAttributeValues ?? {}),
    ]),
  ).toEqual(used);
}

describe('attentionStatusOf', () => {
  it('is out at 0, low up to the threshold, ok above it and once removed', () => {
    // Act / Assess
    expect([0, -1, 1, 5, 6, undefined].map((count) => attentionStatusOf(count, 5))).toEqual([
      'out',
      'out',
      'low',
      'low',
      'ok',
      'ok',
    ]);
  });
});

describe('attentionUpdate', () => {
  it('writes the index keys of an item that became low, only if newer', () => {
    // Act
    const input = attentionUpdate('attention', change(), 'newer', NOW);

    // Assess
    expectConsistent(input);
    expect(input.Key).toEqual({ store: 's1', item: 'a' });
    expect(input.ConditionExpression).toBe('(attribute_not_exists(#sequence) OR #sequence < :sequence)');
    expect(input.ExpressionAttributeValues).toEqual({
      ':status': 'low',
      ':sequence': padded(9),
      ':count': 2,
      ':since': '2025-03-01T10:00:00.000Z',
      ':attentionSince': `2025-03-01T10:00:00.000Z#${padded(7)}`,
    });
    expect(input.UpdateExpression).toContain('REMOVE #expiresAt');
  });

  it('keeps the stored since on the condition that the status is the same', () => {
    // Act
    const input = attentionUpdate('attention', change({ entered: false }), 'newer-same-status', NOW);

    // Assess
    expectConsistent(input);
    expect(input.ConditionExpression).toBe(
      '(attribute_not_exists(#sequence) OR #sequence < :sequence) AND #status = :status',
    );
    expect(input.UpdateExpression).not.toContain('since');
    expect(input.UpdateExpression).not.toContain('#attentionSince');
  });

  it('writes its own since when the stored status is another or absent', () => {
    // Act
    const input = attentionUpdate('attention', change({ entered: false }), 'newer-other-status', NOW);

    // Assess
    expectConsistent(input);
    expect(input.ConditionExpression).toContain('AND (attribute_not_exists(#status) OR #status <> :status)');
    expect(input.ExpressionAttributeValues).toHaveProperty(':attentionSince');
  });

  it('leaves a tombstone that expires after 25 h and is on no index; a removal has no count', () => {
    // Act
    const input = attentionUpdate('attention', change({ status: 'ok', count: undefined }), 'newer', NOW);

    // Assess
    expectConsistent(input);
    expect(input.ExpressionAttributeValues?.[':expiresAt']).toBe(NOW.getTime() / 1000 + TOMBSTONE_SECONDS);
    expect(TOMBSTONE_SECONDS).toBeGreaterThan(24 * 3600);
    expect(input.UpdateExpression).toMatch(/REMOVE #count, #attentionStatus, #attentionSince$/);
  });
});

describe('applyAttentionChange', () => {
  it('is one write for an item that entered its status, and stale when a newer record is applied', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(UpdateCommand).resolvesOnce({}).rejects(conditionFailed());

    // Act
    const outcomes = [
      await applyAttentionChange(client, 'attention', change(), NOW),
      await applyAttentionChange(client, 'attention', change(), NOW),
    ];

    // Assess
    expect(outcomes).toEqual(['applied', 'stale']);
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('keeps since in one write when the stored status is the same, else writes its own', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed()).resolves({});

    // Act
    const kept = await applyAttentionChange(client, 'attention', change({ entered: false }), NOW);
    const written = await applyAttentionChange(client, 'attention', change({ entered: false }), NOW);

    // Assess
    expect([kept, written]).toEqual(['applied', 'applied']);
    const conditions = mock.commandCalls(UpdateCommand).map((call) => call.args[0].input.ConditionExpression);
    expect(conditions.map((condition) => condition?.includes('<>'))).toEqual([false, false, true]);
  });

  it('lets other errors through', async () => {
    // Prepare
    const client = documentClient();
    mockClient(client).on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    // Act / Assess
    await expect(applyAttentionChange(client, 'attention', change(), NOW)).rejects.toThrow('Provisioned');
  });
});

const stored = (store: string, item: string, status: string, since: string, sequence = 1) => ({
  store,
  item,
  status,
  count: status === 'out' ? 0 : 2,
  since,
  sequence: padded(sequence),
  ...(status === 'ok' ? {} : { attentionStatus: status, attentionSince: `${since}#${padded(sequence)}` }),
});

describe('queryAttention', () => {
  it('reads the index for out and for low, backwards, and merges them newest first', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(QueryCommand, { ExpressionAttributeValues: { ':status': 'out' } }).resolves({
      Items: [
        stored('s1', 'a', 'out', '2025-03-03T00:00:00.000Z'),
        stored('s2', 'b', 'out', '2025-03-01T00:00:00.000Z'),
      ],
    });
    mock.on(QueryCommand, { ExpressionAttributeValues: { ':status': 'low' } }).resolves({
      Items: [stored('s1', 'c', 'low', '2025-03-02T00:00:00.000Z')],
    });

    // Act
    const items = await queryAttention(client, 'attention', { stores: 'all', limit: 2 });

    // Assess
    expect(items).toEqual([
      { store: 's1', item: 'a', status: 'out', count: 0, since: '2025-03-03T00:00:00.000Z' },
      { store: 's1', item: 'c', status: 'low', count: 2, since: '2025-03-02T00:00:00.000Z' },
    ]);
    const inputs = mock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.IndexName, input.ScanIndexForward, input.Limit])).toEqual([
      [ATTENTION_BY_STATUS, false, 2],
      [ATTENTION_BY_STATUS, false, 2],
    ]);
  });

  it("reads each store's partition, filtered to out and low, every page, and merges them", async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock
      .on(QueryCommand, { ExpressionAttributeValues: { ':store': 's1' } })
      .resolvesOnce({
        Items: [stored('s1', 'a', 'low', '2025-03-01T00:00:00.000Z')],
        LastEvaluatedKey: { store: 's1', item: 'a' },
      })
      .resolves({
        Items: [
          stored('s1', 'b', 'out', '2025-03-04T00:00:00.000Z'),
          stored('s1', 'c', 'ok', '2025-03-05T00:00:00.000Z'),
        ],
      });
    mock.on(QueryCommand, { ExpressionAttributeValues: { ':store': 's2' } }).resolves({
      Items: [stored('s2', 'x', 'low', '2025-03-02T00:00:00.000Z')],
    });

    // Act
    const items = await queryAttention(client, 'attention', { stores: ['s1', 's2'], limit: 10 });

    // Assess: the tombstone (ok) is not listed, even if a filter let it through.
    expect(items.map((found) => `${found.store}/${found.item}`)).toEqual(['s1/b', 's2/x', 's1/a']);
    const inputs = mock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toMatchObject({
      KeyConditionExpression: '#store = :store',
      FilterExpression: '#status IN (:out, :low)',
    });
    expect(inputs[0]).not.toHaveProperty('IndexName');
    expect(inputs).toHaveLength(3);
  });
});
