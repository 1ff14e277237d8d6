import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshStoreSummaries } from '../../functions/store-summaries/summaries.ts';
import { LOCAL_CREDENTIALS } from '../../local/cloud.ts';
import { type DynamoDbStandIn, startDynamoDb } from '../../local/dynamodb.ts';
import type { LocalFunction } from '../../local/lambda-runtime.ts';
import { CheckpointStore, StreamConsumer } from '../../local/stream-consumer.ts';
import { listStoreSummaries, summariseStore } from '../../shared/inventory/store-summaries-table.ts';
import { queryStoreItems } from '../../shared/inventory/table.ts';
import { eventually } from '../support/local-cloud.ts';
import {
  applyInventoryWrites,
  createStreamedInventoryTable,
  deliver,
  type InventoryWrite,
  streamRecords,
} from '../support/stream-records.ts';

// Summaries kept by adding each stream record's change must come out equal to a recount of
// the table however Lambda delivers the records: again after a partial failure, in halves
// after a bisect, a stale batch after newer ones, a batch's records in any order. The
// records are DynamoDB Local's real stream records of real writes; the deliveries are
// either scripted (as Lambda's rules allow) or made by the local event-source mapping.

const REGION = 'us-east-1';
const LOW_STOCK_THRESHOLD = 5;
let dynamoDb: DynamoDbStandIn;
let documentClient: DynamoDBDocumentClient;
let streams: DynamoDBStreamsClient;
let tables = 0;

beforeAll(async () => {
  dynamoDb = await startDynamoDb({ port: 0, region: REGION, credentials: LOCAL_CREDENTIALS });
  documentClient = DynamoDBDocumentClient.from(dynamoDb.client);
  streams = new DynamoDBStreamsClient({
    endpoint: dynamoDb.url,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
  });
});

afterAll(async () => {
  streams?.destroy();
  await dynamoDb?.stop();
});

interface Fixture {
  inventory: string;
  summaries: string;
  streamArn: string;
}

async function createTables(): Promise<Fixture> {
  tables += 1;
  const inventory = `summaries-inventory-${tables}`;
  const summaries = `summaries-${tables}`;
  const streamArn = await createStreamedInventoryTable(dynamoDb.client, inventory);
  await dynamoDb.client.send(
    new CreateTableCommand({
      TableName: summaries,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'store', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'store', KeyType: 'HASH' }],
    }),
  );
  return { inventory, summaries, streamArn };
}

type Write = InventoryWrite;
const applyWrites = (table: string, writes: Write[]) => applyInventoryWrites(dynamoDb.client, table, writes);
const recordsOf = (streamArn: string) => streamRecords(streams, streamArn, REGION);

/** What the summaries table says, against a recount of the inventory, per store. */
async function summariesAndRecount(fixture: Fixture, stores: string[]) {
  const listed = await listStoreSummaries(documentClient, fixture.summaries);
  const figures = (summary?: {
    itemCount: number;
    totalUnits: number;
    outOfStockCount: number;
    lowStockCount?: number;
  }) => ({
    itemCount: summary?.itemCount ?? 0,
    totalUnits: summary?.totalUnits ?? 0,
    outOfStockCount: summary?.outOfStockCount ?? 0,
    lowStockCount: summary?.lowStockCount ?? 0,
  });
  const summaries: Record<string, unknown> = {};
  const recount: Record<string, unknown> = {};
  for (const store of stores) {
    summaries[store] = figures(listed.find((summary) => summary.store === store));
    const items = await queryStoreItems(documentClient, fixture.inventory, store, { consistentRead: true });
    recount[store] = figures(summariseStore(store, items, '', LOW_STOCK_THRESHOLD));
  }
  return { summaries, recount };
}

/** A DocumentClient whose summary writes (UpdateItem, TransactWriteItems) fail when `fails` says so. */
function flakyClient(fails: (store: string) => boolean): DynamoDBDocumentClient {
  const send = documentClient.send.bind(documentClient) as (command: unknown) => Promise<unknown>;
  return new Proxy(documentClient, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown) => {
        const stores =
          command instanceof UpdateCommand
            ? [command.input.Key?.store]
            : command instanceof TransactWriteCommand
              ? (command.input.TransactItems ?? []).map((item) => item.Update?.Key?.store)
              : [];
        if (stores.some((store) => fails(String(store)))) {
          throw new Error('injected: ProvisionedThroughputExceededException');
        }
        return send(command);
      };
    },
  });
}

const silent = new Logger({ logLevel: 'SILENT' });
const handle = (fixture: Fixture, records: DynamoDBRecord[], client = documentClient) =>
  refreshStoreSummaries(records, {
    documentClient: client,
    storeSummariesTable: fixture.summaries,
    lowStockThreshold: LOW_STOCK_THRESHOLD,
    logger: silent,
  });

