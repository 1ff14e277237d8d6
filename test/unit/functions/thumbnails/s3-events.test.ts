import { describe, expect, it } from 'vitest';
import { handleS3Event, ThumbnailRecordsFailedError } from '../../../../functions/thumbnails/s3-events.ts';
import { InsufficientTimeError } from '../../../../shared/images/errors.ts';
import type { InvocationClock } from '../../../../shared/images/thumbnailer.ts';
import { slowDown } from '../../shared/images/fake-s3.ts';
import { solid } from '../../shared/images/fixtures.ts';
import {
  failureOf,
  type Harness,
  harness,
  plenty,
  THUMBS,
  UPLOADS,
  upload,
} from '../../shared/images/harness.ts';
import { eventOf, s3Record } from './s3-notifications.ts';

/** The thumbnails function's flow over the harness's thumbnailer. */
const handle = (h: Harness, event: unknown, clock: InvocationClock) =>
  handleS3Event(event, clock, {
    thumbnailer: h.thumbnailer,
    config: h.config,
    logger: h.logger,
    metrics: h.metrics,
  });

describe('handleS3Event: ObjectCreated', () => {
  it('decodes event keys: spaces, plus signs, percent signs and non-ASCII', async () => {
    // Prepare
    const h = harness();
    const key = 'images/Größe 商品 100% a+b.jpg';
    await upload(h, key, await solid(50, 40, '#123456', 'jpeg'));

    // Act
    await handle(h, eventOf(s3Record(key)), plenty);

    // Assess
    expect(h.s3.keys(THUMBS)).toEqual([`${key}/200.webp`, `${key}/400.webp`]);
    const metadata = h.s3.get(THUMBS, `${key}/200.webp`)?.metadata ?? {};
    expect(/^[\x20-\x7e]*$/.test(metadata['source-key'] ?? '')).toBe(true);
    expect(decodeURIComponent(metadata['source-key'] ?? '')).toBe(key);
  });
});

describe('handleS3Event: records and failures', () => {
  it('skips records it must not act on, without touching S3', async () => {
    // Prepare
    const h = harness();

    // Act
    const summary = await handle(
      h,
      eventOf(
        s3Record('images/a.jpg', { bucket: THUMBS }),
        s3Record('inventory/a.csv'),
        s3Record('images/folder/'),
        s3Record('images/x.jpg', { rawKey: 'images/100%.jpg' }),
        s3Record('images/x.jpg', { eventName: 'ObjectTagging:Put' }),
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
      'not_s3',
    ]);
    expect(h.s3.calls).toEqual([]);
    expect(h.logs.filter((log) => log.message === 'record skipped')).toHaveLength(6);
  });

  it('ignores an event without records (S3’s test event)', async () => {
    // Prepare
    const h = harness();

    // Act
    const summary = await handle(h, { Service: 'Amazon S3', Event: 's3:TestEvent' }, plenty);

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
      handle(
        h,
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
    const error = await failureOf(handle(h, eventOf(s3Record('images/a.jpg')), plenty));

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
    const error = await failureOf(handle(h, eventOf(s3Record('images/a.jpg')), plenty));

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
      handle(h, eventOf(s3Record('images/a.jpg')), { remainingTimeMs: () => 4_000 }),
    );

    // Assess
    expect((error as ThumbnailRecordsFailedError).cause).toBeInstanceOf(InsufficientTimeError);
    expect(h.s3.calls).toEqual([]);
  });
});
