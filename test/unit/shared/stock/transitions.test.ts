import { describe, expect, it } from 'vitest';
import { classifyStockTransition } from '../../../../shared/stock/transitions.ts';

describe('classifyStockTransition', () => {
  it.each([
    ['a new item at 0', undefined, 0, 'out_of_stock'],
    ['a new item in stock', undefined, 4, undefined],
    ['a drop to 0', 3, 0, 'out_of_stock'],
    ['0 → 0 (a re-import)', 0, 0, undefined],
    ['a rise from 0', 0, 7, 'back_in_stock'],
    ['5 → 3', 5, 3, undefined],
    ['3 → 3 (another attribute changed)', 3, 3, undefined],
  ])('%s', (_name, before, after, expected) => {
    // Act
    const result = classifyStockTransition(before === undefined ? undefined : { count: before }, {
      count: after,
    });

    // Assess
    expect(result).toBe(expected);
  });

  it('says nothing about a removal', () => {
    // Act
    const result = classifyStockTransition({ count: 0 }, undefined);

    // Assess
    expect(result).toBeUndefined();
  });
});
