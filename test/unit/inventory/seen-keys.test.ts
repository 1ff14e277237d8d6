import { describe, expect, it } from 'vitest';
import { SeenKeys } from '../../../functions/import-inventory/seen-keys.ts';

describe('SeenKeys', () => {
  it('reports a key the second time it is added, across table growth', () => {
    // Prepare
    const seen = new SeenKeys(16);
    const keys = Array.from({ length: 5000 }, (_, i) => [`store-${i % 7}`, `item-${i}`] as const);

    // Act
    const first = keys.map(([store, item]) => seen.addAndCheck(store, item));
    const second = keys.map(([store, item]) => seen.addAndCheck(store, item));

    // Assess
    expect(first.every((repeated) => !repeated)).toBe(true);
    expect(second.every((repeated) => repeated)).toBe(true);
    expect(seen.size).toBe(5000);
  });

  it('keeps ("ab", "c") and ("a", "bc") apart', () => {
    // Prepare
    const seen = new SeenKeys();
    seen.addAndCheck('ab', 'c');

    // Act
    const repeated = seen.addAndCheck('a', 'bc');

    // Assess
    expect(repeated).toBe(false);
  });
});
