import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  PutItemCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordStockHistory } from '../../functions/stock-alerts/history.ts';
import { LOCAL_CREDENTIALS } from '../../local/cloud.ts';
import type { LocalCloud } from '../../local/types.ts';
import { type AttentionItem, queryAttention } from '../../shared/stock/attention-table.ts';
import {
  queryItemHistory,
  queryRecentTransitions,
  type StockChange,
  stockChangeFrom,
  transitionAtOf,
} from '../../shared/stock/history-table.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';
import { type ModelAttention, type ModelChange, modelKey, modelOf } from '../support/stock-history-model.ts';
import {
  applyInventoryWrites,
  createStreamedInventoryTable,
  deliver,
  streamRecords,
} from '../support/stream-records.ts';

// The stock history and the attention list, kept from DynamoDB Local's real stream records of
// real writes, must come out as a plain model of those records says, however Lambda delivers
// them: in order, a batch reversed, again after a partial failure, in halves after a bisect,
// a stale batch after newer ones, with writes failing on the way. The tables are made as
// serverless.yml declares them (the local cloud creates them from the template; each case
// gets copies). Then the reads the dashboard makes, and one change through the local cloud's
// own stream mapping of the stockAlerts function, which keeps the history.

const THRESHOLD = 5;
let cloud: LocalCloud;
let clients: TestClients;
let streams: DynamoDBStreamsClient;
const template: { history?: TableDescription; attention?: TableDescription } = {};
let copies = 0;

beforeAll(async () => {
  cloud = await startTestCloud({ functions: ['stockAlerts'] });
  clients = clientsFor(cloud);
  streams = new DynamoDBStreamsClient({
    endpoint: cloud.endpoints.endpoints.dynamodb,
    region: cloud.endpoints.region,
    credentials: LOCAL_CREDENTIALS,
  });
  const { TableNames = [] } = await clients.dynamoDb.send(new ListTablesCommand({}));
  for (const [key, suffix] of [
    ['history', '-stock-history'],
    ['attention', '-stock-attention'],
  ] as const) {
    const TableName = TableNames.find((name) => name.endsWith(suffix));
    template[key] = (await clients.dynamoDb.send(new DescribeTableCommand({ TableName }))).Table;
  }
});

afterAll(async () => {
  streams?.destroy();
  await cloud?.stop();
});

/** A new table shaped as the template's: keys, attributes, indexes. */
async function copyOf(description: TableDescription | undefined): Promise<string> {
  copies += 1;
  const TableName = `${description?.TableName}-copy-${copies}`;
  await clients.dynamoDb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: description?.AttributeDefinitions,
      KeySchema: description?.KeySchema,
      GlobalSecondaryIndexes: description?.GlobalSecondaryIndexes?.map(
        ({ IndexName, KeySchema, Projection }) => ({
          IndexName,
          KeySchema,
          Projection,
        }),
      ),
    }),
  );
  return TableName;
}

interface Fixture {
  history: string;
  attention: string;
}

const fixture = async (): Promise<Fixture> => ({
  history: await copyOf(template.history),
  attention: await copyOf(template.attention),
});

type Write = [store: string, item: string, count: number | null];

/** Writes to a new inventory table; its stream's records, as Lambda would deliver them. */
async function recordsOfWrites(writes: Write[]): Promise<DynamoDBRecord[]> {
  copies += 1;
  const table = `history-inventory-${copies}`;
  const streamArn = await createStreamedInventoryTable(clients.dynamoDb, table);
  const asWrites = writes.map(([store, item, count]) => ({ store, item, count }));
  await applyInventoryWrites(clients.dynamoDb, table, asWrites);
  const records = await streamRecords(streams, streamArn, cloud.endpoints.region);
  // DynamoDB Local stamps records to the second, and these writes take less than one: each
  // record is moved back by a second per later record, so that every change has its own
  // time and `since` tells which record it came from. Nothing else of the records changes.
  return records.map((record, index) => {
    const dynamodb = record.dynamodb ?? {};
    const at = Number(dynamodb.ApproximateCreationDateTime) - (records.length - index);
    return { ...record, dynamodb: { ...dynamodb, ApproximateCreationDateTime: at } };
  });
}

