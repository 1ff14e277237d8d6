import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_STAGE } from '../../local/cloud.ts';
import { createTables, type DynamoDbStandIn, startDynamoDb } from '../../local/dynamodb.ts';
import { StackResources } from '../../local/resources.ts';
import { loadServiceConfig } from '../../local/service-config.ts';
import {
  ITEM_STORES_INDEX,
  importStamp,
  inventoryPutRequest,
  queryItemAcrossStores,
} from '../../shared/inventory/table.ts';
import { eventually } from '../support/local-cloud.ts';

// "Is this item in stock anywhere?" on DynamoDB Local, with the Inventory table (and its
// item-stores index) created from serverless.yml as the local cloud creates it, written as the
// import writes it.

let dynamoDb: DynamoDbStandIn;
let documents: DynamoDBDocumentClient;
let table: string;
let stack: StackResources;

beforeAll(async () => {
  const config = await loadServiceConfig(LOCAL_STAGE, LOCAL_REGION);
  stack = new StackResources(config, {
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    stackName: `${config.service}-${LOCAL_STAGE}`,
  });
  dynamoDb = await startDynamoDb({ port: 0, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await createTables(dynamoDb.client, stack);
  table = stack.ref('InventoryTable');
  documents = DynamoDBDocumentClient.from(dynamoDb.client);
  const stamp = importStamp(
    { bucket: 'uploads', key: 'inventory/week.csv', etag: 'e1' },
    '2025-06-02T07:00:00.000Z',
  );
  const rows = [
    { store: 'Oslo', item: 'SKU-42', count: 7 },
    { store: 'Berlin', item: 'SKU-42', count: 0 },
    { store: 'Lyon', item: 'SKU-42', count: 15 },
    { store: 'Madrid', item: 'SKU-7', count: 3 },
    // Item codes are matched exactly, case included.
    { store: 'Madrid', item: 'sku-42', count: 9 },
  ];
  await dynamoDb.client.send(
    new BatchWriteItemCommand({
      RequestItems: { [table]: rows.map((row) => inventoryPutRequest(row, stamp)) },
    }),
  );
});

afterAll(async () => {
  await dynamoDb?.stop();
});

/** The index is eventually consistent: read until the stores written are there. */
const searchUntil = (item: string, stores: number, options?: { stores?: readonly string[] }) =>
  eventually(
    async () => {
      const found = await queryItemAcrossStores(documents, table, item, options);
      return found.length >= stores ? found : undefined;
    },
    { what: `${stores} stores with ${item}` },
  );

describe('queryItemAcrossStores on the item-stores index', () => {
  it('finds every store that has the item, sorted by store, with its count and update time', async () => {
    // Act
    const found = await searchUntil('SKU-42', 3);

    // Assess
    expect(found).toEqual([
      { store: 'Berlin', item: 'SKU-42', count: 0, updatedAt: '2025-06-02T07:00:00.000Z' },
      { store: 'Lyon', item: 'SKU-42', count: 15, updatedAt: '2025-06-02T07:00:00.000Z' },
      { store: 'Oslo', item: 'SKU-42', count: 7, updatedAt: '2025-06-02T07:00:00.000Z' },
    ]);
  });

  it('keeps only the stores a manager may see', async () => {
    // Act
    const found = await searchUntil('SKU-42', 2, { stores: ['Oslo', 'Berlin', 'Madrid'] });

    // Assess
    expect(found.map(({ store, count }) => ({ store, count }))).toEqual([
      { store: 'Berlin', count: 0 },
      { store: 'Oslo', count: 7 },
    ]);
  });

  it('answers [] for an item that no store has, and for another case of a code', async () => {
    // Prepare: the index holds the other writes by now.
    await searchUntil('SKU-7', 1);

    // Act
    const nowhere = await queryItemAcrossStores(documents, table, 'SKU-404');
    const upper = await queryItemAcrossStores(documents, table, 'Sku-42');

    // Assess
    expect(nowhere).toEqual([]);
    expect(upper).toEqual([]);
  });

  it('reads an index created from the template that holds count and updatedAt, not source', async () => {
    // Act: every attribute the index holds for an entry.
    const { Items } = await documents.send(
      new QueryCommand({
        TableName: table,
        IndexName: ITEM_STORES_INDEX,
        KeyConditionExpression: '#item = :item',
        ExpressionAttributeNames: { '#item': 'item' },
        ExpressionAttributeValues: { ':item': 'SKU-7' },
      }),
    );

    // Assess
    expect(Items).toEqual([
      { store: 'Madrid', item: 'SKU-7', count: 3, updatedAt: '2025-06-02T07:00:00.000Z' },
    ]);
  });

  it('is added, with the items already there, to a table kept from before the index existed', async () => {
    // Prepare: the table as an older version of the template made it, without the index.
    await dynamoDb.client.send(new DeleteTableCommand({ TableName: table }));
    await dynamoDb.client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: 'store', AttributeType: 'S' },
          { AttributeName: 'item', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'store', KeyType: 'HASH' },
          { AttributeName: 'item', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const stamp = importStamp(
      { bucket: 'uploads', key: 'inventory/old.csv', etag: 'e0' },
      '2025-06-01T07:00:00.000Z',
    );
    const rows = ['Oslo', 'Lyon'].map((store) =>
      inventoryPutRequest({ store, item: 'SKU-1', count: 2 }, stamp),
    );
    await dynamoDb.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: rows } }));
    const before = await dynamoDb.client.send(new DescribeTableCommand({ TableName: table }));

    // Act: the local cloud's start on that data.
    await createTables(dynamoDb.client, stack);

    // Assess
    expect(before.Table?.GlobalSecondaryIndexes).toBeUndefined();
    expect((await searchUntil('SKU-1', 2)).map((found) => found.store)).toEqual(['Lyon', 'Oslo']);
  });
});