const STORES = ['Berlin', 'Lyon', 'Porto'];
const writeArbitrary = fc.record({
  store: fc.constantFrom(...STORES),
  item: fc.constantFrom('apples', 'bread', 'cheese', 'dates'),
  count: fc.option(fc.integer({ min: 0, max: 20 }), { freq: 5 }),
});

describe('store summaries from the real stream', () => {
  it('equal a recount after redeliveries, bisects, stale batches and shuffled batches', async () => {
    // Prepare
    const fixture = await createTables();
    const writes: Write[] = [];
    for (let i = 0; i < 60; i += 1) {
      writes.push({ store: STORES[i % 3] as string, item: `item-${i % 7}`, count: i % 5 === 0 ? 0 : i });
      if (i % 9 === 0)
        writes.push({ store: STORES[i % 3] as string, item: `item-${(i + 1) % 7}`, count: null });
    }
    await applyWrites(fixture.inventory, writes);
    const records = await recordsOf(fixture.streamArn);
    const batches = Array.from({ length: Math.ceil(records.length / 8) }, (_, i) =>
      records.slice(i * 8, i * 8 + 8),
    );

    // Act
    for (const [index, batch] of batches.entries()) {
      await handle(fixture, [...batch].reverse()); // a batch's records in any order
      await handle(fixture, batch); // redelivered whole
      await handle(fixture, batch.slice(0, 4)); // bisected: both halves again
      await handle(fixture, batch.slice(4));
      if (index > 1) await handle(fixture, batches[index - 2] as DynamoDBRecord[]); // a stale batch
    }

    // Assess
    const { summaries, recount } = await summariesAndRecount(fixture, STORES);
    expect(summaries).toEqual(recount);
    expect(Object.values(recount).some((figures) => (figures as { itemCount: number }).itemCount > 0)).toBe(
      true,
    );
  });

  it('equal a recount for any writes, batch size and injected failures (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(writeArbitrary, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
        async (writes, batchSize, failurePlan) => {
          // Prepare
          const fixture = await createTables();
          await applyWrites(fixture.inventory, writes);
          const records = await recordsOf(fixture.streamArn);
          let call = 0;
          const client = flakyClient(() => failurePlan[call++ % failurePlan.length] === true && call <= 40);

          // Act
          await deliver(records, batchSize, (batch) => handle(fixture, batch, client));

          // Assess
          const { summaries, recount } = await summariesAndRecount(fixture, STORES);
          expect(summaries).toEqual(recount);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('equal a recount when the local stream mapping retries and bisects a function that failed after writing', async () => {
    // Prepare
    const fixture = await createTables();
    let calls = 0;
    const fn = {
      key: 'storeSummaries',
      invoke: async (event: DynamoDBStreamEvent) => {
        const response = await handle(fixture, event.Records);
        calls += 1;
        // Every other invocation "times out" after its writes: Lambda retries it, bisected.
        if (calls % 2 === 1) throw new Error('injected: Task timed out after its writes');
        return response;
      },
    } as unknown as LocalFunction;
    const consumer = new StreamConsumer({
      fn,
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:storeSummaries',
      streamArn: fixture.streamArn,
      settings: {
        arn: fixture.streamArn,
        startingPosition: 'TRIM_HORIZON',
        batchSize: 10,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 10,
        functionResponseType: 'ReportBatchItemFailures',
      },
      client: streams,
      region: REGION,
      checkpoints: new CheckpointStore(undefined),
      onFailure: () => undefined,
      log: () => undefined,
      pollIntervalMs: 50,
      retryDelayMs: 10,
    });
    consumer.start();
    try {
      // Act
      await applyWrites(
        fixture.inventory,
        Array.from({ length: 45 }, (_, i) => ({
          store: STORES[i % 3] as string,
          item: `i${i % 11}`,
          count: i % 4,
        })),
      );

      // Assess
      const records = await recordsOf(fixture.streamArn);
      await eventually(async () => {
        // Caught up: each store's summary has applied the store's newest record…
        for (const store of STORES) {
          const newest = records.filter((record) => record.dynamodb?.Keys?.store?.S === store).at(-1);
          const { Item } = await documentClient.send(
            new GetCommand({ TableName: fixture.summaries, Key: { store }, ConsistentRead: true }),
          );
          expect(Item?.appliedSequence).toBe(newest?.dynamodb?.SequenceNumber?.padStart(40, '0'));
        }
        // …and counted each record once.
        const { summaries, recount } = await summariesAndRecount(fixture, STORES);
        expect(summaries).toEqual(recount);
        return true;
      });
      expect(calls).toBeGreaterThan(4);
    } finally {
      await consumer.stop();
    }
  });
});
