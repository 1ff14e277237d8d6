import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InsufficientTimeError } from '../../../../shared/images/errors.ts';
import { THUMBNAIL_CACHE_CONTROL } from '../../../../shared/images/objects.ts';
import type { ImageEvent } from '../../../../shared/images/thumbnailer.ts';
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
import { AT, failureOf, type Harness, harness, plenty, THUMBS, UPLOADS, upload } from './harness.ts';

interface EventOptions {
  eventName?: string;
  size?: number;
  sequencer?: string;
  versionId?: string;
  eTag?: string;
}

/** An upload as the thumbnails function's triage hands it over: key decoded, sequencer upper-case. */
function created(key: string, options: EventOptions = {}): ImageEvent {
  return {
    kind: 'created',
    eventName: options.eventName ?? 'ObjectCreated:Put',
    bucket: UPLOADS,
    key,
    ...(options.size !== undefined && { size: options.size }),
    ...(options.eTag && { eTag: options.eTag }),
    ...(options.versionId && { versionId: options.versionId }),
    sequencer: options.sequencer ?? '0062E99A88DC407460',
  };
}

function removed(key: string, options: EventOptions = {}): ImageEvent {
  return {
    ...created(key, options),
    kind: 'removed',
    eventName: options.eventName ?? 'ObjectRemoved:Delete',
  };
}

