import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attentionChangeOf,
  countChangesOf,
  historyChangesOf,
  planStockHistory,
  recordStockHistory,
  type StockRecord,
} from '../../../../functions/stock-alerts/history.ts';
import type { AttentionChange } from '../../../../shared/stock/attention-table.ts';
import type { StockChange } from '../../../../shared/stock/history-table.ts';
import { type ModelAttention, modelKey, modelOf } from '../../../support/stock-history-model.ts';
import { isoAt, padded, stockRecord } from './history-stream-records.ts';

const LOW = 5;

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const log = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return { lines, logger: { info: log('info'), warn: log('warn'), error: log('error') } };
}

/** Plain records for attentionChangeOf: counts [before, after] at 10 s apart. */
function itemRecords(...counts: [number | undefined, number | undefined][]): StockRecord[] {
  return counts.map(([before, after], index) => ({
    store: 's1',
    item: 'a',
    sequence: padded(String(index + 1)),
    sequenceNumber: String(index + 1),
    changedAt: isoAt(index * 10),
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  }));
}

describe('reading stream records', () => {
  it('reads an INSERT, a MODIFY and a REMOVE, oldest first whatever the batch order', () => {
    // Act
    const changes = countChangesOf([
      stockRecord('s1', 'a', '30', 4, undefined, 3),
      stockRecord('s1', 'a', '4', undefined, 7, 1),
      stockRecord('s1', 'a', '12', 7, 4, 2),
    ]);

    // Assess
    expect(changes).toEqual([
      { store: 's1', item: 'a', sequence: padded('4'), sequenceNumber: '4', changedAt: isoAt(1), after: 7 },
      {
        store: 's1',
        item: 'a',
        sequence: padded('12'),
        sequenceNumber: '12',
        changedAt: isoAt(2),
        before: 7,
        after: 4,
      },
      {
        store: 's1',
        item: 'a',
        sequence: padded('30'),
        sequenceNumber: '30',
        changedAt: isoAt(3),
        before: 4,
      },
    ]);
  });

  it('drops a MODIFY that left the count as it was, and a record delivered twice in one batch', () => {
    // Act
    const changes = countChangesOf([
      stockRecord('s1', 'a', '1', 3, 3),
      stockRecord('s1', 'b', '2', 3, 0),
      stockRecord('s1', 'b', '2', 3, 0),
    ]);

    // Assess
    expect(changes.map((change) => change.sequenceNumber)).toEqual(['2']);
  });

  it('logs and skips records without a key, a sequence number, a time, or a count that is a number', () => {
    // Prepare
    const { lines, logger } = recordingLogger();
    const good = stockRecord('s1', 'a', '9', 1, 2);
    const without = (change: (record: DynamoDBRecord) => void) => {
      const record = structuredClone(good);
      change(record);
      return record;
    };
    const poison = [
      without((record) => delete record.dynamodb?.Keys),
      without((record) => delete record.dynamodb?.SequenceNumber),
      without((record) => delete record.dynamodb?.ApproximateCreationDateTime),
      without((record) => delete record.dynamodb?.OldImage),
      without((record) => {
        if (record.dynamodb?.NewImage) record.dynamodb.NewImage.count = { S: 'many' };
      }),
      { eventID: 'bare' },
    ];

    // Act
    const changes = countChangesOf([...poison, good], logger);

    // Assess
    expect(changes.map((change) => change.sequenceNumber)).toEqual(['9']);
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(poison.length);
  });
});

describe('history items', () => {
  it('has a first count, a previous count, a removal, and the alerts’ transitions', () => {
    // Act
    const history = historyChangesOf([...itemRecords([undefined, 0], [0, 4], [4, 2], [2, undefined])]).map(
      ({ change }) => change,
    );

    // Assess
    expect(history).toEqual([
      {
        store: 's1',
        item: 'a',
        sequence: padded('1'),
        changedAt: isoAt(0),
        count: 0,
        transition: 'out_of_stock',
      },
      {
        store: 's1',
        item: 'a',
        sequence: padded('2'),
        changedAt: isoAt(10),
        count: 4,
        previousCount: 0,
        transition: 'back_in_stock',
      },
      { store: 's1', item: 'a', sequence: padded('3'), changedAt: isoAt(20), count: 2, previousCount: 4 },
      { store: 's1', item: 'a', sequence: padded('4'), changedAt: isoAt(30), previousCount: 2 },
    ]);
  });

  it('has no item for a first count that is not a transition: the next change carries it', () => {
    // Act
    const history = historyChangesOf(itemRecords([undefined, 7], [7, 3])).map(({ change }) => change);

    // Assess
    expect(history).toEqual([
      { store: 's1', item: 'a', sequence: padded('2'), changedAt: isoAt(10), count: 3, previousCount: 7 },
    ]);
  });
});

