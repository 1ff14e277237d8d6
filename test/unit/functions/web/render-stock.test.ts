import { describe, expect, it } from 'vitest';
import {
  attentionTotals,
  countPointsOf,
  historyRowsOf,
  itemPath,
  statusBadge,
} from '../../../../functions/web/render-stock.ts';

describe('the stock pages’ common parts', () => {
  it('puts store and item in one path segment each', () => {
    expect(itemPath('a/b', 'c?d#e')).toBe('/stores/a%2Fb/items/c%3Fd%23e');
  });

  it('orders changes of one instant by their stream sequence, oldest first, for the chart', () => {
    // Prepare: three writes within one second, newest first as the history reads them.
    const at = '2026-01-01T00:00:00Z';
    const change = (sequence: string, count: number) => ({
      store: 's',
      item: 'i',
      sequence,
      changedAt: at,
      count,
    });

    // Act
    const points = countPointsOf([change('0030', 0), change('0020', 2), change('0010', 10)]);

    // Assess
    expect(points.map((point) => point.count)).toEqual([10, 2, 0]);
  });

  it('says a status in words and a shape, not colour alone', () => {
    expect(statusBadge('low').toString()).toBe(
      '<span class="badge badge-low"><span class="icon" aria-hidden="true">▲</span> Low</span>',
    );
  });

  it('turns changes into chart points and table rows, a removal as a point without a count', () => {
    // Prepare
    const changes = [
      { store: 's', item: 'i', sequence: '2', changedAt: '2026-01-02T00:00:00Z', previousCount: 3 },
      {
        store: 's',
        item: 'i',
        sequence: '1',
        changedAt: '2026-01-01T00:00:00Z',
        count: 3,
        transition: 'out_of_stock' as const,
      },
    ];

    // Assess
    expect(countPointsOf(changes)).toEqual([
      { at: '2026-01-01T00:00:00Z', count: 3 },
      { at: '2026-01-02T00:00:00Z', count: undefined },
    ]);
    expect(historyRowsOf(changes)).toEqual([
      { at: '2026-01-02T00:00:00Z', count: undefined, previousCount: 3 },
      { at: '2026-01-01T00:00:00Z', count: 3, transition: 'out_of_stock' },
    ]);
  });

  it('leads a change by the count it started from when no point gave it: the oldest read, the first after a removal', () => {
    // Prepare: a first count of 7 (not kept), 7 → 3, removed, re-added at 5 (not kept), 5 → 0.
    const change = (sequence: string, day: number, count?: number, previousCount?: number) => ({
      store: 's',
      item: 'i',
      sequence,
      changedAt: `2026-01-0${day}T00:00:00Z`,
      ...(count === undefined ? {} : { count }),
      ...(previousCount === undefined ? {} : { previousCount }),
    });

    // Act
    const points = countPointsOf([change('4', 4, 0, 5), change('2', 2, undefined, 3), change('1', 1, 3, 7)]);

    // Assess
    expect(points).toEqual([
      { at: '2026-01-01T00:00:00Z', count: 7 },
      { at: '2026-01-01T00:00:00Z', count: 3 },
      { at: '2026-01-02T00:00:00Z', count: undefined },
      { at: '2026-01-04T00:00:00Z', count: 5 },
      { at: '2026-01-04T00:00:00Z', count: 0 },
    ]);
  });

  it('draws an item that never changed from its count since its last import', () => {
    // Act / Assess
    expect(countPointsOf([], { count: 12, updatedAt: '2026-01-01T00:00:00Z' })).toEqual([
      { at: '2026-01-01T00:00:00Z', count: 12 },
    ]);
    expect(countPointsOf([], { count: 12 })).toEqual([]);
    expect(countPointsOf([])).toEqual([]);
  });

  it('adds up out and low over summaries, a summary without a low count as 0', () => {
    // Prepare
    const base = { itemCount: 1, totalUnits: 1, computedAt: '2026-01-01T00:00:00Z' };

    // Act
    const totals = attentionTotals([
      { ...base, store: 'a', outOfStockCount: 1, lowStockCount: 2 },
      { ...base, store: 'b', outOfStockCount: 0, lowStockCount: 0 },
      { ...base, store: 'c', outOfStockCount: 3 } as never,
    ]);

    // Assess
    expect(totals).toEqual({ out: 4, low: 2, stores: 2 });
  });
});