async function scan(client: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true }))
    items.push(...(page.Items ?? []));
  return items;
}

/** The tables' content in the model's terms, after checking the attributes the model does not state. */
async function stateOf(target: Fixture) {
  const history = new Map<string, ModelChange>();
  for (const stored of await scan(clients.documents, target.history)) {
    const change = stockChangeFrom(stored) as StockChange;
    expect(typeof stored.expiresAt).toBe('number');
    expect(stored.removed).toBe(change.count === undefined ? true : undefined);
    expect(stored.transitionAt).toBe(change.transition ? transitionAtOf(change) : undefined);
    expect(stored.transitionMonth).toBe(change.transition ? change.changedAt.slice(0, 7) : undefined);
    history.set(`${modelKey(change.store, change.item)}#${change.sequence}`, change);
  }
  const attention = new Map<string, ModelAttention>();
  for (const stored of await scan(clients.documents, target.attention)) {
    const { store, item, status, count, since } = stored as unknown as {
      store: string;
      item: string;
    } & ModelAttention;
    if (status === 'ok') {
      expect([stored.attentionStatus, typeof stored.expiresAt]).toEqual([undefined, 'number']);
    } else {
      expect(stored.attentionStatus).toBe(status);
      expect(String(stored.attentionSince).startsWith(`${since}#`)).toBe(true);
    }
    attention.set(modelKey(store, item), {
      status,
      ...(count === undefined || status === 'ok' ? {} : { count }),
      since,
    });
  }
  return { history, attention };
}

const silent = new Logger({ logLevel: 'SILENT' });
const handle = (
  target: Fixture,
  records: DynamoDBRecord[],
  client: DynamoDBDocumentClient = clients.documents,
) =>
  recordStockHistory(records, {
    documentClient: client,
    historyTable: target.history,
    attentionTable: target.attention,
    lowStockThreshold: THRESHOLD,
    retentionDays: 90,
    logger: silent,
  });

/** A DocumentClient whose writes (BatchWriteItem, UpdateItem) fail when `fails()` says so. */
function flakyClient(fails: () => boolean): DynamoDBDocumentClient {
  const send = clients.documents.send.bind(clients.documents) as (command: unknown) => Promise<unknown>;
  return new Proxy(clients.documents, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown) => {
        const write = command instanceof BatchWriteCommand || command instanceof UpdateCommand;
        if (write && fails()) throw Object.assign(new Error('injected'), { name: 'AccessDeniedException' });
        return send(command);
      };
    },
  });
}

/** Out → back (low) → out → back → low → low → removed; low → ok; low → out → out again → back; noise. */
const WRITES: Write[] = [
  ['Berlin', 'apples', 0],
  ['Berlin', 'bread', 12],
  ['Lyon', 'cheese', 3],
  ['Berlin', 'apples', 5],
  ['Lyon', 'cheese', 0],
  ['Berlin', 'bread', 4],
  ['Berlin', 'apples', 0],
  ['Lyon', 'cheese', 0],
  ['Berlin', 'bread', 4],
  ['Lyon', 'dates', 20],
  ['Berlin', 'apples', 9],
  ['Berlin', 'bread', 8],
  ['Lyon', 'cheese', 7],
  ['Berlin', 'apples', 3],
  ['Lyon', 'dates', 0],
  ['Berlin', 'apples', 2],
  ['Lyon', 'dates', null],
  ['Berlin', 'apples', null],
  ['Berlin', 'figs', 1],
  ...Array.from({ length: 24 }, (_, i): Write => [i % 2 ? 'Berlin' : 'Lyon', `noise-${i % 6}`, (i * 7) % 13]),
];

