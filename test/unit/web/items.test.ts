import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  cursorPage,
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  type InventoryItem,
  type ItemQuery,
  numberedPage,
  selectItems,
  stockStatus,
} from '../../../functions/web/items.ts';
import { call, httpEvent, makeHandler } from './helpers.ts';

const byCount: ItemQuery = { status: 'all', sort: 'count', order: 'desc' };

function inventory(size: number): InventoryItem[] {
  return Array.from({ length: size }, (_, index) => ({
    item: `item-${String(index).padStart(3, '0')}`,
    count: index % 7,
    updatedAt: `2025-01-${String((index % 28) + 1).padStart(2, '0')}T00:00:00.000Z`,
  }));
}

describe('stock status, filters and sorting', () => {
  it('classifies out at 0, low up to the threshold and in above it', () => {
    // Assess
    expect([0, 1, 5, 6].map((count) => stockStatus(count, 5))).toEqual(['out', 'low', 'low', 'in']);
  });

  it('filters by status and sorts by count with item name as tie-breaker', () => {
    // Act
    const selected = selectItems(inventory(20), { status: 'low', sort: 'count', order: 'asc' }, 5);

    // Assess
    expect(selected.every((item) => item.count >= 1 && item.count <= 5)).toBe(true);
    expect(selected.map((item) => item.count)).toEqual(
      [...selected.map((item) => item.count)].sort((a, b) => a - b),
    );
    expect(selected[0]?.item).toBe('item-001');
  });

  it('pages by number and reports the page count', () => {
    // Act
    const page = numberedPage(inventory(120), 3, 50);

    // Assess
    expect(page).toMatchObject({ page: 3, pageCount: 3, total: 120 });
    expect(page.entries).toHaveLength(20);
  });
});

describe('cursors', () => {
  it('walks every item exactly once, page after page', () => {
    // Prepare
    const sorted = selectItems(inventory(95), byCount, 5);
    const seen: string[] = [];
    let cursor: string | null = null;

    // Act
    do {
      const after = cursor ? decodeCursor(cursor, byCount) : undefined;
      const page = cursorPage(sorted, byCount, 20, after);
      seen.push(...page.entries.map((item) => item.item));
      cursor = page.nextCursor;
    } while (cursor);

    // Assess
    expect(seen).toEqual(sorted.map((item) => item.item));
  });

  it('rejects a cursor that was edited, truncated or issued for another query', () => {
    // Prepare
    const cursor = encodeCursor({ value: 3, item: 'item-010' }, byCount);
    const [payload, sum] = cursor.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ v: 1, q: 'all.count.desc', k: 0, i: 'x' })).toString(
      'base64url',
    );

    // Assess
    expect(() => decodeCursor(`${payload}x.${sum}`, byCount)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(payload, byCount)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(`${forged}.${sum}`, byCount)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(cursor, { ...byCount, order: 'asc' })).toThrow(/different filter or sort/);
    expect(decodeCursor(cursor, byCount)).toEqual({ value: 3, item: 'item-010' });
  });

  it('answers a tampered cursor on the API with 400 problem+json', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient)
      .on(QueryCommand)
      .resolves({ Items: inventory(10) });

    // Act
    const response = await call(
      handler,
      httpEvent('GET', '/api/stores/s1/items?cursor=eyJ2IjoxfQ.AAAAAAAAAAAA'),
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body).errors).toEqual([
      { parameter: 'cursor', detail: 'the cursor is malformed or was modified' },
    ]);
  });

  it('pages the API with nextCursor until it is null', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient)
      .on(QueryCommand)
      .resolves({ Items: inventory(25) });

    // Act
    const first = JSON.parse(
      (await call(handler, httpEvent('GET', '/api/stores/s1/items?sort=count&order=desc&limit=20'))).body,
    );
    const second = JSON.parse(
      (
        await call(
          handler,
          httpEvent('GET', `/api/stores/s1/items?sort=count&order=desc&limit=20&cursor=${first.nextCursor}`),
        )
      ).body,
    );

    // Assess
    expect(first.items).toHaveLength(20);
    expect(first.total).toBe(25);
    expect(first.items[0]).toMatchObject({ count: 6, status: 'in' });
    expect(second.items).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
    const names = [...first.items, ...second.items].map((item: { item: string }) => item.item);
    expect(new Set(names).size).toBe(25);
  });
});
