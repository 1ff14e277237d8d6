import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOutOfStock, stockStatus } from '../../../../shared/stock/status.ts';

describe('isOutOfStock', () => {
  it.each([
    [0, true],
    [-1, true],
    [1, false],
    [0.5, false],
  ])('says %s is out of stock: %s', (count, expected) => {
    // Act
    const out = isOutOfStock(count);

    // Assess
    expect(out).toBe(expected);
  });
});

describe('stockStatus', () => {
  it.each([
    [0, 5, 'out'],
    [-3, 5, 'out'],
    [1, 5, 'low'],
    [5, 5, 'low'],
    [6, 5, 'in'],
    [1, 0, 'in'],
  ])('rates a count of %s with a threshold of %s as %s', (count, threshold, expected) => {
    // Act
    const status = stockStatus(count, threshold);

    // Assess
    expect(status).toBe(expected);
  });

  it('is "out" exactly when isOutOfStock says so, whatever the threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10, max: 1000 }),
        fc.integer({ min: 0, max: 100 }),
        (count, threshold) => {
          // Act
          const status = stockStatus(count, threshold);

          // Assess
          expect(status === 'out').toBe(isOutOfStock(count));
        },
      ),
    );
  });
});
