import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  type CreateThumbnails,
  emptyCounts,
  listRebuildPage,
  type RebuildState,
  rebuildBatch,
  rebuildRequestSchema,
  summariseRebuild,
  tally,
} from '../../../../functions/rebuild-thumbnails/rebuild.ts';
import type { RecordOutcome } from '../../../../shared/images/report.ts';

const BUCKET = 'stockroom-test-uploads';
const PARTS = 'reports/images/rebuilds/.parts/rebuild-1/';
const clock = { remainingTimeMs: () => 60_000 };

const state = (overrides: Partial<RebuildState> = {}): RebuildState => ({
  request: { prefix: 'images/shoes/' },
  executionName: 'rebuild-1',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:rebuild:rebuild-1',
  startedAt: '2025-01-02T03:04:05.000Z',
  ...overrides,
});

/** An S3 whose uploads bucket holds JSON objects in memory, listing one page at a time. */
function fakeS3(listing: { keys: string[]; nextToken?: string } = { keys: [] }) {
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const objects = new Map<string, string>();
  const listed: { Prefix?: string; MaxKeys?: number; ContinuationToken?: string }[] = [];
  const deleted: string[] = [];
  const mock = mockClient(client);
  mock.on(PutObjectCommand).callsFake(async (input) => {
    objects.set(input.Key ?? '', String(input.Body));
    return {};
  });
  mock.on(GetObjectCommand).callsFake(async (input) => {
    const text = objects.get(input.Key ?? '') ?? '';
    return { Body: { transformToString: async () => text } as never };
  });
  mock.on(ListObjectsV2Command).callsFake(async (input) => {
    listed.push({ Prefix: input.Prefix, MaxKeys: input.MaxKeys, ContinuationToken: input.ContinuationToken });
    return {
      Contents: listing.keys.map((Key) => ({ Key })),
      IsTruncated: listing.nextToken !== undefined,
      ...(listing.nextToken && { NextContinuationToken: listing.nextToken }),
    };
  });
  mock.on(DeleteObjectsCommand).callsFake(async (input) => {
    for (const object of input.Delete?.Objects ?? []) deleted.push(object.Key ?? '');
    return {};
  });
  return { client, objects, listed, deleted };
}

describe('rebuildRequestSchema', () => {
  it('defaults to everything under images/ at the configured widths', () => {
    expect(rebuildRequestSchema.parse({})).toEqual({ prefix: 'images/' });
  });

  it.each([
    ['a prefix outside images/', { prefix: 'reports/' }],
    ['a width over the thumbnail limit', { sizes: [4097] }],
    ['no widths at all', { sizes: [] }],
  ])('refuses %s', (_name, input) => {
    expect(rebuildRequestSchema.safeParse(input).success).toBe(false);
  });
});

describe('tally', () => {
  it('adds counts, and counts a batch that failed whole as failed images', () => {
    // Prepare
    const totals = { ...emptyCounts(), processed: 1, failedKeys: ['images/a.jpg'], failed: 1 };

    // Act
    const sum = tally(totals, [
      { processed: 2, rejected: 1, skipped: 0, failed: 1, failedKeys: ['images/b.jpg'] },
      { failedBatch: { page: 2, offset: 50, count: 50 }, error: 'Lambda timed out' },
    ]);

    // Assess
    expect(sum).toEqual({
      processed: 3,
      rejected: 1,
      skipped: 0,
      failed: 52,
      failedKeys: ['images/a.jpg', 'images/b.jpg', '(batch 2/50: Lambda timed out)'],
    });
    expect(totals.failedKeys).toEqual(['images/a.jpg']);
  });

  it('keeps at most 50 failed keys', () => {
    // Prepare
    const failedKeys = Array.from({ length: 60 }, (_, i) => `images/${i}.jpg`);

    // Act
    const sum = tally(emptyCounts(), [{ processed: 0, rejected: 0, skipped: 0, failed: 60, failedKeys }]);

    // Assess
    expect([sum.failed, sum.failedKeys.length]).toEqual([60, 50]);
  });
});

describe('listRebuildPage', () => {
  it('keeps the page’s keys in a part, without folder markers, and cuts it into batches', async () => {
    // Prepare
    const keys = ['images/shoes/', 'images/shoes/a.jpg', 'images/shoes/b.jpg', 'images/shoes/c.jpg'];
    const s3 = fakeS3({ keys, nextToken: 'page-2' });

    // Act
    const listing = await listRebuildPage({
      s3: s3.client,
      bucket: BUCKET,
      state: state(),
      pageSize: 4,
      batchSize: 2,
    });

    // Assess
    expect(s3.listed).toEqual([{ Prefix: 'images/shoes/', MaxKeys: 4, ContinuationToken: undefined }]);
    expect(JSON.parse(s3.objects.get(`${PARTS}page-00001.json`) ?? '')).toEqual({
      keys: ['images/shoes/a.jpg', 'images/shoes/b.jpg', 'images/shoes/c.jpg'],
    });
    expect(listing).toMatchObject({
      partsPrefix: PARTS,
      page: 1,
      continuationToken: 'page-2',
      totals: emptyCounts(),
      batches: [
        { page: 1, offset: 0, count: 2 },
        { page: 1, offset: 2, count: 1 },
      ],
    });
  });

  it('goes on from the previous page, folding in its results; the last page has no token', async () => {
    // Prepare
    const s3 = fakeS3({ keys: ['images/shoes/d.jpg'] });
    const previous = state({
      page: 1,
      continuationToken: 'page-2',
      totals: emptyCounts(),
      batchResults: [{ processed: 2, rejected: 0, skipped: 1, failed: 0, failedKeys: [] }],
    });

    // Act
    const listing = await listRebuildPage({
      s3: s3.client,
      bucket: BUCKET,
      state: previous,
      pageSize: 4,
      batchSize: 2,
    });

    // Assess
    expect(s3.listed[0]?.ContinuationToken).toBe('page-2');
    expect(listing.page).toBe(2);
    expect(listing).not.toHaveProperty('continuationToken');
    expect(listing.totals).toMatchObject({ processed: 2, skipped: 1 });
    expect(s3.objects.has(`${PARTS}page-00002.json`)).toBe(true);
  });

  it('writes no part and no batch for an empty page', async () => {
    // Prepare
    const s3 = fakeS3({ keys: ['images/shoes/'] });

    // Act
    const listing = await listRebuildPage({
      s3: s3.client,
      bucket: BUCKET,
      state: state(),
      pageSize: 4,
      batchSize: 2,
    });

    // Assess
    expect(listing.batches).toEqual([]);
    expect(s3.objects.size).toBe(0);
  });
});

