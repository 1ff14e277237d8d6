import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageRejectedError } from '../../../../shared/images/errors.ts';
import {
  type RenderedImage,
  type RenderLimits,
  type ThumbnailListener,
  ThumbnailRenderer,
} from '../../../../shared/images/render.ts';
import type { ImageEvent } from '../../../../shared/images/thumbnailer.ts';
import { FakeS3, slowDown } from './fake-s3.ts';
import { solid } from './fixtures.ts';
import { baseConfig, failureOf, harness, plenty, THUMBS, UPLOADS, upload } from './harness.ts';

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

/**
 * The real renderer, its thumbnails handed over one at a time: every narrower width first,
 * then `beforeWidest` runs (it may wait for what the narrower ones started), then the widest,
 * or `failure` is thrown instead of it.
 */
class PacedRenderer extends ThumbnailRenderer {
  readonly #beforeWidest: () => Promise<void>;
  readonly #failure: Error | undefined;

  constructor(beforeWidest: () => Promise<void>, failure?: Error) {
    super({ ...baseConfig, widths: baseConfig.widths });
    this.#beforeWidest = beforeWidest;
    this.#failure = failure;
  }

  override async render(input: Buffer, limits?: RenderLimits, onThumbnail?: ThumbnailListener) {
    const made: RenderedImage = await super.render(input, limits);
    const widest = Math.max(...baseConfig.widths);
    for (const thumbnail of made.thumbnails.filter((t) => t.requestedWidth !== widest))
      onThumbnail?.(thumbnail);
    await this.#beforeWidest();
    if (this.#failure) throw this.#failure;
    for (const thumbnail of made.thumbnails.filter((t) => t.requestedWidth === widest))
      onThumbnail?.(thumbnail);
    return made;
  }
}

/** Resolves once `done()` holds, or after a second (whatever the caller then checks fails). */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; waited < 1_000 && !done(); waited += 5) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ImageThumbnailer: writing while encoding', () => {
  it('writes a narrower width as soon as it is encoded, while the widest still encodes', async () => {
    // Prepare
    const s3 = new FakeS3({ versioned: true });
    const narrowerStored = () => s3.get(THUMBS, 'images/a.jpg/200.webp') !== undefined;
    let storedBeforeWidest = false;
    const renderer = new PacedRenderer(async () => {
      await until(narrowerStored);
      storedBeforeWidest = narrowerStored();
    });
    const h = harness({}, s3, renderer);
    await upload(h, 'images/a.jpg', await solid(600, 400, '#336699', 'jpeg'));

    // Act
    const outcome = await h.thumbnailer.createThumbnails(created('images/a.jpg', OLDER), plenty);

    // Assess
    expect(storedBeforeWidest).toBe(true);
    expect(outcome.status).toBe('processed');
    expect(h.s3.callsOf('PutObject').map((call) => call.key)).toEqual([
      'images/a.jpg/200.webp',
      'images/a.jpg/400.webp',
      'reports/images/images/a.jpg.json',
    ]);
  });

  it('removes a narrower width whose write was under way when the image was rejected', async () => {
    // Prepare
    const renderer = new PacedRenderer(
      async () => {},
      new ImageRejectedError('corrupt', 'bad pixels further down', { detectedFormat: 'jpeg' }),
    );
    const h = harness({}, new FakeS3({ versioned: true }), renderer);
    await upload(h, 'images/a.jpg', await solid(600, 400, '#336699', 'jpeg'));
    h.s3.slowNext('PutObject', 'images/a.jpg/200.webp', 50);

    // Act
    const outcome = await h.thumbnailer.createThumbnails(created('images/a.jpg', OLDER), plenty);
    // A write still under way after the cleanup would land within its 50 ms.
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect(outcome).toEqual({ status: 'rejected', key: 'images/a.jpg', reason: 'corrupt' });
    expect(h.s3.keys(THUMBS)).toEqual([]);
    expect(h.s3.json(UPLOADS, 'reports/images/images/a.jpg.json')).toMatchObject({ status: 'rejected' });
  });

  it('fails transiently only once a narrower write it started has ended, and writes no report', async () => {
    // Prepare: the render fails at once, while the 200 px write is still on its way.
    const h = harness({}, new FakeS3({ versioned: true }), new PacedRenderer(async () => {}, slowDown()));
    await upload(h, 'images/a.jpg', await solid(600, 400, '#336699', 'jpeg'));
    h.s3.slowNext('PutObject', 'images/a.jpg/200.webp', 50);

    // Act
    const error = await failureOf(h.thumbnailer.createThumbnails(created('images/a.jpg', OLDER), plenty));
    const thumbnailsWhenFailed = h.s3.keys(THUMBS);

    // Assess
    expect(error).toMatchObject({ name: 'SlowDown' });
    expect(thumbnailsWhenFailed).toEqual(['images/a.jpg/200.webp']);
    expect(h.s3.keys(UPLOADS)).toEqual(['images/a.jpg']);
  });
});
