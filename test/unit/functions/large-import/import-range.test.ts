import { describe, expect, it } from 'vitest';
import {
  type ImportRangeOptions,
  importInventoryRange,
  RangeSourceChangedError,
  RangeTimeLimitError,
} from '../../../../functions/large-import/import-range.ts';
import type { LargeImportJob, PlannedRange } from '../../../../functions/large-import/job.ts';
import { MAX_RECORD_CHARACTERS } from '../../../../shared/inventory/csv-records.ts';
import { decodeFingerprints, FingerprintList, keyFingerprint } from '../../../../shared/inventory/key-set.ts';
import { DEFAULT_FILE_LIMITS } from '../../../../shared/inventory/limits.ts';
import { plan } from '../../shared/inventory/helpers.ts';
import { BUCKET, jobFor, MemoryCloud, TABLE } from './memory-cloud.ts';

const KEY = 'inventory/big.csv';
const PARTS = 'reports/inventory/.parts/import-test/';

const config: ImportRangeOptions['config'] = {
  uploadsBucket: BUCKET,
  tableName: TABLE,
  writeConcurrency: 2,
  writeMaxAttempts: 3,
  maxReportedErrors: 100,
  timeSafetyMarginMs: 1000,
  fileLimits: DEFAULT_FILE_LIMITS,
};

/** A stored file, its job, and its ranges as the plan cuts them. */
function stored(content: string, rangeBytes: number) {
  const cloud = new MemoryCloud();
  cloud.put(KEY, content);
  const { ranges, recordDelimiter } = plan(content, rangeBytes);
  const job = jobFor(cloud, KEY, recordDelimiter ? { recordDelimiter } : {});
  return { cloud, job, ranges };
}

function importRange(
  cloud: MemoryCloud,
  job: LargeImportJob,
  range: PlannedRange | undefined,
  options: Partial<ImportRangeOptions> = {},
) {
  if (!range) throw new Error('no such range');
  return importInventoryRange({
    s3: cloud.s3,
    dynamoDb: cloud.dynamoDb,
    config,
    job,
    range,
    mode: 'import',
    remainingTimeMs: () => 600_000,
    writerOverrides: { sleep: async () => {} },
    ...options,
  });
}

const fingerprintsIn = (cloud: MemoryCloud, key: string) => [
  ...decodeFingerprints(cloud.objects.get(key)?.body ?? Buffer.alloc(0)),
];

