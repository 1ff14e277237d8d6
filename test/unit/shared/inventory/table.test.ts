import { describe, expect, it } from 'vitest';
import {
  INVENTORY_ATTRIBUTES,
  importStamp,
  inventoryPutRequest,
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
