import { describe, expect, it } from 'vitest';
import { reconcileRanges } from '../../../../functions/large-import/reconcile.ts';
import { decodeFingerprints, FingerprintList, keyFingerprint } from '../../../../shared/inventory/key-set.ts';
import { BUCKET, jobFor, MemoryCloud } from './memory-cloud.ts';

const PARTS = 'reports/inventory/.parts/import-test/';
const ranges = [0, 1, 2, 3].map((index) => ({
  index,
  start: index * 10,
  end: index * 10 + 10,
  firstLine: index + 2,
}));

/** Saves the keys a range wrote, as the range import does. */
function wrote(cloud: MemoryCloud, index: number, items: string[]): void {
  const list = new FingerprintList();
  for (const item of items) list.push(...keyFingerprint('s1', item));
  cloud.put(`${PARTS}range-0000${index}.keys`, list.toBytes());
}

const repairList = (cloud: MemoryCloud, index: number) => [
  ...decodeFingerprints(cloud.objects.get(`${PARTS}range-0000${index}.repair`)?.body ?? Buffer.alloc(0)),
];

describe('reconcileRanges', () => {
  it('lists, per range, the keys whose last occurrence it holds, and counts cross-range duplicates', async () => {
    // Prepare: "a" in ranges 0, 1 and 3; "b" in 0 and 1; "c" only in 1; range 2 failed.
    const cloud = new MemoryCloud();
    wrote(cloud, 0, ['a', 'b']);
    wrote(cloud, 1, ['b', 'a', 'c']);
    wrote(cloud, 2, ['b']);
    wrote(cloud, 3, ['a']);

    // Act
    const result = await reconcileRanges({
      s3: cloud.s3,
      bucket: BUCKET,
      job: jobFor(cloud, 'inventory/big.csv'),
      ranges: [...ranges].reverse(),
      outcomes: [
        { index: 0, status: 'imported' },
        { index: 1, status: 'imported' },
        { index: 2, status: 'failed', error: 'States.Timeout' },
        { index: 3, status: 'imported' },
      ],
    });

    // Assess
    expect(result.crossRangeDuplicates).toBe(3);
    expect(result.repairs.map((range) => range.index)).toEqual([1, 3]);
    expect(repairList(cloud, 1)).toEqual([keyFingerprint('s1', 'b')]);
    expect(repairList(cloud, 3)).toEqual([keyFingerprint('s1', 'a')]);
    expect(cloud.objects.has(`${PARTS}range-00000.repair`)).toBe(false);
  });

  it('repairs nothing when no key is in two ranges', async () => {
    // Prepare
    const cloud = new MemoryCloud();
    wrote(cloud, 0, ['a']);
    wrote(cloud, 1, ['b']);

    // Act
    const result = await reconcileRanges({
      s3: cloud.s3,
      bucket: BUCKET,
      job: jobFor(cloud, 'inventory/big.csv'),
      ranges: ranges.slice(0, 2),
      outcomes: [
        { index: 0, status: 'imported' },
        { index: 1, status: 'rejected' },
      ],
    });

    // Assess
    expect(result).toEqual({ crossRangeDuplicates: 0, repairs: [] });
  });
});