let records: DynamoDBRecord[] = [];
let inOrder: Fixture;
const batchesOf = (size: number) =>
  Array.from({ length: Math.ceil(records.length / size) }, (_, i) =>
    records.slice(i * size, i * size + size),
  );

describe('stock history and attention from the real stream', () => {
  beforeAll(async () => {
    records = await recordsOfWrites(WRITES);
  });

  it('equal the model when delivered in order, and again when every batch comes reversed', async () => {
    // Prepare
    const model = modelOf(records, THRESHOLD);
    inOrder = await fixture();
    const reversed = await fixture();

    // Act
    for (const batch of batchesOf(8)) {
      expect((await handle(inOrder, batch)).batchItemFailures).toEqual([]);
      await handle(reversed, [...batch].reverse());
    }

    // Assess
    expect(await stateOf(inOrder)).toEqual(model);
    expect(await stateOf(reversed)).toEqual(model);
    expect(model.attention.get(modelKey('Berlin', 'figs'))?.status).toBe('low');
    expect([...model.history.values()].filter((change) => change.transition).length).toBeGreaterThanOrEqual(
      7,
    );
  });

  it('equal the model after redeliveries, bisects and stale batches', async () => {
    // Prepare
    const target = await fixture();
    const batches = batchesOf(6);

    // Act
    for (const [index, batch] of batches.entries()) {
      await handle(target, batch.slice(0, 3)); // bisected on the first delivery
      await handle(target, batch.slice(3));
      await handle(target, batch); // redelivered whole
      if (index > 1) await handle(target, batches[index - 2] as DynamoDBRecord[]); // a stale batch
    }

    // Assess
    expect(await stateOf(target)).toEqual(modelOf(records, THRESHOLD));
  });

  it('equal the model when writes fail on the way and Lambda retries from the failed record', async () => {
    // Prepare
    const target = await fixture();
    let call = 0;
    const client = flakyClient(() => {
      call += 1;
      return call % 3 === 0 && call < 60;
    });

    // Act
    await deliver(records, 7, (batch) => handle(target, batch, client));

    // Assess
    expect(await stateOf(target)).toEqual(modelOf(records, THRESHOLD));
    expect(call).toBeGreaterThan(10);
  });
});

