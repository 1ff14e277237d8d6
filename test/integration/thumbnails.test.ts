import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/types.ts';
import type { ImageReport } from '../../shared/images/report.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';
import {
  jpegWithPrivateMetadata,
  noisyJpeg,
  pngBomb,
  SVG,
  solid,
  truncatedJpeg,
} from '../unit/shared/images/fixtures.ts';

let cloud: LocalCloud;
let clients: TestClients;
let uploads: string;
let thumbnails: string;

beforeAll(async () => {
  cloud = await startTestCloud({ functions: ['thumbnails'] });
  clients = clientsFor(cloud);
  uploads = cloud.endpoints.buckets.uploads;
  thumbnails = cloud.endpoints.buckets.thumbnails;
});

afterAll(async () => {
  await cloud?.stop();
});

async function upload(key: string, body: Buffer | string): Promise<string> {
  const output = await clients.s3.send(new PutObjectCommand({ Bucket: uploads, Key: key, Body: body }));
  return (output.ETag ?? '').replace(/"/g, '');
}

async function readReport(key: string): Promise<ImageReport | undefined> {
  try {
    const output = await clients.s3.send(
      new GetObjectCommand({ Bucket: uploads, Key: `reports/images/${key}.json` }),
    );
    return JSON.parse((await output.Body?.transformToString()) ?? '') as ImageReport;
  } catch {
    return undefined;
  }
}

/** The report once it describes the upload with this ETag. */
async function reportFor(key: string, etag: string): Promise<ImageReport> {
  return eventually(
    async () => {
      const report = await readReport(key);
      return report?.source.etag === etag ? report : undefined;
    },
    { what: `the report for ${key}` },
  );
}

async function thumbnailKeys(sourceKey: string): Promise<string[]> {
  const listing = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: thumbnails, Prefix: `${sourceKey}/` }),
  );
  return (listing.Contents ?? []).map((object) => object.Key ?? '').sort();
}

async function download(bucket: string, key: string): Promise<{ body: Buffer; contentType?: string }> {
  const output = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    body: Buffer.from((await output.Body?.transformToByteArray()) ?? []),
    ...(output.ContentType && { contentType: output.ContentType }),
  };
}

/** The thumbnails function's invocations for one source key (event keys are URL-encoded). */
function invocationsFor(key: string) {
  return cloud.invocations('thumbnails').filter((invocation) => {
    const records = (invocation.event as { Records?: { s3: { object: { key: string } } }[] }).Records ?? [];
    return records.some((record) => decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')) === key);
  });
}

describe('product images through the local cloud', () => {
  it('turns an upload into 200 and 400 px WebP thumbnails without metadata', async () => {
    // Prepare
    const key = 'images/red shoe+laces.jpg';
    const photo = await sharp(await noisyJpeg(900, 600))
      .withExif({ IFD0: { Make: 'Camera' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .jpeg()
      .toBuffer();

    // Act
    const etag = await upload(key, photo);

    // Assess
    const report = await reportFor(key, etag);
    expect(report.status).toBe('processed');
    expect(await thumbnailKeys(key)).toEqual([`${key}/200.webp`, `${key}/400.webp`]);
    for (const [width, height] of [
      [200, 133],
      [400, 267],
    ] as const) {
      const { body, contentType } = await download(thumbnails, `${key}/${width}.webp`);
      const meta = await sharp(body).metadata();
      expect([contentType, meta.format, meta.width, meta.height, meta.exif, meta.icc]).toEqual([
        'image/webp',
        'webp',
        width,
        height,
        undefined,
        undefined,
      ]);
    }
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: thumbnails, Key: `${key}/200.webp` }));
    expect(head.CacheControl).toBe('public, max-age=86400');
    expect(head.Metadata?.['source-key']).toBe(encodeURIComponent(key));
    expect(head.Metadata?.['source-etag']).toBe(etag);
    expect(head.Metadata?.sequencer).toMatch(/^[0-9A-F]+$/);
    await cloud.waitForIdle(30_000);
    expect(invocationsFor(key).map((invocation) => invocation.outcome)).toEqual(['success']);
  });

  it('reads the format from the bytes: a PNG named .jpg works', async () => {
    // Prepare
    const key = 'images/really-a-png.jpg';

    // Act
    const etag = await upload(key, await solid(320, 320, '#22aa88', 'png'));

    // Assess
    const report = await reportFor(key, etag);
    expect([report.status, report.status === 'processed' && report.detectedFormat]).toEqual([
      'processed',
      'png',
    ]);
    expect(await thumbnailKeys(key)).toHaveLength(2);
  });

  it.each([
    ['empty', async () => Buffer.alloc(0)],
    ['not_an_image', async () => Buffer.from('store,item,count\nS1,shoe,3\n')],
    ['truncated', truncatedJpeg],
    ['too_many_pixels', async () => pngBomb()],
    ['blocked_format', async () => SVG],
  ] as const)('rejects a %s upload once: report, no thumbnail, no retry', async (reason, make) => {
    // Prepare
    const key = `images/bad-${reason}.png`;

    // Act
    const etag = await upload(key, await make());

    // Assess
    const report = await reportFor(key, etag);
    expect(report).toMatchObject({ status: 'rejected', reason, source: { bucket: uploads, key, etag } });
    await cloud.waitForIdle(30_000);
    expect(await thumbnailKeys(key)).toEqual([]);
    expect(invocationsFor(key).map((invocation) => [invocation.attempt, invocation.outcome])).toEqual([
      [1, 'success'],
    ]);
    expect(cloud.failures(cloud.queues.ThumbnailsFailuresQueue ?? '')).toEqual([]);
  });

  it('follows a re-upload: thumbnails and report describe the newest image', async () => {
    // Prepare
    const key = 'images/replaced.jpg';
    await reportFor(key, await upload(key, await solid(600, 300, '#ff0000', 'jpeg')));

    // Act
    const etag = await upload(key, await solid(300, 600, '#0000ff', 'jpeg'));

    // Assess
    const report = await reportFor(key, etag);
    expect(report.status).toBe('processed');
    await cloud.waitForIdle(30_000);
    const meta = await sharp((await download(thumbnails, `${key}/200.webp`)).body).metadata();
    expect([meta.width, meta.height]).toEqual([200, 400]);
  });

  it('removes the thumbnails and the report when the image is deleted', async () => {
    // Prepare
    const key = 'images/to delete.jpg';
    await reportFor(key, await upload(key, await jpegWithPrivateMetadata()));
    expect(await thumbnailKeys(key)).toHaveLength(2);

    // Act
    await clients.s3.send(new DeleteObjectCommand({ Bucket: uploads, Key: key }));

    // Assess
    await eventually(async () => ((await thumbnailKeys(key)).length === 0 ? true : undefined), {
      what: `the thumbnails of ${key} to be deleted`,
    });
    await eventually(async () => ((await readReport(key)) === undefined ? true : undefined), {
      what: `the report of ${key} to be deleted`,
    });
    await cloud.waitForIdle(30_000);
    expect(invocationsFor(key).every((invocation) => invocation.outcome === 'success')).toBe(true);
  });
});
