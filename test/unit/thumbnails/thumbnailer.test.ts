import { PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ThumbnailConfig } from '../../../functions/thumbnails/config.ts';
import type { RejectionReason } from '../../../functions/thumbnails/errors.ts';
import { InsufficientTimeError, ThumbnailRecordsFailedError } from '../../../functions/thumbnails/errors.ts';
import type {
  SkipReason,
  ThumbnailLogger,
  ThumbnailMetrics,
} from '../../../functions/thumbnails/telemetry.ts';
import {
  ImageThumbnailer,
  type InvocationClock,
  readBody,
  THUMBNAIL_CACHE_CONTROL,
} from '../../../functions/thumbnails/thumbnailer.ts';
import { FakeS3, slowDown } from './fake-s3.ts';
import {
  HEIC_HEADER,
  jpegWithPrivateMetadata,
  noisyJpeg,
  pngBomb,
  SVG,
  solid,
  truncatedJpeg,
} from './fixtures.ts';

const UPLOADS = 'stockroom-test-uploads';
const THUMBS = 'stockroom-test-thumbnails';
const AT = new Date('2025-01-02T03:04:05.000Z');

const baseConfig: ThumbnailConfig = {
  uploadsBucket: UPLOADS,
  thumbnailsBucket: THUMBS,
  widths: [200, 400],
  format: 'webp',
  quality: 80,
  maxInputBytes: 1_000_000,
  maxInputPixels: 50_000_000,
  allowSvg: false,
};

const plenty: InvocationClock = { remainingTimeMs: () => 55_000 };

interface Harness {
  s3: FakeS3;
  thumbnailer: ImageThumbnailer;
  logs: { level: string; message: string; attributes: Record<string, unknown> }[];
  rejected: RejectionReason[];
  skipped: SkipReason[];
  processed: number[];
  removed: number[];
}

function harness(config: Partial<ThumbnailConfig> = {}, s3 = new FakeS3({ versioned: true })): Harness {
  const logs: Harness['logs'] = [];
  const log =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]): void => {
      logs.push({ level, message, attributes: Object.assign({}, ...attributes) });
    };
  const logger: ThumbnailLogger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
  const rejected: RejectionReason[] = [];
  const skipped: SkipReason[] = [];
  const processed: number[] = [];
  const removed: number[] = [];
  const metrics: ThumbnailMetrics = {
    imageProcessed: (count) => processed.push(count),
    imageRejected: (reason) => rejected.push(reason),
    eventSkipped: (reason) => skipped.push(reason),
    thumbnailsRemoved: (count) => removed.push(count),
  };
  const thumbnailer = new ImageThumbnailer({
    s3: s3.client,
    config: { ...baseConfig, ...config },
    logger,
    metrics,
    now: () => AT,
  });
  return { s3, thumbnailer, logs, rejected, skipped, processed, removed };
}

/** An S3 notification record as S3 sends it: the key URL-encoded, space as '+'. */
function s3Record(
  key: string,
  options: {
    eventName?: string;
    bucket?: string;
    size?: number;
    sequencer?: string;
    versionId?: string;
    eTag?: string;
    rawKey?: string;
  } = {},
) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-1',
    eventTime: '2025-01-02T03:04:05.000Z',
    eventName: options.eventName ?? 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: options.bucket ?? UPLOADS, arn: `arn:aws:s3:::${options.bucket ?? UPLOADS}` },
      object: {
        key: options.rawKey ?? encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
        ...(options.size !== undefined && { size: options.size }),
        ...(options.eTag && { eTag: options.eTag }),
        ...(options.versionId && { versionId: options.versionId }),
        sequencer: options.sequencer ?? '0062E99A88DC407460',
      },
    },
  };
}

const eventOf = (...records: unknown[]) => ({ Records: records });

async function upload(h: Harness, key: string, body: Buffer | string) {
  const put = await h.s3.client.send(new PutObjectCommand({ Bucket: UPLOADS, Key: key, Body: body }));
  h.s3.calls.length = 0;
  return put;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (error: unknown) => error,
  );
}