describe('the reads the dashboard makes', () => {
  const model = () => modelOf(records, THRESHOLD);
  const transitions = () =>
    [...model().history.values()]
      .filter((change) => change.transition)
      .sort((a, b) => (transitionAtOf(a) < transitionAtOf(b) ? 1 : -1));

  it("give an item's changes newest first", async () => {
    // Act
    const history = await queryItemHistory(clients.documents, inOrder.history, 'Berlin', 'apples', {
      limit: 3,
    });

    // Assess
    const apples = [...model().history.values()].filter((change) => change.item === 'apples');
    expect(history).toEqual(apples.reverse().slice(0, 3));
    expect(history[0]).not.toHaveProperty('count'); // removed
  });

  it('give the transitions newest first, page by page, by store and by type', async () => {
    // Act
    const pages: StockChange[][] = [];
    let before: string | undefined;
    do {
      const page = await queryRecentTransitions(clients.documents, inOrder.history, {
        stores: 'all',
        limit: 2,
        ...(before ? { before } : {}),
      });
      pages.push(page.changes);
      before = page.next;
    } while (before);
    const lyon = await queryRecentTransitions(clients.documents, inOrder.history, {
      stores: ['Lyon'],
      limit: 50,
    });
    const out = await queryRecentTransitions(clients.documents, inOrder.history, {
      stores: ['Berlin', 'Lyon'],
      type: 'out_of_stock',
      limit: 50,
    });

    // Assess
    expect(pages.flat()).toEqual(transitions());
    expect(pages.every((page) => page.length === 2 || page === pages.at(-1))).toBe(true);
    expect(lyon).toEqual({ changes: transitions().filter((change) => change.store === 'Lyon') });
    expect(out.changes).toEqual(transitions().filter((change) => change.transition === 'out_of_stock'));
  });

  it('read the month index back from `now` for as many months as asked', async () => {
    // Prepare: the month after the newest record's (the records may span two months).
    const newest = new Date(Date.parse((transitions()[0] as ModelChange).changedAt));
    const nextMonth = new Date(Date.UTC(newest.getUTCFullYear(), newest.getUTCMonth() + 1, 15));

    // Act
    const one = await queryRecentTransitions(clients.documents, inOrder.history, {
      stores: 'all',
      limit: 50,
      now: nextMonth,
      months: 1,
    });
    const three = await queryRecentTransitions(clients.documents, inOrder.history, {
      stores: 'all',
      limit: 50,
      now: nextMonth,
      months: 3,
    });

    // Assess
    expect(one.changes).toEqual([]);
    expect(three.changes).toEqual(transitions());
  });

  it('list what needs attention, newest first, for every store or some', async () => {
    // Prepare
    const expected: AttentionItem[] = [...model().attention.entries()]
      .filter(([, state]) => state.status !== 'ok')
      .map(([key, state]) => {
        const [store, item] = JSON.parse(key) as [string, string];
        return {
          store,
          item,
          status: state.status as 'out' | 'low',
          count: state.count as number,
          since: state.since,
        };
      });

    // Act
    const all = await queryAttention(clients.documents, inOrder.attention, { stores: 'all', limit: 100 });
    const top = await queryAttention(clients.documents, inOrder.attention, { stores: 'all', limit: 2 });
    const berlin = await queryAttention(clients.documents, inOrder.attention, {
      stores: ['Berlin'],
      limit: 100,
    });

    // Assess
    expect(all).toHaveLength(expected.length);
    expect(all).toEqual(expect.arrayContaining(expected));
    expect(all.map((found) => found.since)).toEqual(
      all
        .map((found) => found.since)
        .sort()
        .reverse(),
    );
    expect(top).toEqual(all.slice(0, 2));
    expect(berlin).toEqual(all.filter((found) => found.store === 'Berlin'));
    expect(expected.length).toBeGreaterThan(3);
  });
});

describe('the stockAlerts function in the local cloud, keeping the history', () => {
  it('is wired to the Inventory stream by serverless.yml and keeps the history and the list', async () => {
    // Prepare
    const { inventory } = cloud.tables;
    const Key = { store: { S: 'Cloud' }, item: { S: 'plums' } };

    // Act
    for (const count of [3, 0, 2]) {
      await clients.dynamoDb.send(
        new PutItemCommand({ TableName: inventory, Item: { ...Key, count: { N: String(count) } } }),
      );
    }

    // Assess
    const [history, attention] = [
      template.history?.TableName as string,
      template.attention?.TableName as string,
    ];
    const changes = await eventually(
      async () => {
        const found = await queryItemHistory(clients.documents, history, 'Cloud', 'plums', { limit: 10 });
        return found.length === 2 ? found : undefined;
      },
      { what: 'two history items', timeoutMs: 30_000 },
    );
    // The first count, 3, is not a transition: no item of its own; the next change carries it.
    expect(changes.map((change) => [change.previousCount, change.count, change.transition])).toEqual([
      [0, 2, 'back_in_stock'],
      [3, 0, 'out_of_stock'],
    ]);
    const listed = await eventually(async () => {
      const found = await queryAttention(clients.documents, attention, { stores: ['Cloud'], limit: 5 });
      return found[0]?.count === 2 ? found : undefined;
    });
    expect(listed).toEqual([
      {
        store: 'Cloud',
        item: 'plums',
        status: 'low',
        count: 2,
        since: (changes[0] as StockChange).changedAt,
      },
    ]);
  });
});
