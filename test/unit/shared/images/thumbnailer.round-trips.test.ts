import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ImageEvent } from '../../../../shared/images/thumbnailer.ts';
import { slowDown } from './fake-s3.ts';
import { solid } from './fixtures.ts';
import { failureOf, harness, plenty, THUMBS, UPLOADS, upload } from './harness.ts';

/** The S3 round trips of one image, and the one-HEAD staleness check they rest on. */

const OLDER = '0062E99A88DC407460';
const NEWER = '0062E99A88DC4074A0';

function created(key: string, sequencer: string): ImageEvent {
  return { kind: 'created', eventName: 'ObjectCreated:Put', bucket: UPLOADS, key, sequencer };
}

describe('ImageThumbnailer: S3 calls per image', () => {
  it('makes two widths with one HEAD, one GET and a PUT per width plus the report (was two HEADs)', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(600, 400, '#336699', 'jpeg'));

    // Act
    await h.thumbnailer.createThumbnails(created('images/a.jpg', OLDER), plenty);

    // Assess
    expect(h.s3.calls).toHaveLength(5);
    expect(h.s3.callsOf('HeadObject')).toEqual([
      { command: 'HeadObject', bucket: THUMBS, key: 'images/a.jpg/400.webp' },
    ]);
    expect(h.s3.callsOf('GetObject')).toEqual([
      { command: 'GetObject', bucket: UPLOADS, key: 'images/a.jpg' },
    ]);
    expect(h.s3.callsOf('PutObject').map((call) => call.key)).toEqual([
      'images/a.jpg/200.webp',
      'images/a.jpg/400.webp',
      'reports/images/images/a.jpg.json',
    ]);
  });

  it('still sends one HEAD with three widths, and writes the widest last', async () => {
    // Prepare
    const h = harness({ widths: [100, 200, 400] });
    await upload(h, 'images/a.jpg', await solid(600, 400, '#336699', 'jpeg'));

    // Act
    await h.thumbnailer.createThumbnails(created('images/a.jpg', OLDER), plenty);

    // Assess
    expect(h.s3.callsOf('HeadObject')).toHaveLength(1);
    const thumbnailPuts = h.s3.callsOf('PutObject').filter((call) => call.bucket === THUMBS);
    expect(thumbnailPuts.map((call) => call.key).at(-1)).toBe('images/a.jpg/400.webp');
    expect(h.s3.calls).toHaveLength(6);
  });
});

describe('ImageThumbnailer: a newer event that crashed after some widths', () => {
  it('lets an older event rewrite every width from the current image, and the retry restores its own sequencer', async () => {
    // Prepare: the newer event writes 200 wide, then fails on the widest.
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(600, 300, '#00ff00', 'jpeg'));
    h.s3.failNext('PutObject', slowDown(), 'images/a.jpg/400.webp');
    const crash = await failureOf(h.thumbnailer.createThumbnails(created('images/a.jpg', NEWER), plenty));
    const afterCrash = h.s3.keys(THUMBS);

    // Act: the older event comes (late, or redelivered), then the newer one's retry.
    const older = await h.thumbnailer.createThumbnails(created('images/a.jpg', OLDER), plenty);
    const olderSequencers = afterCrash.map((key) => h.s3.get(THUMBS, key)?.metadata.sequencer);
    const retry = await h.thumbnailer.createThumbnails(created('images/a.jpg', NEWER), plenty);
    const redelivered = await h.thumbnailer.createThumbnails(created('images/a.jpg', OLDER), plenty);

    // Assess
    expect(crash).toMatchObject({ name: 'SlowDown' });
    expect(afterCrash).toEqual(['images/a.jpg/200.webp']);
    expect(older.status).toBe('processed');
    expect(olderSequencers).toEqual([OLDER]);
    expect(retry.status).toBe('processed');
    const keys = h.s3.keys(THUMBS);
    expect(keys).toEqual(['images/a.jpg/200.webp', 'images/a.jpg/400.webp']);
    expect(keys.map((key) => h.s3.get(THUMBS, key)?.metadata.sequencer)).toEqual([NEWER, NEWER]);
    const widest = await sharp(h.s3.get(THUMBS, 'images/a.jpg/400.webp')?.body).metadata();
    expect([widest.width, widest.height]).toEqual([400, 200]);
    expect(redelivered).toEqual({ status: 'skipped', key: 'images/a.jpg', reason: 'stale' });
  });

  it('skips an older event once the widest carries a newer sequencer', async () => {
    // Prepare
    const h = harness();
    await upload(h, 'images/a.jpg', await solid(600, 300, '#00ff00', 'jpeg'));
    await h.thumbnailer.createThumbnails(created('images/a.jpg', NEWER), plenty);
    h.s3.calls.length = 0;

    // Act
    const outcome = await h.thumbnailer.createThumbnails(created('images/a.jpg', OLDER), plenty);

    // Assess
    expect(outcome).toEqual({ status: 'skipped', key: 'images/a.jpg', reason: 'stale' });
    expect(h.s3.callsOf('PutObject')).toEqual([]);
  });
});
