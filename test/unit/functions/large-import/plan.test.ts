import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type PlanOptions, planLargeImport } from '../../../../functions/large-import/plan.ts';
import { BUCKET, MemoryCloud } from './memory-cloud.ts';

const KEY = 'inventory/big.csv';

function planFor(cloud: MemoryCloud, input: Partial<PlanOptions['input']> = {}, rangeBytes = 20) {
  return planLargeImport({
    s3: cloud.s3,
    config: { rangeBytes, maxRanges: 1000, uploadsBucket: BUCKET },
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
      config: { rangeBytes: 1, maxRanges: 4, uploadsBucket: BUCKET },
      input: { bucket: BUCKET, key: KEY },
      executionName: 'import-abc',
      executionArn: 'arn:exec',
    });
    const asked = await planFor(cloud, { rangeBytes: 10_000 });

    // Assess
    expect(joined.ranges).toHaveLength(4);
    expect(asked.ranges).toHaveLength(1);
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
