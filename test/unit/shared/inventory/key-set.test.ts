import { describe, expect, it } from 'vitest';
import {
  decodeFingerprints,
  FingerprintList,
  KeySet,
  keyFingerprint,
} from '../../../../shared/inventory/key-set.ts';

describe('KeySet', () => {
  it('tells new keys, repeats in the same range and keys seen in an earlier range', () => {
    // Prepare
    const keys = new KeySet(16);
    const [h1, l1] = keyFingerprint('s1', 'a');
    const [h2, l2] = keyFingerprint('s1', 'b');

    // Act
    const outcomes = [keys.add(h1, l1, 0), keys.add(h1, l1, 0), keys.add(h2, l2, 0), keys.add(h1, l1, 3)];

    // Assess
    expect(outcomes).toEqual(['new', 'same', 'new', 'earlier']);
    expect([...keys.sharedKeys()]).toEqual([{ high: h1, low: l1, lastRange: 3 }]);
  });

  it('keeps every key and its last range while growing', () => {
    // Prepare
    const keys = new KeySet(16);

    // Act
    for (let i = 0; i < 5000; i += 1) {
      const [high, low] = keyFingerprint('s', `item-${i}`);
      keys.add(high, low, 0);
      if (i % 10 === 0) keys.add(high, low, 1);
    }

    // Assess
    expect(keys.size).toBe(5000);
    expect([...keys.sharedKeys()]).toHaveLength(500);
    expect([...keys.sharedKeys()].every((key) => key.lastRange === 1)).toBe(true);
  });

  it('fingerprints keep ("ab","c") apart from ("a","bc") and round-trip through bytes', () => {
    // Prepare
    const list = new FingerprintList();
    const a = keyFingerprint('ab', 'c');
    const b = keyFingerprint('a', 'bc');
    list.push(...a);
    list.push(...b);

    // Act
    const decoded = [...decodeFingerprints(list.toBytes())];

    // Assess
    expect(a).not.toEqual(b);
    expect(decoded).toEqual([a, b]);
  });
});

describe('KeySet shared by ranges', () => {
  it('starts keeping ranges only when a range other than 0 comes, whatever the set has grown to', () => {
    // Prepare: range 0 alone first (the direct path's use), past several growths.
    const keys = new KeySet(16);
    for (let i = 0; i < 3000; i += 1) keys.add(...keyFingerprint('s', `item-${i}`));

    // Act
    const outcomes = [0, 1, 2].map((i) => keys.add(...keyFingerprint('s', `item-${i}`), 2));
    for (let i = 3000; i < 6000; i += 1) keys.add(...keyFingerprint('s', `item-${i}`), 3);

    // Assess
    expect(outcomes).toEqual(['earlier', 'earlier', 'earlier']);
    expect(keys.size).toBe(6000);
    expect([...keys.sharedKeys()].map((key) => key.lastRange).sort()).toEqual([2, 2, 2]);
  });
});