describe('importInventoryRange', () => {
  it('imports a range’s rows and keeps its counts, row errors (with file lines) and keys in parts', async () => {
    // Prepare
    const content = 'store,item,count\ns1,a,1\ns1,b,2\ns1,a,3\ns1,"multi\nline",x\ns2,c,4\n';
    const { cloud, job, ranges } = stored(content, 1000);

    // Act
    const outcome = await importRange(cloud, job, ranges[0]);

    // Assess
    expect(outcome).toEqual({ index: 0, status: 'imported' });
    expect(Object.fromEntries(cloud.table)).toEqual({ 's1/a': 3, 's1/b': 2, 's2/c': 4 });
    expect(cloud.json(`${PARTS}range-00000.json`)).toEqual({
      index: 0,
      status: 'imported',
      rowsRead: 5,
      rowsImported: 4,
      rowsRejected: 1,
      duplicates: 1,
      errors: [{ line: 5, reason: 'count must be a whole number ≥ 0 (got "x")' }],
      errorsTotal: 1,
      errorsTruncated: false,
      lastLine: 7,
      keys: 3,
    });
    expect(fingerprintsIn(cloud, `${PARTS}range-00000.keys`)).toEqual([
      keyFingerprint('s1', 'a'),
      keyFingerprint('s1', 'b'),
      keyFingerprint('s2', 'c'),
    ]);
  });

  it('takes the direct import’s part and keys as range 0’s, reading and writing no row', async () => {
    // Prepare: the direct import wrote up to line 3, and left its part and keys.
    const content = 'store,item,count\ns1,a,1\ns1,b,2\ns1,c,3\n';
    const { cloud, job } = stored(content, 1000);
    const direct = { index: 0, start: 17, end: 31, firstLine: 2, direct: { afterLine: 3 } };
    const part = {
      index: 0,
      status: 'imported',
      rowsRead: 2,
      rowsImported: 2,
      rowsRejected: 0,
      duplicates: 0,
      errors: [],
      errorsTotal: 0,
      lastLine: 3,
      keys: 2,
    };
    const keys = new FingerprintList();
    keys.push(...keyFingerprint('s1', 'a'));
    keys.push(...keyFingerprint('s1', 'b'));
    cloud.put(`${PARTS}direct-3.json`, JSON.stringify(part));
    cloud.put(`${PARTS}direct-3.keys`, keys.toBytes());

    // Act
    const outcome = await importRange(cloud, job, direct);

    // Assess
    expect(outcome).toEqual({ index: 0, status: 'imported' });
    expect(cloud.table.size).toBe(0);
    expect(cloud.json(`${PARTS}range-00000.json`)).toEqual(part);
    expect(fingerprintsIn(cloud, `${PARTS}range-00000.keys`)).toEqual([
      keyFingerprint('s1', 'a'),
      keyFingerprint('s1', 'b'),
    ]);
  });

  it('imports range 0 itself when the direct import left no part for it', async () => {
    // Prepare
    const content = 'store,item,count\ns1,a,1\ns1,b,2\ns1,c,3\n';
    const { cloud, job } = stored(content, 1000);

    // Act
    const outcome = await importRange(cloud, job, {
      index: 0,
      start: 17,
      end: 31,
      firstLine: 2,
      direct: { afterLine: 3 },
    });

    // Assess
    expect(outcome).toEqual({ index: 0, status: 'imported' });
    expect(Object.fromEntries(cloud.table)).toEqual({ 's1/a': 1, 's1/b': 2 });
    expect(cloud.json(`${PARTS}range-00000.json`)).toMatchObject({ rowsRead: 2, lastLine: 3 });
  });

  it('reads only its own bytes, and numbers their lines as the file does', async () => {
    // Prepare
    const content = `store,item,count\n${Array.from({ length: 9 }, (_, i) => `s1,i${i},${i}`).join('\n')}\ns1,bad,-1\n`;
    const { cloud, job, ranges } = stored(content, 30);

    // Act
    const last = await importRange(cloud, job, ranges.at(-1));

    // Assess
    expect(ranges.length).toBeGreaterThan(2);
    expect(last.status).toBe('imported');
    const part = cloud.json(`${PARTS}range-${String(ranges.length - 1).padStart(5, '0')}.json`);
    expect(part).toMatchObject({ errors: [{ line: 11, reason: expect.stringContaining('whole number') }] });
    expect(cloud.table.has('s1/i0')).toBe(false);
  });

  it('repairs only the listed keys, and leaves no part', async () => {
    // Prepare
    const { cloud, job, ranges } = stored('store,item,count\ns1,a,1\ns1,b,2\ns1,c,3\n', 1000);
    const repair = new FingerprintList();
    repair.push(...keyFingerprint('s1', 'b'));
    cloud.put(`${PARTS}range-00000.repair`, repair.toBytes());

    // Act
    const outcome = await importRange(cloud, job, ranges[0], { mode: 'repair' });

    // Assess
    expect(outcome).toEqual({ index: 0, status: 'imported' });
    expect(Object.fromEntries(cloud.table)).toEqual({ 's1/b': 2 });
    expect(cloud.objects.has(`${PARTS}range-00000.json`)).toBe(false);
  });

  it('records a structural fault inside the range as a rejected part', async () => {
    // Prepare: a record longer than the reader takes, which the plan does not measure.
    const huge = 'x'.repeat(MAX_RECORD_CHARACTERS);
    const { cloud, job, ranges } = stored(`store,item,count\ns1,a,1\ns1,"${huge}",2\n`, 1000);

    // Act
    const outcome = await importRange(cloud, job, ranges[0]);

    // Assess
    expect(outcome).toEqual({ index: 0, status: 'rejected' });
    expect(cloud.json(`${PARTS}range-00000.json`)).toMatchObject({
      status: 'rejected',
      reason: 'malformed_csv',
      detail: expect.stringContaining('line 3'),
      lastLine: 1,
    });
  });

  it('fails when the object changed after the plan', async () => {
    // Prepare
    const { cloud, job, ranges } = stored('store,item,count\ns1,a,1\n', 1000);
    cloud.put(KEY, 'store,item,count\ns1,a,2\n');

    // Act
    const importing = importRange(cloud, job, ranges[0]);

    // Assess
    await expect(importing).rejects.toBeInstanceOf(RangeSourceChangedError);
    expect(cloud.table.size).toBe(0);
  });

  it('fails, to be retried, when time runs short', async () => {
    // Prepare
    const content = `store,item,count\n${Array.from({ length: 600 }, (_, i) => `s1,i${i},1`).join('\n')}\n`;
    const { cloud, job, ranges } = stored(content, 100_000);

    // Act
    const importing = importRange(cloud, job, ranges[0], { remainingTimeMs: () => 999 });

    // Assess
    await expect(importing).rejects.toBeInstanceOf(RangeTimeLimitError);
    expect(cloud.objects.has(`${PARTS}range-00000.json`)).toBe(false);
  });

  it('reads a range with the file’s record delimiter, even when the range starts with a stray CR', async () => {
    // Prepare: an LF file whose second data row holds a lone CR in an unquoted cell.
    const content = 'store,item,count\ns1,a,1\ns1,b\rc,2\ns1,d,3\n';
    const { cloud, job, ranges } = stored(content, 1);

    // Act
    for (const range of ranges) await importRange(cloud, job, range);

    // Assess
    expect(job.recordDelimiter).toBe('\n');
    expect(Object.fromEntries(cloud.table)).toEqual({ 's1/a': 1, 's1/b\rc': 2, 's1/d': 3 });
  });
});