describe('rebuildBatch', () => {
  it('makes the thumbnails of its slice of the page, and counts what became of each image', async () => {
    // Prepare
    const s3 = fakeS3();
    const keys = ['images/a.jpg', 'images/b.jpg', 'images/c.jpg', 'images/d.jpg', 'images/e.jpg'];
    s3.objects.set(`${PARTS}page-00003.json`, JSON.stringify({ keys }));
    const outcomes: Record<string, RecordOutcome | Error> = {
      'images/b.jpg': { status: 'processed', key: 'images/b.jpg', thumbnails: [] },
      'images/c.jpg': { status: 'rejected', key: 'images/c.jpg', reason: 'not_an_image' },
      'images/d.jpg': new Error('SlowDown'),
      'images/e.jpg': { status: 'skipped', key: 'images/e.jpg', reason: 'source_missing' },
    };
    const asked: [string, number[] | undefined][] = [];
    const createThumbnails: CreateThumbnails = async (key, sizes) => {
      asked.push([key, sizes]);
      const outcome = outcomes[key];
      if (outcome instanceof Error || outcome === undefined) throw outcome ?? new Error('unexpected key');
      return outcome;
    };
    const failures: string[] = [];

    // Act
    const counts = await rebuildBatch({
      s3: s3.client,
      bucket: BUCKET,
      partsPrefix: PARTS,
      batch: { page: 3, offset: 1, count: 4 },
      sizes: [100],
      concurrency: 2,
      createThumbnails,
      clock,
      onFailure: (key) => failures.push(key),
    });

    // Assess
    expect(counts).toEqual({
      processed: 1,
      rejected: 1,
      skipped: 1,
      failed: 1,
      failedKeys: ['images/d.jpg'],
    });
    expect(asked.map(([key]) => key).sort()).toEqual(keys.slice(1));
    expect(asked.every(([, sizes]) => sizes?.join() === '100')).toBe(true);
    expect(failures).toEqual(['images/d.jpg']);
  });

  it('renders no more images at once than its concurrency', async () => {
    // Prepare
    const s3 = fakeS3();
    const keys = Array.from({ length: 6 }, (_, i) => `images/${i}.jpg`);
    s3.objects.set(`${PARTS}page-00001.json`, JSON.stringify({ keys }));
    let running = 0;
    let most = 0;
    const createThumbnails: CreateThumbnails = async (key) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running -= 1;
      return { status: 'processed', key, thumbnails: [] };
    };

    // Act
    const counts = await rebuildBatch({
      s3: s3.client,
      bucket: BUCKET,
      partsPrefix: PARTS,
      batch: { page: 1, offset: 0, count: 6 },
      concurrency: 2,
      createThumbnails,
      clock,
    });

    // Assess
    expect(counts.processed).toBe(6);
    expect(most).toBe(2);
  });
});

describe('summariseRebuild', () => {
  it('writes the report with the last page folded in, and removes every part', async () => {
    // Prepare
    const s3 = fakeS3();
    const last = state({
      request: { prefix: 'images/shoes/', sizes: [100, 200] },
      page: 2,
      totals: { processed: 3, rejected: 0, skipped: 0, failed: 0, failedKeys: [] },
      batchResults: [{ processed: 1, rejected: 1, skipped: 0, failed: 0, failedKeys: [] }],
    });

    // Act
    const summary = await summariseRebuild({
      s3: s3.client,
      bucket: BUCKET,
      state: last,
      now: () => new Date('2025-01-02T04:00:00.000Z'),
    });

    // Assess
    const report = {
      prefix: 'images/shoes/',
      sizes: [100, 200],
      processed: 4,
      rejected: 1,
      skipped: 0,
      failed: 0,
      failedKeys: [],
      executionArn: last.executionArn,
      pages: 2,
      startedAt: '2025-01-02T03:04:05.000Z',
      finishedAt: '2025-01-02T04:00:00.000Z',
    };
    expect(summary).toEqual({ ...report, report: `s3://${BUCKET}/reports/images/rebuilds/rebuild-1.json` });
    expect(JSON.parse(s3.objects.get('reports/images/rebuilds/rebuild-1.json') ?? '')).toEqual(report);
    expect(s3.deleted).toEqual([`${PARTS}page-00001.json`, `${PARTS}page-00002.json`]);
  });
});