describe('ImageThumbnailer: ObjectCreated', () => {
  it('writes every width to the thumbnails bucket with type, cache policy and source metadata', async () => {
    // Prepare
    const h = harness();
    const key = 'images/red shoe.jpg';
    const put = await upload(h, key, await noisyJpeg(800, 600));

    // Act
    const summary = await h.thumbnailer.handleEvent(eventOf(s3Record(key, { size: 1234 })), plenty);

    // Assess
    expect(summary.records).toEqual([
      {
        status: 'processed',
        key,
        thumbnails: ['images/red shoe.jpg/200.webp', 'images/red shoe.jpg/400.webp'],
      },
    ]);
    expect(h.s3.keys(THUMBS)).toEqual(['images/red shoe.jpg/200.webp', 'images/red shoe.jpg/400.webp']);
    expect(h.s3.keys(UPLOADS)).toEqual(['images/red shoe.jpg', 'reports/images/images/red shoe.jpg.json']);
    const small = h.s3.get(THUMBS, 'images/red shoe.jpg/200.webp');
    expect(small?.contentType).toBe('image/webp');
    expect(small?.cacheControl).toBe(THUMBNAIL_CACHE_CONTROL);
    expect(small?.metadata).toEqual({
      'source-key': 'images%2Fred%20shoe.jpg',
      'source-etag': put.ETag?.replace(/"/g, ''),
      'source-version-id': put.VersionId,
      sequencer: '0062E99A88DC407460',
    });
    const meta = await sharp(small?.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 200, 150]);
    expect(h.processed).toEqual([2]);
  });

  it('writes a "processed" report listing the thumbnails', async () => {
    // Prepare
    const h = harness();
    const key = 'images/shoe.png';
    const put = await upload(h, key, await solid(640, 480, '#884422', 'png'));

    // Act
    await h.thumbnailer.handleEvent(eventOf(s3Record(key)), plenty);

    // Assess
    expect(h.s3.json(UPLOADS, 'reports/images/images/shoe.png.json')).toEqual({
      source: { bucket: UPLOADS, key, versionId: put.VersionId, etag: put.ETag?.replace(/"/g, '') },
      status: 'processed',
      detectedFormat: 'png',
      original: { width: 640, height: 480 },
      thumbnails: [
        {
          bucket: THUMBS,
          key: 'images/shoe.png/200.webp',
          width: 200,
          height: 150,
          bytes: expect.any(Number),
          contentType: 'image/webp',
        },
        {
          bucket: THUMBS,
          key: 'images/shoe.png/400.webp',
          width: 400,
          height: 300,
          bytes: expect.any(Number),
          contentType: 'image/webp',
        },
      ],
      sequencer: '0062E99A88DC407460',
      at: AT.toISOString(),
    });
  });

  it('detects the format from the bytes: a PNG named .jpg is made into thumbnails', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/actually-a-png.jpg', await solid(300, 300, '#00ff00', 'png'));

    // Act
    await h.thumbnailer.handleEvent(eventOf(s3Record('images/actually-a-png.jpg')), plenty);

    // Assess
    const report = h.s3.json(UPLOADS, 'reports/images/images/actually-a-png.jpg.json') as {
      detectedFormat: string;
    };
    expect(report.detectedFormat).toBe('png');
    expect(h.s3.keys(THUMBS)).toHaveLength(2);
  });

  it('decodes event keys: spaces, plus signs, percent signs and non-ASCII', async () => {
    // Prepare
    const h = harness();
    const key = 'images/Größe 商品 100% a+b.jpg';
    await upload(h, key, await solid(50, 40, '#123456', 'jpeg'));

    // Act
    await h.thumbnailer.handleEvent(eventOf(s3Record(key)), plenty);

    // Assess
    expect(h.s3.keys(THUMBS)).toEqual([`${key}/200.webp`, `${key}/400.webp`]);
    const metadata = h.s3.get(THUMBS, `${key}/200.webp`)?.metadata ?? {};
    expect(/^[\x20-\x7e]*$/.test(metadata['source-key'] ?? '')).toBe(true);
    expect(decodeURIComponent(metadata['source-key'] ?? '')).toBe(key);
  });

  it('honours the configured format: JPEG thumbnails end in .jpg', async () => {
    // Prepare
    const h = harness({ format: 'jpeg', widths: [120] });
    await upload(h, 'images/a.png', await solid(300, 200, '#ff0000', 'png'));

    // Act
    await h.thumbnailer.handleEvent(eventOf(s3Record('images/a.png')), plenty);

    // Assess
    expect(h.s3.keys(THUMBS)).toEqual(['images/a.png/120.jpg']);
    expect(h.s3.get(THUMBS, 'images/a.png/120.jpg')?.contentType).toBe('image/jpeg');
  });

  it('strips EXIF and GPS from what it writes', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/gps.jpg', await jpegWithPrivateMetadata());

    // Act
    await h.thumbnailer.handleEvent(eventOf(s3Record('images/gps.jpg')), plenty);

    // Assess
    for (const key of h.s3.keys(THUMBS)) {
      const meta = await sharp(h.s3.get(THUMBS, key)?.body).metadata();
      expect([meta.exif, meta.icc, meta.xmp]).toEqual([undefined, undefined, undefined]);
    }
  });

  it('produces identical thumbnails for a duplicate event', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/dup.jpg', await noisyJpeg(500, 400));
    const event = eventOf(s3Record('images/dup.jpg'));
    await h.thumbnailer.handleEvent(event, plenty);
    const first = h.s3.keys(THUMBS).map((key) => h.s3.get(THUMBS, key)?.etag);

    // Act
    await h.thumbnailer.handleEvent(event, plenty);

    // Assess
    expect(h.s3.keys(THUMBS).map((key) => h.s3.get(THUMBS, key)?.etag)).toEqual(first);
    expect(h.processed).toEqual([2, 2]);
  });

  it('skips a stale event: the thumbnails come from a later event of the same key', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(300, 300, '#ff0000', 'jpeg'));
    h.s3.put(THUMBS, 'images/a.jpg/400.webp', 'newer', { sequencer: '0062E99A88DC4074A0' });
    h.s3.calls.length = 0;

    // Act
    const summary = await h.thumbnailer.handleEvent(
      eventOf(s3Record('images/a.jpg', { sequencer: '0062E99A88DC407460' })),
      plenty,
    );

    // Assess
    expect(summary.records).toEqual([{ status: 'skipped', key: 'images/a.jpg', reason: 'stale' }]);
    expect(h.s3.get(THUMBS, 'images/a.jpg/400.webp')?.body.toString()).toBe('newer');
    expect(h.s3.callsOf('PutObject')).toEqual([]);
    expect(h.logs.some((log) => log.message === 'stale event')).toBe(true);
    expect(h.skipped).toEqual(['stale']);
  });

  it('overwrites thumbnails of an earlier event, comparing sequencers of different lengths', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(300, 300, '#ff0000', 'jpeg'));
    h.s3.put(THUMBS, 'images/a.jpg/200.webp', 'older', { sequencer: 'FF' });

    // Act
    await h.thumbnailer.handleEvent(eventOf(s3Record('images/a.jpg', { sequencer: '0100' })), plenty);

    // Assess
    expect(h.s3.get(THUMBS, 'images/a.jpg/200.webp')?.metadata.sequencer).toBe('0100');
    expect((await sharp(h.s3.get(THUMBS, 'images/a.jpg/200.webp')?.body).metadata()).format).toBe('webp');
  });

  it('skips an event whose object no longer exists', async () => {
    // Prepare
    const h = harness();

    // Act
    const summary = await h.thumbnailer.handleEvent(eventOf(s3Record('images/gone.jpg')), plenty);

    // Assess
    expect(summary.records).toEqual([
      { status: 'skipped', key: 'images/gone.jpg', reason: 'source_missing' },
    ]);
    expect(h.s3.keys(THUMBS)).toEqual([]);
    expect(h.s3.keys(UPLOADS)).toEqual([]);
  });
});

