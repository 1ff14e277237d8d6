import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  deleteImportProgress,
  getRunningImport,
  type ImportProgress,
  listRunningImports,
  putImportProgress,
  runningImportAt,
  STALLED_AFTER_MS,
} from '../../../../shared/inventory/progress.ts';

const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3Mock = mockClient(s3);

const START = Date.parse('2025-06-02T07:00:00.000Z');
const at = (ms: number) => new Date(START + ms);

function progressOf(key: string, fields: Partial<ImportProgress> = {}): ImportProgress {
  return {
    source: { bucket: 'uploads', key, etag: 'e1' },
    startedAt: at(0).toISOString(),
    updatedAt: at(10_000).toISOString(),
    rowsSoFar: 25_000,
    bytesRead: 250_000,
    totalBytes: 1_000_000,
    ...fields,
  };
}

/** A GetObject body as the SDK hands it out (only the part read here). */
const body = (text: string) =>
  ({ transformToString: async () => text }) as unknown as GetObjectCommandOutput['Body'];

/** The bucket as a map of key → text; GetObject of anything else is S3's NoSuchKey. */
function serve(objects: Record<string, string>) {
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; MaxKeys?: number }) => ({
    Contents: Object.keys(objects)
      .filter((key) => key.startsWith(input.Prefix ?? ''))
      .sort()
      .slice(0, input.MaxKeys ?? 1000)
      .map((key) => ({ Key: key, Size: Buffer.byteLength(objects[key] ?? '') })),
  }));
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const text = objects[input.Key];
    if (text === undefined) {
      throw Object.assign(new Error('The specified key does not exist.'), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
    }
    return { Body: body(text) };
  });
}

beforeEach(() => {
  s3Mock.reset();
});

describe('runningImportAt', () => {
  it('gives the fraction read and the time left at the rate so far, counted from the last update', () => {
    // Act: a quarter read in 10 s, looked at 2 s after that update.
    const running = runningImportAt(progressOf('inventory/a.csv'), at(12_000));

    // Assess
    expect(running).toMatchObject({ fraction: 0.25, remainingMs: 28_000, stalled: false });
  });

  it('counts the rate from the writing pass’s first byte when the object says when that was', () => {
    // Act: checked for 6 s, then a quarter written in 4 s, looked at 2 s after that update.
    const running = runningImportAt(
      progressOf('inventory/a.csv', { writingSince: at(6_000).toISOString() }),
      at(12_000),
    );

    // Assess: 12 s left at 4 s a quarter, less the 2 s since the update.
    expect(running).toMatchObject({ fraction: 0.25, remainingMs: 10_000, stalled: false });
  });

  it('has no fraction for an empty object, and no estimate before 1 s or before the first byte', () => {
    // Act
    const empty = runningImportAt(progressOf('inventory/a.csv', { bytesRead: 0, totalBytes: 0 }), at(10_000));
    const early = runningImportAt(
      progressOf('inventory/a.csv', { updatedAt: at(999).toISOString() }),
      at(999),
    );
    const checking = runningImportAt(progressOf('inventory/a.csv', { bytesRead: 0 }), at(10_000));

    // Assess
    expect(empty).not.toHaveProperty('fraction');
    expect(empty).not.toHaveProperty('remainingMs');
    expect(early).toMatchObject({ fraction: 0.25 });
    expect(early).not.toHaveProperty('remainingMs');
    expect(checking).toMatchObject({ fraction: 0 });
    expect(checking).not.toHaveProperty('remainingMs');
  });

  it('says stalled once no update came for longer than STALLED_AFTER_MS, and then estimates nothing', () => {
    // Act
    const justAlive = runningImportAt(progressOf('inventory/a.csv'), at(10_000 + STALLED_AFTER_MS));
    const stalled = runningImportAt(progressOf('inventory/a.csv'), at(10_001 + STALLED_AFTER_MS));
    const unreadable = runningImportAt(progressOf('inventory/a.csv', { updatedAt: 'soon' }), at(10_000));

    // Assess
    expect(justAlive).toMatchObject({ stalled: false, remainingMs: 0 });
    expect(stalled).toMatchObject({ stalled: true, fraction: 0.25 });
    expect(stalled).not.toHaveProperty('remainingMs');
    expect(unreadable.stalled).toBe(true);
  });

  it('caps the fraction at 1 when more was read than the size said', () => {
    // Act
    const running = runningImportAt(progressOf('inventory/a.csv', { bytesRead: 1_200_000 }), at(10_000));

    // Assess
    expect(running).toMatchObject({ fraction: 1, remainingMs: 0 });
  });
});