describe('ImageThumbnailer: ObjectCreated', () => {
  it('writes every width to the thumbnails bucket with type, cache policy and source metadata', async () => {
    // Prepare
    const h = harness();
    const key = 'images/red shoe.jpg';
    const put = await upload(h, key, await noisyJpeg(800, 600));

    // Act
    const outcome = await h.thumbnailer.createThumbnails(created(key, { size: 1234 }), plenty);

    // Assess
    expect(outcome).toEqual({
      status: 'processed',
      key,
      thumbnails: ['images/red shoe.jpg/200.webp', 'images/red shoe.jpg/400.webp'],
    });
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
    await h.thumbnailer.createThumbnails(created(key), plenty);

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
    await h.thumbnailer.createThumbnails(created('images/actually-a-png.jpg'), plenty);

    // Assess
    const report = h.s3.json(UPLOADS, 'reports/images/images/actually-a-png.jpg.json') as {
      detectedFormat: string;
    };
    expect(report.detectedFormat).toBe('png');
    expect(h.s3.keys(THUMBS)).toHaveLength(2);
  });

  it('honours the configured format: JPEG thumbnails end in .jpg', async () => {
    // Prepare
    const h = harness({ format: 'jpeg', widths: [120] });
    await upload(h, 'images/a.png', await solid(300, 200, '#ff0000', 'png'));

    // Act
    await h.thumbnailer.createThumbnails(created('images/a.png'), plenty);

    // Assess
    expect(h.s3.keys(THUMBS)).toEqual(['images/a.png/120.jpg']);
    expect(h.s3.get(THUMBS, 'images/a.png/120.jpg')?.contentType).toBe('image/jpeg');
  });

  it('strips EXIF and GPS from what it writes', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/gps.jpg', await jpegWithPrivateMetadata());

    // Act
    await h.thumbnailer.createThumbnails(created('images/gps.jpg'), plenty);

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
    const event = created('images/dup.jpg');
    await h.thumbnailer.createThumbnails(event, plenty);
    const first = h.s3.keys(THUMBS).map((key) => h.s3.get(THUMBS, key)?.etag);

    // Act
    await h.thumbnailer.createThumbnails(event, plenty);

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
    const outcome = await h.thumbnailer.createThumbnails(
      created('images/a.jpg', { sequencer: '0062E99A88DC407460' }),
      plenty,
    );

    // Assess
    expect(outcome).toEqual({ status: 'skipped', key: 'images/a.jpg', reason: 'stale' });
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
    await h.thumbnailer.createThumbnails(created('images/a.jpg', { sequencer: '0100' }), plenty);

    // Assess
    expect(h.s3.get(THUMBS, 'images/a.jpg/200.webp')?.metadata.sequencer).toBe('0100');
    expect((await sharp(h.s3.get(THUMBS, 'images/a.jpg/200.webp')?.body).metadata()).format).toBe('webp');
  });

  it('skips an event whose object no longer exists', async () => {
    // Prepare
    const h = harness();

    // Act
    const outcome = await h.thumbnailer.createThumbnails(created('images/gone.jpg'), plenty);

    // Assess
    expect(outcome).toEqual({ status: 'skipped', key: 'images/gone.jpg', reason: 'source_missing' });
    expect(h.s3.keys(THUMBS)).toEqual([]);
    expect(h.s3.keys(UPLOADS)).toEqual([]);
  });

  it('tells a missing source from a denied one where S3 answers 403 for both', async () => {
    // Prepare: on AWS, a ListBucket grant narrowed to `images/*` may not turn a missing
    // key's 403 into a 404; the thumbnailer lists the key to know.
    const h = harness({}, new FakeS3({ versioned: true, deniesMissingIn: UPLOADS }));
    const key = 'images/gone.jpg';
    await h.s3.client.send(new PutObjectCommand({ Bucket: THUMBS, Key: `${key}/200.webp`, Body: 'old' }));

    // Act
    const created_ = await h.thumbnailer.createThumbnails(created(key), plenty);
    const removed_ = await h.thumbnailer.removeThumbnails(removed(key), plenty);

    // Assess
    expect(created_).toEqual({ status: 'skipped', key, reason: 'source_missing' });
    expect(removed_).toMatchObject({ status: 'removed', key, deleted: [`${key}/200.webp`] });
    expect(h.s3.callsOf('ListObjectsV2').filter((call) => call.bucket === UPLOADS)).toHaveLength(2);
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
      const outcome = await h.thumbnailer.createThumbnails(created(key), plenty);

      // Assess
      expect(outcome).toEqual({ status: 'rejected', key, reason });
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
    const outcome = await h.thumbnailer.createThumbnails(
      created('images/huge.jpg', { size: 5000, eTag: 'abc123', versionId: 'v9' }),
      plenty,
    );

    // Assess
    expect(outcome).toEqual({ status: 'rejected', key: 'images/huge.jpg', reason: 'too_large' });
    expect(h.s3.callsOf('GetObject')).toEqual([]);
    expect(h.s3.json(UPLOADS, 'reports/images/images/huge.jpg.json')).toMatchObject({
      source: { bucket: UPLOADS, key: 'images/huge.jpg', versionId: 'v9', etag: 'abc123' },
      reason: 'too_large',
      detail: '5000 bytes is over the limit of 1000 bytes',
    });
  });

  it('makes thumbnails of the longest key whose thumbnail keys fit, and reports a longer one', async () => {
    // Prepare: `<key>/400.webp` adds 9 bytes; é is 2 bytes in UTF-8, so `longest` is
    // 7 + 1006 + 2 = 1015 bytes and its widest thumbnail key exactly 1,024.
    const h = harness();
    const longest = `images/${'é'.repeat(503)}ab`;
    const tooLong = `${longest}c`;
    await upload(h, longest, await noisyJpeg(100, 100));
    await upload(h, tooLong, await noisyJpeg(100, 100));

    // Act
    const fits = await h.thumbnailer.createThumbnails(created(longest), plenty);
    const unfit = await h.thumbnailer.createThumbnails(created(tooLong), plenty);

    // Assess: the too-long key is not skipped in silence. Its report key, 20 bytes more than
    // the key, would not fit either, so the report lives under the key's SHA-256.
    expect(fits).toMatchObject({ status: 'processed', key: longest });
    expect(unfit).toEqual({ status: 'rejected', key: tooLong, reason: 'key_too_long' });
    const digest = createHash('sha256').update(tooLong).digest('hex');
    expect(h.s3.json(UPLOADS, `reports/images/too-long/${digest}.json`)).toMatchObject({
      source: { key: tooLong },
      status: 'rejected',
      reason: 'key_too_long',
      detail: "the thumbnail key would be 1025 bytes, over S3's 1024-byte key limit",
    });
    expect(h.rejected).toEqual(['key_too_long']);
  });

  it('rejects an object over the byte limit from Content-Length when the event did not say', async () => {
    // Prepare
    const h = harness({ maxInputBytes: 1000 });
    await upload(h, 'images/huge.jpg', await noisyJpeg(200, 200));

    // Act
    const outcome = await h.thumbnailer.createThumbnails(created('images/huge.jpg'), plenty);

    // Assess
    expect(outcome).toEqual({ status: 'rejected', key: 'images/huge.jpg', reason: 'too_large' });
  });

  it('removes the thumbnails of an earlier, good upload when the new one is rejected', async () => {
    // Prepare
    const h = harness();
    h.s3.put(THUMBS, 'images/a.jpg/200.webp', 'old', { sequencer: '01' });
    h.s3.put(THUMBS, 'images/a.jpg/400.webp', 'old', { sequencer: '01' });
    await upload(h, 'images/a.jpg', 'not an image any more');

    // Act
    await h.thumbnailer.createThumbnails(created('images/a.jpg', { sequencer: '02' }), plenty);

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
    const outcome = await h.thumbnailer.removeThumbnails(
      removed('images/a.jpg', { eventName: 'ObjectRemoved:DeleteMarkerCreated', sequencer: '02' }),
      plenty,
    );

    // Assess
    expect(outcome).toEqual({
      status: 'removed',
      key: 'images/a.jpg',
      deleted: [
        'images/a.jpg/120.jpg',
        'images/a.jpg/200.webp',
        'images/a.jpg/400.webp',
        'images/a.jpg/800.avif',
      ],
      kept: [],
    });
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
    const outcome = await h.thumbnailer.removeThumbnails(
      removed('images/a.jpg', { eventName: 'ObjectRemoved:Delete', sequencer: '0062E99A88DC407460' }),
      plenty,
    );

    // Assess
    expect(outcome).toEqual({
      status: 'removed',
      key: 'images/a.jpg',
      deleted: ['images/a.jpg/400.webp'],
      kept: ['images/a.jpg/200.webp'],
    });
    expect(h.s3.keys(THUMBS)).toEqual(['images/a.jpg/200.webp']);
    expect(h.s3.keys(UPLOADS)).toEqual(['reports/images/images/a.jpg.json']);
  });

  it('deletes nothing while the source exists (the delete is stale)', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(10, 10, '#000000', 'jpeg'));
    h.s3.put(THUMBS, 'images/a.jpg/200.webp', 'x', { sequencer: '01' });

    // Act
    const outcome = await h.thumbnailer.removeThumbnails(
      removed('images/a.jpg', { eventName: 'ObjectRemoved:Delete', sequencer: '02' }),
      plenty,
    );

    // Assess
    expect(outcome).toEqual({ status: 'skipped', key: 'images/a.jpg', reason: 'source_exists' });
    expect(h.s3.keys(THUMBS)).toEqual(['images/a.jpg/200.webp']);
  });
});

