import type { S3Client } from '@aws-sdk/client-s3';
import { FingerprintList, KeySet } from '#shared/inventory/key-set.ts';
import { putFingerprints } from '#shared/inventory/large-import-input.ts';
import type { ByteRange } from '#shared/inventory/ranges.ts';
import { type LargeImportJob, type RangeOutcome, rangeKeysKey, rangeRepairKey } from './job.ts';
import { getFingerprints } from './parts.ts';

export interface ReconcileResult {
  /** Rows whose store+item appeared in an earlier range (the ranges count only their own). */
  crossRangeDuplicates: number;
  /** Ranges to write again, one after all others, so the file's last row per key wins. */
  repairs: ByteRange[];
}

/**
 * Ranges are imported in parallel, so when the same store+item appears in two ranges the
 * table may hold either row. The direct path's rule is "the last row in the file wins": this
 * step finds every key written by more than one range (from the key fingerprints each range
 * saved), and lists, per range, the keys whose LAST occurrence it holds. The repair Map then
 * writes just those rows again. Each key is repaired by exactly one range, so the repairs
 * can run in parallel too.
 *
 * Memory: one slot of 12 bytes per distinct key, at most half full — about 25 bytes per
 * distinct key in the file (100 million keys in ~2.5 GB).
 */
export async function reconcileRanges(options: {
  s3: S3Client;
  bucket: string;
  job: LargeImportJob;
  ranges: readonly ByteRange[];
  outcomes: readonly RangeOutcome[];
}): Promise<ReconcileResult> {
  const { s3, bucket, job } = options;
  const done = new Set(options.outcomes.filter((outcome) => outcome.status !== 'failed').map((o) => o.index));
  const keys = new KeySet();
  let crossRangeDuplicates = 0;
  const ordered = [...options.ranges].sort((a, b) => a.index - b.index);
  for (const range of ordered) {
    if (!done.has(range.index)) continue;
    for (const [high, low] of await getFingerprints(s3, bucket, rangeKeysKey(job, range.index))) {
      if (keys.add(high, low, range.index) === 'earlier') crossRangeDuplicates += 1;
    }
  }
  const byRange = new Map<number, FingerprintList>();
  for (const { high, low, lastRange } of keys.sharedKeys()) {
    let list = byRange.get(lastRange);
    if (!list) {
      list = new FingerprintList();
      byRange.set(lastRange, list);
    }
    list.push(high, low);
  }
  const repairs: ByteRange[] = [];
  for (const range of ordered) {
    const list = byRange.get(range.index);
    if (!list) continue;
    await putFingerprints(s3, bucket, rangeRepairKey(job, range.index), list);
    repairs.push(range);
  }
  return { crossRangeDuplicates, repairs };
}