describe('listRunningImports', () => {
  it('reads every progress object of one listing, newest import first, as at `now`', async () => {
    // Prepare
    serve({
      'reports/progress/inventory/inventory/old.csv.json': JSON.stringify(progressOf('inventory/old.csv')),
      'reports/progress/inventory/inventory/new.csv.json': JSON.stringify(
        progressOf('inventory/new.csv', {
          startedAt: at(5_000).toISOString(),
          updatedAt: at(15_000).toISOString(),
          bytesRead: 500_000,
        }),
      ),
      'reports/progress/inventory/too-long/ab12.json': JSON.stringify(
        progressOf('inventory/very long name.csv', { updatedAt: at(-100_000).toISOString() }),
      ),
      'reports/progress/inventory/inventory/torn.csv.json': '{"source":',
      'reports/progress/inventory/inventory/notes.txt': 'not a progress object',
    });

    // Act
    const running = await listRunningImports(s3, 'uploads', at(15_000));

    // Assess
    expect(running.map(({ source, fraction, stalled }) => [source.key, fraction, stalled])).toEqual([
      ['inventory/new.csv', 0.5, false],
      ['inventory/old.csv', 0.25, false],
      ['inventory/very long name.csv', 0.25, true],
    ]);
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'uploads', Prefix: 'reports/progress/inventory/', MaxKeys: 1000 },
    ]);
  });

  it('leaves out an object deleted between the listing and the read (its import just finished)', async () => {
    // Prepare
    serve({
      'reports/progress/inventory/inventory/a.csv.json': JSON.stringify(progressOf('inventory/a.csv')),
    });
    s3Mock.on(GetObjectCommand).rejects(
      Object.assign(new Error('The specified key does not exist.'), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      }),
    );

    // Act
    const running = await listRunningImports(s3, 'uploads', at(10_000));

    // Assess
    expect(running).toEqual([]);
  });

  it('lets any other S3 error through', async () => {
    // Prepare
    serve({
      'reports/progress/inventory/inventory/a.csv.json': JSON.stringify(progressOf('inventory/a.csv')),
    });
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('Slow Down'), { name: 'SlowDown' }));

    // Act
    const listing = listRunningImports(s3, 'uploads', at(10_000));

    // Assess
    await expect(listing).rejects.toThrow('Slow Down');
  });
});

describe('getRunningImport', () => {
  it('lists the exact key first, then reads it', async () => {
    // Prepare
    serve({
      'reports/progress/inventory/inventory/a.csv.json': JSON.stringify(progressOf('inventory/a.csv')),
      'reports/progress/inventory/inventory/a.csv.json.bak': 'a longer key with the same start',
    });

    // Act
    const running = await getRunningImport(s3, 'uploads', 'inventory/a.csv', at(12_000));

    // Assess
    expect(running).toEqual({
      ...progressOf('inventory/a.csv'),
      fraction: 0.25,
      remainingMs: 28_000,
      stalled: false,
    });
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
      Bucket: 'uploads',
      Prefix: 'reports/progress/inventory/inventory/a.csv.json',
      MaxKeys: 1,
    });
  });

  it('is undefined without reading when nothing is listed, so a missing key is never a GET', async () => {
    // Prepare
    serve({
      'reports/progress/inventory/inventory/b.csv.json': JSON.stringify(progressOf('inventory/b.csv')),
    });

    // Act
    const running = await getRunningImport(s3, 'uploads', 'inventory/a.csv', at(12_000));

    // Assess
    expect(running).toBeUndefined();
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});

describe('putImportProgress and deleteImportProgress', () => {
  it('write and delete the object under the source’s progress key', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(DeleteObjectCommand).resolves({});
    const progress = progressOf('inventory/a.csv');

    // Act
    await putImportProgress(s3, 'uploads', progress);
    await deleteImportProgress(s3, 'uploads', 'inventory/a.csv');

    // Assess
    const put = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put?.Key).toBe('reports/progress/inventory/inventory/a.csv.json');
    expect(JSON.parse(String(put?.Body))).toEqual(progress);
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'uploads',
      Key: 'reports/progress/inventory/inventory/a.csv.json',
    });
  });
});
