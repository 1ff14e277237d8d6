import { describe, expect, it } from 'vitest';
import { stockStatus } from '#shared/stock/status.ts';
import {
  cursorPage,
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  type ItemQuery,
  numberedPage,
  selectItems,
} from '../../../../functions/web/items.ts';
import { inventory } from './helpers.ts';

const byCount: ItemQuery = { status: 'all', sort: 'count', order: 'desc' };

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
});
