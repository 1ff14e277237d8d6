import { describe, expect, it } from 'vitest';
import { KeySet, keyFingerprint } from '../../../../shared/inventory/key-set.ts';

/** How the direct path counts a file's duplicates: true when the key had been seen before. */
const addAndCheck = (seen: KeySet, store: string, item: string): boolean =>
  seen.add(...keyFingerprint(store, item)) !== 'new';

describe('KeySet counting duplicates', () => {
  it('reports a key the second time it is added, across table growth', () => {
    // Prepare
    const seen = new KeySet(16);
    const keys = Array.from({ length: 5000 }, (_, i) => [`store-${i % 7}`, `item-${i}`] as const);

    // Act
    const first = keys.map(([store, item]) => addAndCheck(seen, store, item));
    const second = keys.map(([store, item]) => addAndCheck(seen, store, item));

    // Assess
    expect(first.every((repeated) => !repeated)).toBe(true);
    expect(second.every((repeated) => repeated)).toBe(true);
    expect(seen.size).toBe(5000);
  });

  it('keeps ("ab", "c") and ("a", "bc") apart', () => {
    // Prepare
    const seen = new KeySet();
    addAndCheck(seen, 'ab', 'c');

    // Act
    const repeated = addAndCheck(seen, 'a', 'bc');

    // Assess
    expect(repeated).toBe(false);
  });

  it('keeps no range bookkeeping while every key is in range 0', () => {
    // Prepare
    const seen = new KeySet(16);
    const [high, low] = keyFingerprint('s1', 'a');

    // Act
    const outcomes = [seen.add(high, low), seen.add(high, low), seen.add(high, low, 0)];

    // Assess
    expect(outcomes).toEqual(['new', 'same', 'same']);
    expect([...seen.sharedKeys()]).toEqual([]);
  });
});