describe('ImageThumbnailer: the reused input memory', () => {
  const sizeOf = async (h: Harness, key: string) => {
    const meta = await sharp(h.s3.get(THUMBS, key)?.body).metadata();
    return [meta.width, meta.height];
  };

  it('makes each image from its own bytes, a smaller one after a larger one', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/wide.jpg', await noisyJpeg(800, 600));
    await upload(h, 'images/tall.png', await solid(300, 900, '#336699', 'png'));

    // Act
    await h.thumbnailer.createThumbnails(created('images/wide.jpg'), plenty);
    await h.thumbnailer.createThumbnails(created('images/tall.png'), plenty);
    await h.thumbnailer.createThumbnails(created('images/wide.jpg'), plenty);

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
    await h.thumbnailer.createThumbnails(created('images/a.jpg'), plenty);

    // Act
    await Promise.all([
      h.thumbnailer.createThumbnails(created('images/a.jpg', { sequencer: '0062E99A88DC407461' }), plenty),
      h.thumbnailer.createThumbnails(created('images/b.png'), plenty),
    ]);

    // Assess
    expect(await sizeOf(h, 'images/a.jpg/400.webp')).toEqual([400, 300]);
    expect(await sizeOf(h, 'images/b.png/200.webp')).toEqual([200, 600]);
  });
});

describe('ImageThumbnailer: transient faults', () => {
  it('throws when a thumbnail cannot be written, and writes no report', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(300, 200, '#00ff00', 'jpeg'));
    h.s3.failNext('PutObject', slowDown());

    // Act
    const error = await failureOf(h.thumbnailer.createThumbnails(created('images/a.jpg'), plenty));

    // Assess
    expect(error).toMatchObject({ name: 'SlowDown' });
    expect(h.s3.keys(UPLOADS)).toEqual(['images/a.jpg']);
    expect(h.rejected).toEqual([]);
  });

  it('does not start without headroom before the Lambda timeout, for an upload or a delete', async () => {
    // Prepare
    const h = harness();
    const short = { remainingTimeMs: () => 4_000 };

    // Act
    const errors = [
      await failureOf(h.thumbnailer.createThumbnails(created('images/a.jpg'), short)),
      await failureOf(h.thumbnailer.removeThumbnails(removed('images/a.jpg'), short)),
    ];

    // Assess
    expect(errors.map((error) => error instanceof InsufficientTimeError)).toEqual([true, true]);
    expect(h.s3.calls).toEqual([]);
  });
});

describe('ImageThumbnailer: an event without S3 details (a rebuild)', () => {
  it('makes the thumbnails of what the key holds, with no sequencer to compare', async () => {
    // Prepare
    const h = harness();
    h.s3.put(THUMBS, 'images/a.jpg/200.webp', 'old', { sequencer: 'FFFFFFFFFFFFFFFFFF' });
    await upload(h, 'images/a.jpg', await solid(300, 200, '#00ff00', 'jpeg'));

    // Act
    const outcome = await h.thumbnailer.createThumbnails(
      { kind: 'created', eventName: 'Rebuild', bucket: UPLOADS, key: 'images/a.jpg' },
      plenty,
    );

    // Assess
    expect(outcome).toEqual({
      status: 'processed',
      key: 'images/a.jpg',
      thumbnails: ['images/a.jpg/200.webp', 'images/a.jpg/400.webp'],
    });
    expect(h.s3.get(THUMBS, 'images/a.jpg/200.webp')?.metadata.sequencer).toBeUndefined();
    expect(h.s3.json(UPLOADS, 'reports/images/images/a.jpg.json')).not.toHaveProperty('sequencer');
  });
});
