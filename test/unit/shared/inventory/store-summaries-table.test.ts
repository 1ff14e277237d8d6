import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addItemChange,
  NO_CHANGE,
  paddedSequence,
  storeSummarySchema,
  summariseStore,
} from '../../../../shared/inventory/store-summaries-table.ts';
import type { InventoryItem } from '../../../../shared/inventory/table.ts';

const COMPUTED_AT = '2025-05-05T00:00:00.000Z';
const LOW = 5;

describe('summariseStore', () => {
  it('counts items, units, out-of-stock and low items, and keeps the newest update', () => {
    // Prepare
    const items = [
      { item: 'a', count: 0, updatedAt: '2025-01-01T00:00:00.000Z' },
      { item: 'b', count: 4, updatedAt: '2025-03-01T00:00:00.000Z' },
      { item: 'c', count: 10, updatedAt: '2025-02-01T00:00:00.000Z' },
      { item: 'd', count: 1 },
    ];

    // Act
    const summary = summariseStore('s1', items, COMPUTED_AT, LOW);

    // Assess
    expect(summary).toEqual({
      store: 's1',
      itemCount: 4,
      totalUnits: 15,
      outOfStockCount: 1,
      lowStockCount: 2, // 4 and 1; 10 is above the threshold
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
      LOW,
    );

    // Assess
    expect(summary).toMatchObject({ itemCount: 2, totalUnits: 3, outOfStockCount: 1, lowStockCount: 1 });
  });

  it('leaves lastUpdatedAt out when no item has one, and stays a valid summary', () => {
    // Act
    const summary = summariseStore('s1', [{ item: 'a', count: 2 }], COMPUTED_AT, LOW);

    // Assess
    expect(summary).not.toHaveProperty('lastUpdatedAt');
    expect(storeSummarySchema.safeParse(summary).success).toBe(true);
  });

  it('has no summary for a store with no items', () => {
    // Act
    const summary = summariseStore('s1', [], COMPUTED_AT, LOW);

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
    const summary = summariseStore('s1', items(), COMPUTED_AT, LOW);

    // Assess
    expect(summary).toMatchObject({ itemCount: 2, outOfStockCount: 2, totalUnits: 0 });
  });
});

describe('addItemChange', () => {
  it('sums to a recount of the store, whatever the writes (property)', () => {
    // Prepare: writes to a few items (a count, or undefined for a delete), applied in order.
    const writes = fc.array(
      fc.record({
        item: fc.constantFrom('a', 'b', 'c', 'd'),
        count: fc.option(fc.integer({ min: -3, max: 50 })),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(writes, (sequence) => {
        const items = new Map<string, InventoryItem>();
        let change = NO_CHANGE;

        // Act
        for (const { item, count } of sequence) {
          const before = items.get(item);
          const after = count === null ? undefined : { item, count };
          change = addItemChange(change, before, after, LOW);
          if (after) items.set(item, after);
          else items.delete(item);
        }

        // Assess
        const recount = summariseStore('s', items.values(), COMPUTED_AT, LOW);
        expect({
          itemCount: change.itemCount,
          totalUnits: change.totalUnits,
          outOfStockCount: change.outOfStockCount,
          lowStockCount: change.lowStockCount,
        }).toEqual({
          itemCount: recount?.itemCount ?? 0,
          totalUnits: recount?.totalUnits ?? 0,
          outOfStockCount: recount?.outOfStockCount ?? 0,
          lowStockCount: recount?.lowStockCount ?? 0,
        });
      }),
    );
  });

  it('keeps the newest updatedAt of the items written', () => {
    // Act
    const change = [
      { item: 'a', count: 1, updatedAt: '2025-02-01T00:00:00.000Z' },
      { item: 'b', count: 1, updatedAt: '2025-01-01T00:00:00.000Z' },
    ].reduce((sum, item) => addItemChange(sum, undefined, item, LOW), NO_CHANGE);

    // Assess
    expect(change.lastUpdatedAt).toBe('2025-02-01T00:00:00.000Z');
  });
});

describe('storeSummarySchema', () => {
  it('reads a summary written before lowStockCount was kept, or with a negative one, as having none', () => {
    // Prepare
    const old = { store: 's1', itemCount: 3, totalUnits: 9, outOfStockCount: 0, computedAt: COMPUTED_AT };

    // Act
    const [absent, negative] = [old, { ...old, lowStockCount: -2 }].map((item) =>
      storeSummarySchema.parse(item),
    );

    // Assess
    expect(absent?.lowStockCount).toBeUndefined();
    expect(negative?.lowStockCount).toBeUndefined();
    expect(negative).toMatchObject({ store: 's1', itemCount: 3 });
  });
});

describe('paddedSequence', () => {
  it('pads to 40 digits so that text order is number order', () => {
    // Act
    const [small, large] = [paddedSequence('999'), paddedSequence('1000')];

    // Assess
    expect(small).toHaveLength(40);
    expect(small < large).toBe(true);
  });

  it('refuses what is not a sequence number', () => {
    // Act / Assess
    expect(() => paddedSequence('12a')).toThrow('not a stream sequence number');
    expect(() => paddedSequence('1'.repeat(41))).toThrow('not a stream sequence number');
  });
});