describe("an item's attention change", () => {
  it('is nothing while the item stays in stock, or is removed from in stock', () => {
    // Act / Assess
    expect(attentionChangeOf(itemRecords([undefined, 9], [9, 12], [12, undefined]), LOW)).toBeUndefined();
  });

  it('keeps the time an item became low while it stays low (9 → 2 → 1)', () => {
    // Act
    const change = attentionChangeOf(itemRecords([9, 2], [2, 1]), LOW);

    // Assess
    expect(change).toEqual({
      store: 's1',
      item: 'a',
      status: 'low',
      count: 1,
      sequence: padded('2'),
      since: isoAt(0),
      sinceSequence: padded('1'),
      entered: true,
    });
  });

  it('leaves `since` to the stored item when the batch only shows it low already (3 → 2 → 1)', () => {
    // Act
    const change = attentionChangeOf(itemRecords([3, 2], [2, 1]), LOW);

    // Assess
    expect(change).toMatchObject({ status: 'low', count: 1, entered: false, since: isoAt(0) });
  });

  it('is a tombstone (status ok) once the item is back in stock or removed', () => {
    // Act
    const back = attentionChangeOf(itemRecords([2, 0], [0, 7], [7, 9]), LOW);
    const removed = attentionChangeOf(itemRecords([9, 3], [3, undefined]), LOW);

    // Assess: the newest record that mattered (0 → 7), not the in-stock change after it.
    expect(back).toMatchObject({
      status: 'ok',
      count: 7,
      sequence: padded('2'),
      since: isoAt(10),
      entered: true,
    });
    expect(removed).toMatchObject({ status: 'ok', sequence: padded('2'), since: isoAt(10), entered: true });
    expect(removed).not.toHaveProperty('count');
  });

  it('is out since an INSERT at 0', () => {
    // Act / Assess
    expect(attentionChangeOf(itemRecords([undefined, 0]), LOW)).toMatchObject({
      status: 'out',
      count: 0,
      entered: true,
    });
  });
});

interface StoredAttention {
  status: AttentionChange['status'];
  count?: number;
  since: string;
  sinceSequence: string;
  sequence: string;
}

/**
 * A batch's planned writes applied with the tables' semantics: a history item per key (the
 * same record writes the same item), an attention change only if newer, `since` kept when
 * the stored status is the same and the batch did not show the item entering it. The real
 * tables are held to the same outcome in test/integration/stock-history.test.ts.
 */
class MemoryTables {
  readonly history = new Map<string, StockChange>();
  readonly attention = new Map<string, StoredAttention>();

  deliver(records: DynamoDBRecord[]): void {
    const plan = planStockHistory(records, LOW);
    for (const { change } of plan.history)
      this.history.set(`${modelKey(change.store, change.item)}#${change.sequence}`, change);
    for (const { change } of plan.attention) {
      const key = modelKey(change.store, change.item);
      const stored = this.attention.get(key);
      if (stored && stored.sequence >= change.sequence) continue;
      const keep = !change.entered && change.status !== 'ok' && stored?.status === change.status;
      this.attention.set(key, {
        status: change.status,
        ...(change.count === undefined ? {} : { count: change.count }),
        sequence: change.sequence,
        since: keep && stored ? stored.since : change.since,
        sinceSequence: keep && stored ? stored.sinceSequence : change.sinceSequence,
      });
    }
  }

  /** As the model states it (see test/support/stock-history-model.ts). */
  state() {
    const attention = new Map<string, ModelAttention>();
    for (const [key, { status, count, since }] of this.attention)
      attention.set(key, { status, ...(count === undefined || status === 'ok' ? {} : { count }), since });
    return { history: this.history, attention };
  }
}

const writesArbitrary = fc.array(
  fc.record({
    store: fc.constantFrom('s1', 's2'),
    item: fc.constantFrom('a', 'b', 'c'),
    count: fc.option(fc.integer({ min: 0, max: 9 }), { freq: 6 }),
  }),
  { minLength: 1, maxLength: 60 },
);

/** The stream records of writes to an inventory table (a count is a put, null a delete). */
function recordsOf(writes: { store: string; item: string; count: number | null }[]): DynamoDBRecord[] {
  const counts = new Map<string, number>();
  const records: DynamoDBRecord[] = [];
  for (const [index, { store, item, count }] of writes.entries()) {
    const key = modelKey(store, item);
    const before = counts.get(key);
    if (count === null && before === undefined) continue;
    records.push(stockRecord(store, item, String(1000 + index), before, count ?? undefined, index));
    if (count === null) counts.delete(key);
    else counts.set(key, count);
  }
  return records;
}

const batchesOf = (records: DynamoDBRecord[], size: number) =>
  Array.from({ length: Math.ceil(records.length / size) }, (_, i) =>
    records.slice(i * size, i * size + size),
  );

