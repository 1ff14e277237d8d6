import { describe, expect, it } from 'vitest';
import { storeSummarySchema, summariseStore } from '../../../../shared/inventory/store-summaries-table.ts';

const COMPUTED_AT = '2025-05-05T00:00:00.000Z';

describe('summariseStore', () => {
  it('counts items, units and out-of-stock items, and keeps the newest update', () => {
    // Prepare
    const items = [
      { item: 'a', count: 0, updatedAt: '2025-01-01T00:00:00.000Z' },
      { item: 'b', count: 4, updatedAt: '2025-03-01T00:00:00.000Z' },
      { item: 'c', count: 10, updatedAt: '2025-02-01T00:00:00.000Z' },
      { item: 'd', count: 1 },
    ];

    // Act
    const summary = summariseStore('s1', items, COMPUTED_AT);

    // Assess
    expect(summary).toEqual({
      store: 's1',
      itemCount: 4,
      totalUnits: 15,
      outOfStockCount: 1,
      lastUpdatedAt: '2025-03-01T00:00:00.000Z',
      computedAt: COMPUTED_AT,
    });
  });

  it('counts a negative count as out of stock and as no units', () => {
    // Act
    const summary = summariseStore(
      's1',
      [
        { item: 'a', count: -2 },
        { item: 'b', count: 3 },
      ],
      COMPUTED_AT,
    );

    // Assess
    expect(summary).toMatchObject({ itemCount: 2, totalUnits: 3, outOfStockCount: 1 });
  });

  it('leaves lastUpdatedAt out when no item has one, and stays a valid summary', () => {
    // Act
    const summary = summariseStore('s1', [{ item: 'a', count: 2 }], COMPUTED_AT);

    // Assess
    expect(summary).not.toHaveProperty('lastUpdatedAt');
    expect(storeSummarySchema.safeParse(summary).success).toBe(true);
  });

  it('has no summary for a store with no items', () => {
    // Act
    const summary = summariseStore('s1', [], COMPUTED_AT);

    // Assess
    expect(summary).toBeUndefined();
  });

  it('reads the items once, so a generator will do', () => {
    // Prepare
    function* items() {
      yield { item: 'a', count: 0 };
      yield { item: 'b', count: 0 };
    }

    // Act
    const summary = summariseStore('s1', items(), COMPUTED_AT);

    // Assess
    expect(summary).toMatchObject({ itemCount: 2, outOfStockCount: 2, totalUnits: 0 });
  });
});