describe('ImageThumbnailer: rejections', () => {
  it.each([
    ['an empty file', async () => Buffer.alloc(0), 'empty', undefined],
    ['a text file', async () => Buffer.from('store,item,count\n'), 'not_an_image', undefined],
    ['a truncated JPEG', truncatedJpeg, 'truncated', 'jpeg'],
    ['a decompression bomb', async () => pngBomb(), 'too_many_pixels', 'png'],
    ['an SVG', async () => SVG, 'blocked_format', 'svg'],
    ['an HEIC photo', async () => HEIC_HEADER, 'unsupported_format', 'heic'],
  ] as const)(
    'rejects %s for good: report, warning, metric, no thumbnail, no retry',
    async (_name, make, reason, detectedFormat) => {
      // Prepare
      const h = harness();
      const key = 'images/bad upload.jpg';
      const put = await upload(h, key, await make());

      // Act
      const summary = await h.thumbnailer.handleEvent(eventOf(s3Record(key)), plenty);

      // Assess
      expect(summary.records).toEqual([{ status: 'rejected', key, reason }]);
      expect(h.s3.keys(THUMBS)).toEqual([]);
      expect(h.s3.json(UPLOADS, 'reports/images/images/bad upload.jpg.json')).toEqual({
        source: { bucket: UPLOADS, key, versionId: put.VersionId, etag: put.ETag?.replace(/"/g, '') },
        status: 'rejected',
        reason,
        detail: expect.any(String),
        ...(detectedFormat && { detectedFormat }),
        sequencer: '0062E99A88DC407460',
        at: AT.toISOString(),
      });
      expect(
        h.logs.filter((log) => log.level === 'warn').map((log) => [log.message, log.attributes.reason]),
      ).toEqual([['image rejected', reason]]);
      expect(h.rejected).toEqual([reason]);
    },
  );

  it('rejects an object over the byte limit from the event, without downloading it', async () => {
    // Prepare
    const h = harness({ maxInputBytes: 1000 });
    await upload(h, 'images/huge.jpg', await noisyJpeg(200, 200));

    // Act
    const summary = await h.thumbnailer.handleEvent(
      eventOf(s3Record('images/huge.jpg', { size: 5000, eTag: 'abc123', versionId: 'v9' })),
      plenty,
    );

    // Assess
    expect(summary.records).toEqual([{ status: 'rejected', key: 'images/huge.jpg', reason: 'too_large' }]);
    expect(h.s3.callsOf('GetObject')).toEqual([]);
    expect(h.s3.json(UPLOADS, 'reports/images/images/huge.jpg.json')).toMatchObject({
      source: { bucket: UPLOADS, key: 'images/huge.jpg', versionId: 'v9', etag: 'abc123' },
      reason: 'too_large',
      detail: '5000 bytes is over the limit of 1000 bytes',
    });
  });

  it('rejects an object over the byte limit from Content-Length when the event did not say', async () => {
    // Prepare
    const h = harness({ maxInputBytes: 1000 });
    await upload(h, 'images/huge.jpg', await noisyJpeg(200, 200));

    // Act
    const summary = await h.thumbnailer.handleEvent(eventOf(s3Record('images/huge.jpg')), plenty);

    // Assess
    expect(summary.records).toEqual([{ status: 'rejected', key: 'images/huge.jpg', reason: 'too_large' }]);
  });

  it('removes the thumbnails of an earlier, good upload when the new one is rejected', async () => {
    // Prepare
    const h = harness();
    h.s3.put(THUMBS, 'images/a.jpg/200.webp', 'old', { sequencer: '01' });
    h.s3.put(THUMBS, 'images/a.jpg/400.webp', 'old', { sequencer: '01' });
    await upload(h, 'images/a.jpg', 'not an image any more');

    // Act
    await h.thumbnailer.handleEvent(eventOf(s3Record('images/a.jpg', { sequencer: '02' })), plenty);

    // Assess
    expect(h.s3.keys(THUMBS)).toEqual([]);
    expect(h.rejected).toEqual(['not_an_image']);
  });
});

describe('ImageThumbnailer: ObjectRemoved', () => {
  it('deletes every thumbnail of the source, of any width or format, and its report', async () => {
    // Prepare
    const h = harness();
    h.s3.listPageSize = 2;
    for (const key of [
      'images/a.jpg/200.webp',
      'images/a.jpg/400.webp',
      'images/a.jpg/120.jpg',
      'images/a.jpg/800.avif',
    ]) {
      h.s3.put(THUMBS, key, 'x', { sequencer: '01' });
    }
    // Another source's thumbnails under the same prefix, and another source altogether.
    h.s3.put(THUMBS, 'images/a.jpg/200.webp/200.webp', 'x');
    h.s3.put(THUMBS, 'images/b.jpg/200.webp', 'x');
    h.s3.put(UPLOADS, 'reports/images/images/a.jpg.json', '{}');

    // Act
    const summary = await h.thumbnailer.handleEvent(
      eventOf(s3Record('images/a.jpg', { eventName: 'ObjectRemoved:DeleteMarkerCreated', sequencer: '02' })),
      plenty,
    );

    // Assess
    expect(summary.records).toEqual([
      {
        status: 'removed',
        key: 'images/a.jpg',
        deleted: [
          'images/a.jpg/120.jpg',
          'images/a.jpg/200.webp',
          'images/a.jpg/400.webp',
          'images/a.jpg/800.avif',
        ],
        kept: [],
      },
    ]);
    expect(h.s3.keys(THUMBS)).toEqual(['images/a.jpg/200.webp/200.webp', 'images/b.jpg/200.webp']);
    expect(h.s3.keys(UPLOADS)).toEqual([]);
    expect(h.removed).toEqual([4]);
  });

  it('keeps thumbnails written for a newer event than the delete', async () => {
    // Prepare
    const h = harness();
    h.s3.put(THUMBS, 'images/a.jpg/200.webp', 'x', { sequencer: '0062E99A88DC4074A0' });
    h.s3.put(THUMBS, 'images/a.jpg/400.webp', 'x', { sequencer: '0062E99A88DC407400' });
    h.s3.put(UPLOADS, 'reports/images/images/a.jpg.json', '{}');

    // Act
    const summary = await h.thumbnailer.handleEvent(
      eventOf(
        s3Record('images/a.jpg', { eventName: 'ObjectRemoved:Delete', sequencer: '0062E99A88DC407460' }),
      ),
      plenty,
    );

    // Assess
    expect(summary.records).toEqual([
      {
        status: 'removed',
        key: 'images/a.jpg',
        deleted: ['images/a.jpg/400.webp'],
        kept: ['images/a.jpg/200.webp'],
      },
    ]);
    expect(h.s3.keys(THUMBS)).toEqual(['images/a.jpg/200.webp']);
    expect(h.s3.keys(UPLOADS)).toEqual(['reports/images/images/a.jpg.json']);
  });

  it('deletes nothing while the source exists (the delete is stale)', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(10, 10, '#000000', 'jpeg'));
    h.s3.put(THUMBS, 'images/a.jpg/200.webp', 'x', { sequencer: '01' });

    // Act
    const summary = await h.thumbnailer.handleEvent(
      eventOf(s3Record('images/a.jpg', { eventName: 'ObjectRemoved:Delete', sequencer: '02' })),
      plenty,
    );

    // Assess
    expect(summary.records).toEqual([{ status: 'skipped', key: 'images/a.jpg', reason: 'source_exists' }]);
    expect(h.s3.keys(THUMBS)).toEqual(['images/a.jpg/200.webp']);
  });
});