describe('deliveries', () => {
  it('give the same history and attention as the records applied one by one, however Lambda delivers them (property)', () => {
    fc.assert(
      fc.property(writesArbitrary, fc.integer({ min: 1, max: 9 }), (writes, size) => {
        // Prepare
        const records = recordsOf(writes);
        const batches = batchesOf(records, size);
        const model = modelOf(records, LOW);
        const deliveries: ((tables: MemoryTables) => void)[] = [
          (tables) => tables.deliver(records),
          (tables) => {
            for (const batch of batches) tables.deliver(batch);
          },
          (tables) => {
            for (const [index, batch] of batches.entries()) {
              tables.deliver([...batch].reverse()); // a batch's records in any order
              tables.deliver(batch); // redelivered whole
              tables.deliver(batch.slice(0, Math.ceil(batch.length / 2))); // bisected: both halves again
              tables.deliver(batch.slice(Math.ceil(batch.length / 2)));
              if (index > 1) tables.deliver(batches[index - 2] as DynamoDBRecord[]); // a stale batch
            }
          },
          (tables) => {
            // Bisected on its first delivery: the first half, then the second.
            for (const batch of batches) {
              tables.deliver(batch.slice(0, Math.ceil(batch.length / 2)));
              tables.deliver(batch.slice(Math.ceil(batch.length / 2)));
            }
          },
        ];

        for (const deliver of deliveries) {
          // Act
          const tables = new MemoryTables();
          deliver(tables);

          // Assess
          expect(tables.state()).toEqual(model);
        }
      }),
      { numRuns: 300 },
    );
  });
});

function documentClient() {
  // A real DocumentClient (so aws-sdk-client-mock can intercept it) that never reaches a network.
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials }));
}

function dependencies(client: DynamoDBDocumentClient) {
  return {
    documentClient: client,
    historyTable: 'history',
    attentionTable: 'attention',
    lowStockThreshold: LOW,
    retentionDays: 90,
    logger: recordingLogger().logger,
    now: () => new Date('2025-03-01T12:00:00.000Z'),
  };
}

describe('recordStockHistory', () => {
  it('writes a history item per change and one attention update per item that was out or low', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(BatchWriteCommand).resolves({});
    mock.on(UpdateCommand).resolves({});

    // Act
    const result = await recordStockHistory(
      [
        stockRecord('s1', 'a', '1', 9, 2),
        stockRecord('s1', 'a', '2', 2, 0),
        stockRecord('s1', 'b', '3', 9, 12), // in stock → in stock: history only
        stockRecord('s1', 'c', '4', 4, 4), // no count change: nothing
        stockRecord('s1', 'd', '5', undefined, 30), // a first count in stock: nothing
        stockRecord('s1', 'e', '6', undefined, 1), // a first count that is low: attention only
      ],
      dependencies(client),
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const puts = mock.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.history ?? [];
    expect(puts.map((put) => put.PutRequest?.Item?.sequence)).toEqual([
      padded('1'),
      padded('2'),
      padded('3'),
    ]);
    const updates = mock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates.map((update) => update.Key)).toEqual([
      { store: 's1', item: 'a' },
      { store: 's1', item: 'e' },
    ]);
    expect(updates[0]?.ExpressionAttributeValues).toMatchObject({ ':status': 'out', ':count': 0 });
    expect(updates[1]?.ExpressionAttributeValues).toMatchObject({ ':status': 'low', ':count': 1 });
  });

  it('reports the records whose history was not written, and every record of an item whose attention failed', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock
      .on(BatchWriteCommand)
      .rejects(Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException' }));
    mock.on(UpdateCommand, { Key: { store: 's1', item: 'a' } }).rejects(new Error('AccessDeniedException'));
    mock
      .on(UpdateCommand, { Key: { store: 's1', item: 'b' } })
      .rejects(new ConditionalCheckFailedException({ message: 'newer applied', $metadata: {} }));

    // Act
    const result = await recordStockHistory(
      [
        stockRecord('s1', 'a', '1', 9, 2),
        stockRecord('s1', 'a', '2', 2, 1),
        stockRecord('s1', 'b', '3', 1, 0),
      ],
      dependencies(client),
    );

    // Assess: b's update lost to a newer record: not a failure; its history write is.
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['1', '2', '3']);
  });

  it('reports nothing for a batch whose history is written and whose attention is stale', async () => {
    // Prepare
    const client = documentClient();
    const mock = mockClient(client);
    mock.on(BatchWriteCommand).resolves({});
    mock
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'newer applied', $metadata: {} }));

    // Act
    const result = await recordStockHistory([stockRecord('s1', 'a', '7', 3, 2)], dependencies(client));

    // Assess: the keep-since write, then the write for another status, both lost.
    expect(result.batchItemFailures).toEqual([]);
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(2);
  });
});
