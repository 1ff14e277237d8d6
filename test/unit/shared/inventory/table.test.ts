import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  INVENTORY_ATTRIBUTES,
  ITEM_STORES_INDEX,
  importStamp,
  inventoryPutRequest,
  queryItemAcrossStores,
} from '../../../../shared/inventory/table.ts';

describe('inventoryPutRequest', () => {
  it('builds the item under the table’s attribute names, sharing the import’s stamp', () => {
    // Prepare
    const stamp = importStamp(
      { bucket: 'uploads', key: 'inventory/a.csv', etag: 'e1', versionId: 'v2' },
      '2025-04-01T08:00:00.000Z',
    );

    // Act
    const first = inventoryPutRequest({ store: 'Berlin', item: 'apple', count: 12 }, stamp);
    const second = inventoryPutRequest({ store: 'Berlin', item: 'pear', count: 0 }, stamp);

    // Assess
    expect(first).toEqual({
      PutRequest: {
        Item: {
          [INVENTORY_ATTRIBUTES.store]: { S: 'Berlin' },
          [INVENTORY_ATTRIBUTES.item]: { S: 'apple' },
          [INVENTORY_ATTRIBUTES.count]: { N: '12' },
          [INVENTORY_ATTRIBUTES.updatedAt]: { S: '2025-04-01T08:00:00.000Z' },
          [INVENTORY_ATTRIBUTES.source]: {
            M: {
              bucket: { S: 'uploads' },
              key: { S: 'inventory/a.csv' },
              etag: { S: 'e1' },
              versionId: { S: 'v2' },
            },
          },
        },
      },
    });
    expect(second.PutRequest?.Item?.source).toBe(first.PutRequest?.Item?.source);
  });

  it('leaves the version out of an unversioned bucket’s source', () => {
    // Act
    const stamp = importStamp(
      { bucket: 'uploads', key: 'inventory/a.csv', etag: 'e1' },
      '2025-04-01T08:00:00.000Z',
    );

    // Assess
    expect(stamp.source).toEqual({
      M: { bucket: { S: 'uploads' }, key: { S: 'inventory/a.csv' }, etag: { S: 'e1' } },
    });
  });
});

describe('queryItemAcrossStores', () => {
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  const documentsMock = mockClient(documents);

  beforeEach(() => {
    documentsMock.reset();
  });

  it('queries the item-stores index by exact item code, page after page, never the table itself', async () => {
    // Prepare: the paginator reuses one input object, so each request is copied as it is sent.
    const pages = [
      {
        Items: [
          { store: 'Berlin', item: 'SKU-1', count: 4, updatedAt: '2025-04-01T08:00:00.000Z' },
          { store: 'Lyon', item: 'SKU-1', count: 0 },
        ],
        LastEvaluatedKey: { item: 'SKU-1', store: 'Lyon' },
      },
      { Items: [{ store: 'Oslo', item: 'SKU-1', count: 12 }] },
    ];
    const inputs: Record<string, unknown>[] = [];
    documentsMock.on(QueryCommand).callsFake((input: Record<string, unknown>) => {
      inputs.push(structuredClone(input));
      return pages[inputs.length - 1];
    });

    // Act
    const found = await queryItemAcrossStores(documents, 'inventory', 'SKU-1');

    // Assess
    expect(found).toEqual([
      { store: 'Berlin', item: 'SKU-1', count: 4, updatedAt: '2025-04-01T08:00:00.000Z' },
      { store: 'Lyon', item: 'SKU-1', count: 0 },
      { store: 'Oslo', item: 'SKU-1', count: 12 },
    ]);
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toEqual({
      TableName: 'inventory',
      IndexName: ITEM_STORES_INDEX,
      KeyConditionExpression: '#item = :item',
      ProjectionExpression: '#store, #item, #count, #updatedAt',
      ExpressionAttributeNames: {
        '#store': INVENTORY_ATTRIBUTES.store,
        '#item': INVENTORY_ATTRIBUTES.item,
        '#count': INVENTORY_ATTRIBUTES.count,
        '#updatedAt': INVENTORY_ATTRIBUTES.updatedAt,
      },
      ExpressionAttributeValues: { ':item': 'SKU-1' },
    });
    // A GSI has no strongly consistent reads: asking for one is a ValidationException.
    expect(inputs[0]?.ConsistentRead).toBeUndefined();
    expect(inputs[1]?.ExclusiveStartKey).toEqual({ item: 'SKU-1', store: 'Lyon' });
  });

  it('keeps only the stores asked for, and asks nothing for no stores or no item code', async () => {
    // Prepare
    documentsMock.on(QueryCommand).resolves({
      Items: [
        { store: 'Berlin', item: 'SKU-1', count: 4 },
        { store: 'Lyon', item: 'SKU-1', count: 2 },
        { store: 'Oslo', item: 'SKU-1', count: 'many' },
      ],
    });

    // Act
    const limited = await queryItemAcrossStores(documents, 'inventory', 'SKU-1', {
      stores: ['Oslo', 'Berlin'],
    });
    const noStores = await queryItemAcrossStores(documents, 'inventory', 'SKU-1', { stores: [] });
    const noItem = await queryItemAcrossStores(documents, 'inventory', '');

    // Assess
    expect(limited).toEqual([
      { store: 'Berlin', item: 'SKU-1', count: 4 },
      { store: 'Oslo', item: 'SKU-1', count: 0 },
    ]);
    expect(noStores).toEqual([]);
    expect(noItem).toEqual([]);
    expect(documentsMock.commandCalls(QueryCommand)).toHaveLength(1);
  });
});
