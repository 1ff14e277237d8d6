import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type PlanOptions, planLargeImport } from '../../../../functions/large-import/plan.ts';
import { DEFAULT_FILE_LIMITS, type InventoryFileLimits } from '../../../../shared/inventory/limits.ts';
import { gzipStream, repeated } from '../../shared/inventory/helpers.ts';
import { BUCKET, MemoryCloud } from './memory-cloud.ts';

const KEY = 'inventory/big.csv';

function planFor(
  cloud: MemoryCloud,
  input: Partial<PlanOptions['input']> = {},
  rangeBytes = 20,
  fileLimits: InventoryFileLimits = DEFAULT_FILE_LIMITS,
) {
  return planLargeImport({
    s3: cloud.s3,
    config: { rangeBytes, maxRanges: 1000, uploadsBucket: BUCKET, fileLimits },
    input: { bucket: BUCKET, key: KEY, ...input },
    executionName: 'import-abc',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:large-import:import-abc',
    now: () => new Date('2025-04-01T09:00:00.000Z'),
  });
}

const rows = (count: number): string =>
  Array.from({ length: count }, (_, i) => `s${i % 2},item-${i},${i}\r\n`).join('');

describe('planLargeImport', () => {
  it('cuts the file into row-aligned ranges after the header, pinned to the version it read', async () => {
    // Prepare
    const cloud = new MemoryCloud();
    const content = `\uFEFFStore , item,count,note\r\n${rows(12)}`;
    const etag = cloud.put(KEY, content);

    // Act
    const plan = await planFor(cloud);

    // Assess
    const bytes = Buffer.from(content);
    const headerEnd = Buffer.from('\uFEFFStore , item,count,note\r\n').length;
    expect(plan.rejected).toBeUndefined();
    expect(plan.job).toMatchObject({
      source: { bucket: BUCKET, key: KEY, etag },
      data: { bucket: BUCKET, key: KEY, etag },
      header: ['Store ', ' item', 'count', 'note'],
      recordDelimiter: '\r\n',
      updatedAt: '2025-04-01T08:00:00.000Z',
      partsPrefix: 'reports/inventory/.parts/import-abc/',
      startedAt: '2025-04-01T09:00:00.000Z',
    });
    expect(plan.ranges[0]).toMatchObject({ index: 0, start: headerEnd, firstLine: 2 });
    expect(plan.ranges.at(-1)?.end).toBe(bytes.length);
    for (const [i, range] of plan.ranges.entries()) {
      expect(bytes.subarray(range.end - 2, range.end).toString()).toBe('\r\n');
      expect(range.end - range.start).toBeGreaterThanOrEqual(i < plan.ranges.length - 1 ? 20 : 1);
      if (i > 0) expect(range.start).toBe(plan.ranges[i - 1]?.end);
    }
  });

  it('joins ranges past the maximum, and takes the range size the input asks for', async () => {
    // Prepare
    const cloud = new MemoryCloud();
    cloud.put(KEY, `store,item,count\n${rows(40)}`);

    // Act
    const joined = await planLargeImport({
      s3: cloud.s3,
      config: { rangeBytes: 1, maxRanges: 4, uploadsBucket: BUCKET, fileLimits: DEFAULT_FILE_LIMITS },
      input: { bucket: BUCKET, key: KEY },
      executionName: 'import-abc',
      executionArn: 'arn:exec',
    });
    const asked = await planFor(cloud, { rangeBytes: 10_000 });

    // Assess
    expect(joined.ranges).toHaveLength(4);
    expect(asked.ranges).toHaveLength(1);
  });

  it('after a direct import that ran out of time, plans the rest from the next line, with what it wrote as range 0', async () => {
    // Prepare: 12 rows on lines 2–13; the direct import wrote up to line 6.
    const cloud = new MemoryCloud();
    const head = 'store,item,count\r\n';
    cloud.put(KEY, `${head}${rows(12)}`);
    const directPart = (lastLine: number) =>
      JSON.stringify({
        index: 0,
        status: 'imported',
        rowsRead: lastLine - 1,
        rowsImported: lastLine - 1,
        rowsRejected: 0,
        duplicates: 0,
        errors: [],
        errorsTotal: 0,
        lastLine,
        keys: lastLine - 1,
      });
    cloud.put('reports/inventory/.parts/import-abc/direct-6.json', directPart(6));
    cloud.put('reports/inventory/.parts/import-abc/direct-40.json', directPart(40));

    // Act
    const resumed = await planFor(cloud, { resume: { afterLine: 6 } });
    const unknownLine = await planFor(cloud, { resume: { afterLine: 40 } });
    const noPart = await planFor(cloud, { resume: { afterLine: 8 } });

    // Assess
    const directEnd = Buffer.byteLength(head + rows(5));
    const [direct, ...rest] = resumed.ranges;
    expect(direct).toEqual({
      index: 0,
      start: Buffer.byteLength(head),
      end: directEnd,
      firstLine: 2,
      direct: { afterLine: 6 },
    });
    expect(rest[0]).toMatchObject({ index: 1, start: directEnd, firstLine: 7 });
    expect(rest.map((range) => range.index)).toEqual(rest.map((_, i) => i + 1));
    expect(resumed.ranges.at(-1)?.end).toBe(Buffer.byteLength(head + rows(12)));
    // No record starts on line 41: the whole file is planned, nothing taken as written.
    expect(unknownLine.ranges.some((range) => range.direct)).toBe(false);
    expect(unknownLine.ranges[0]).toMatchObject({ index: 0, firstLine: 2 });
    // No direct part (a resumed input run again under another name): the whole file too.
    expect(noPart.ranges.some((range) => range.direct)).toBe(false);
    expect(noPart.ranges[0]).toMatchObject({ index: 0, firstLine: 2 });
  });

  it('gunzips a .csv.gz once into a staging copy that the ranges read', async () => {
    // Prepare
    const cloud = new MemoryCloud();
    const content = `store,item,count\n${rows(10)}`;
    cloud.put('inventory/big.csv.gz', gzipSync(content));

    // Act
    const plan = await planFor(cloud, { key: 'inventory/big.csv.gz' });

    // Assess
    const staged = 'reports/inventory/.parts/import-abc/source.csv';
    expect(cloud.text(staged)).toBe(content);
    expect(plan.job.data).toEqual({ bucket: BUCKET, key: staged, etag: cloud.objects.get(staged)?.etag });
    expect(plan.job.source.key).toBe('inventory/big.csv.gz');
    expect(plan.ranges.at(-1)?.end).toBe(Buffer.byteLength(content));
  });

  it.each([
    ['an empty file', '', 'empty_file'],
    ['blank lines only', '\n ,\n\n', 'empty_file'],
    ['a header without count', 'store,item\ns1,a\n', 'missing_columns'],
    ['invalid UTF-8', Buffer.from('store,item,count\ns1,caf\xe9,1\n', 'latin1'), 'invalid_utf8'],
    ['a quote never closed', 'store,item,count\ns1,a,1\ns1,"b,2\n', 'malformed_csv'],
    ['a record of 20,000 fields', `store,item,count\ns1,a,1${','.repeat(20_000)}\n`, 'too_many_columns'],
  ])('rejects %s before anything is written', async (_name, content, reason) => {
    // Prepare
    const cloud = new MemoryCloud();
    cloud.put(KEY, content);

    // Act
    const plan = await planFor(cloud);

    // Assess
    expect(plan.rejected).toMatchObject({ reason, detail: expect.any(String) });
    expect(plan.ranges).toEqual([]);
  });

  it('names the line an unclosed quote opened on', async () => {
    // Prepare
    const cloud = new MemoryCloud();
    cloud.put(KEY, 'store,item,count\ns1,a,1\ns1,"b\nc,2\n');

    // Act
    const plan = await planFor(cloud);

    // Assess
    expect(plan.rejected?.detail).toContain('opened on line 3');
  });

  it('leaves no staging copy behind when it rejects a .csv.gz', async () => {
    // Prepare
    const cloud = new MemoryCloud();
    cloud.put('inventory/big.csv.gz', gzipSync('store,item\ns1,a\n'));

    // Act
    const plan = await planFor(cloud, { key: 'inventory/big.csv.gz' });

    // Assess
    expect(plan.rejected?.reason).toBe('missing_columns');
    expect([...cloud.objects.keys()]).toEqual(['inventory/big.csv.gz']);
  });

  it('rejects a header of ten million commas as too long', async () => {
    // Prepare
    const cloud = new MemoryCloud();
    cloud.put(KEY, `store,item,count${','.repeat(10_000_000)}\ns1,a,1\n`);

    // Act
    const plan = await planFor(cloud);

    // Assess
    expect(plan.rejected).toEqual({
      reason: 'header_too_long',
      detail: expect.stringContaining('65536 bytes'),
    });
    expect(plan.ranges).toEqual([]);
  });

  it('judges the header’s width as soon as it ends, before reading the rest of the file', async () => {
    // Prepare: a header of 101 columns, then bytes that are not UTF-8.
    const cloud = new MemoryCloud();
    const header = ['store', 'item', 'count', ...Array.from({ length: 98 }, (_, i) => `c${i}`)].join(',');
    cloud.put(KEY, Buffer.concat([Buffer.from(`${header}\n`), Buffer.from('s1,caf\xe9,1\n', 'latin1')]));

    // Act
    const plan = await planFor(cloud);
    const lowered = await planFor(cloud, {}, 20, { ...DEFAULT_FILE_LIMITS, maxColumns: 3 });

    // Assess
    expect(plan.rejected).toMatchObject({
      reason: 'too_many_columns',
      detail: expect.stringContaining('101'),
    });
    expect(lowered.rejected?.detail).toContain('at most 3');
  });

  it('rejects a header that would not fit in the workflow’s state once escaped', async () => {
    // Prepare: 60 KB of control characters, each six bytes in JSON.
    const cloud = new MemoryCloud();
    cloud.put(KEY, `store,item,count,${'\u0001'.repeat(60_000)}\ns1,a,1,x\n`);

    // Act
    const plan = await planFor(cloud);

    // Assess
    expect(plan.rejected).toMatchObject({
      reason: 'header_too_long',
      detail: expect.stringContaining('escaped'),
    });
  });

  it('rejects a gzip bomb before staging it, leaving no staging copy behind', async () => {
    // Prepare: 32 MiB of one row repeated, about 32 KB of gzip.
    const cloud = new MemoryCloud();
    const key = 'inventory/bomb.csv.gz';
    cloud.put(key, await gzipStream(repeated('store,item,count\n', 's1,a,1\n', 32 * 1024 * 1024)));

    // Act
    const plan = await planFor(cloud, { key });

    // Assess
    expect(plan.rejected).toMatchObject({ reason: 'gzip_ratio_too_high' });
    expect([...cloud.objects.keys()]).toEqual([key]);
  });

  it('rejects a missing object, and one replaced since the hand-off', async () => {
    // Prepare
    const cloud = new MemoryCloud();

    // Act
    const missing = await planFor(cloud);
    cloud.put(KEY, 'store,item,count\n');
    const replaced = await planFor(cloud, { etag: 'an-older-etag' });

    // Assess
    expect(missing.rejected?.reason).toBe('source_missing');
    expect(replaced.rejected?.reason).toBe('superseded');
  });
});