describe('ImageThumbnailer: records and failures', () => {
  it('skips records it must not act on, without touching S3', async () => {
    // Prepare
    const h = harness();

    // Act
    const summary = await h.thumbnailer.handleEvent(
      eventOf(
        s3Record('images/a.jpg', { bucket: THUMBS }),
        s3Record('inventory/a.csv'),
        s3Record('images/folder/'),
        s3Record('images/x.jpg', { rawKey: 'images/100%.jpg' }),
        s3Record('images/x.jpg', { eventName: 'ObjectTagging:Put' }),
        s3Record(`images/${'a'.repeat(1010)}`),
        { eventSource: 'aws:sqs', body: '{}' },
      ),
      plenty,
    );

    // Assess
    expect(summary.records.map((record) => record.status === 'skipped' && record.reason)).toEqual([
      'foreign_bucket',
      'outside_prefix',
      'folder_marker',
      'undecodable_key',
      'unhandled_event',
      'key_too_long',
      'not_s3',
    ]);
    expect(h.s3.calls).toEqual([]);
    expect(h.logs.filter((log) => log.message === 'record skipped')).toHaveLength(7);
  });

  it('ignores an event without records (S3’s test event)', async () => {
    // Prepare
    const h = harness();

    // Act
    const summary = await h.thumbnailer.handleEvent({ Service: 'Amazon S3', Event: 's3:TestEvent' }, plenty);

    // Assess
    expect(summary.records).toEqual([]);
  });

  it('handles every record: a rejection stays with its record, a transient fault is rethrown at the end', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/good.jpg', await solid(300, 200, '#00ff00', 'jpeg'));
    await upload(h, 'images/bad.jpg', 'not an image');
    await upload(h, 'images/flaky.jpg', await solid(300, 200, '#0000ff', 'jpeg'));
    await upload(h, 'images/last.jpg', await solid(300, 200, '#ff0000', 'jpeg'));
    h.s3.failNext('GetObject', slowDown(), 'images/flaky.jpg');

    // Act
    const error = await failureOf(
      h.thumbnailer.handleEvent(
        eventOf(
          s3Record('images/good.jpg'),
          s3Record('images/flaky.jpg'),
          s3Record('images/bad.jpg'),
          s3Record('images/last.jpg'),
        ),
        plenty,
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(ThumbnailRecordsFailedError);
    expect((error as ThumbnailRecordsFailedError).failures.map((failure) => failure.key)).toEqual([
      'images/flaky.jpg',
    ]);
    expect(h.s3.keys(THUMBS)).toEqual([
      'images/good.jpg/200.webp',
      'images/good.jpg/400.webp',
      'images/last.jpg/200.webp',
      'images/last.jpg/400.webp',
    ]);
    expect(h.rejected).toEqual(['not_an_image']);
    expect(h.logs.some((log) => log.level === 'error' && log.attributes.key === 'images/flaky.jpg')).toBe(
      true,
    );
  });

  it('fails transiently when a thumbnail cannot be written', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(300, 200, '#00ff00', 'jpeg'));
    h.s3.failNext('PutObject', slowDown());

    // Act
    const error = await failureOf(h.thumbnailer.handleEvent(eventOf(s3Record('images/a.jpg')), plenty));

    // Assess
    expect(error).toBeInstanceOf(ThumbnailRecordsFailedError);
    expect((error as ThumbnailRecordsFailedError).cause).toMatchObject({ name: 'SlowDown' });
    expect(h.s3.keys(UPLOADS)).toEqual(['images/a.jpg']);
  });

  it('fails transiently when the staleness check fails, abandoning the download it overlapped', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(300, 200, '#00ff00', 'jpeg'));
    h.s3.failNext('HeadObject', slowDown());

    // Act
    const error = await failureOf(h.thumbnailer.handleEvent(eventOf(s3Record('images/a.jpg')), plenty));

    // Assess
    expect((error as ThumbnailRecordsFailedError).cause).toMatchObject({ name: 'SlowDown' });
    expect(h.s3.callsOf('PutObject')).toEqual([]);
  });

  it('does not start a record without headroom before the Lambda timeout', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(300, 200, '#00ff00', 'jpeg'));

    // Act
    const error = await failureOf(
      h.thumbnailer.handleEvent(eventOf(s3Record('images/a.jpg')), { remainingTimeMs: () => 4_000 }),
    );

    // Assess
    expect((error as ThumbnailRecordsFailedError).cause).toBeInstanceOf(InsufficientTimeError);
    expect(h.s3.calls).toEqual([]);
  });
});

describe('readBody', () => {
  async function* stream(...parts: string[]) {
    for (const part of parts) yield Buffer.from(part);
  }

  it('reads a body whose length is known or not', async () => {
    expect((await readBody(stream('ab', 'cd'), 4, 10))?.toString()).toBe('abcd');
    expect((await readBody(stream('ab', 'cd', 'ef'), undefined, 10))?.toString()).toBe('abcdef');
    expect((await readBody(stream('ab', 'cd'), 3, 10))?.toString()).toBe('abcd');
  });

  it('stops as soon as the body outgrows the limit', async () => {
    expect(await readBody(stream('abcd', 'efgh', 'ijkl'), undefined, 10)).toBeUndefined();
  });
});

describe('ImageThumbnailer: the reused input memory', () => {
  const sizeOf = async (h: Harness, key: string) => {
    const meta = await sharp(h.s3.get(THUMBS, key)?.body).metadata();
    return [meta.width, meta.height];
  };

  it('makes each image of an event from its own bytes, a smaller one after a larger one', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/wide.jpg', await noisyJpeg(800, 600));
    await upload(h, 'images/tall.png', await solid(300, 900, '#336699', 'png'));

    // Act
    await h.thumbnailer.handleEvent(
      eventOf(s3Record('images/wide.jpg'), s3Record('images/tall.png')),
      plenty,
    );
    await h.thumbnailer.handleEvent(eventOf(s3Record('images/wide.jpg')), plenty);

    // Assess
    expect(await sizeOf(h, 'images/wide.jpg/400.webp')).toEqual([400, 300]);
    expect(await sizeOf(h, 'images/tall.png/200.webp')).toEqual([200, 600]);
    expect(await sizeOf(h, 'images/tall.png/400.webp')).toEqual([300, 900]);
  });

  it('keeps the images of concurrent invocations apart', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await noisyJpeg(800, 600));
    await upload(h, 'images/b.png', await solid(300, 900, '#336699', 'png'));
    await h.thumbnailer.handleEvent(eventOf(s3Record('images/a.jpg')), plenty);

    // Act
    await Promise.all([
      h.thumbnailer.handleEvent(
        eventOf(s3Record('images/a.jpg', { sequencer: '0062E99A88DC407461' })),
        plenty,
      ),
      h.thumbnailer.handleEvent(eventOf(s3Record('images/b.png')), plenty),
    ]);

    // Assess
    expect(await sizeOf(h, 'images/a.jpg/400.webp')).toEqual([400, 300]);
    expect(await sizeOf(h, 'images/b.png/200.webp')).toEqual([200, 600]);
  });
});
