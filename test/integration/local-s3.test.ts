import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3StandIn, startS3 } from '../../local/s3.ts';
import { READ_CHUNK_BYTES } from '../../local/s3-object-content.ts';

/**
 * The local S3's GetObject bodies: they are read through buffers that are reused once the
 * socket has sent them, so these tests check that every response carries its own bytes —
 * whole, ranged, many at once, after a client gave up halfway — and that no file stays open.
 */
const BUCKET = 'stockroom-test-local-s3';
let s3Server: S3StandIn;
let client: S3Client;
let directory: string;
const eventNames = new Map<string, string>();

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const openFiles = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

async function put(key: string, body: Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function get(key: string, range?: string): Promise<Buffer> {
  const response = await client.send(
    new GetObjectCommand({ Bucket: BUCKET, Key: key, ...(range && { Range: range }) }),
  );
  return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
}

/** Settles once the open-file count is back to `baseline` (closing is asynchronous). */
async function filesBackTo(baseline: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let count = await openFiles();
  while (count > baseline && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    count = await openFiles();
  }
  return count;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'stockroom-local-s3-'));
  s3Server = await startS3({
    port: 0,
    directory,
    buckets: [{ name: BUCKET }],
    region: 'us-east-1',
    onEvent: (record) =>
      eventNames.set(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')), record.eventName),
  });
  client = new S3Client({
    endpoint: s3Server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  client?.destroy();
  await s3Server?.stop();
  await rm(directory, { recursive: true, force: true });
});

describe('local S3 GetObject bodies', () => {
  it('returns a multi-megabyte object byte for byte, whole and by range', async () => {
    // Prepare
    const body = randomBytes(3 * READ_CHUNK_BYTES + 12_345);
    await put('big.bin', body);

    // Act
    const whole = await get('big.bin');
    const middle = await get('big.bin', `bytes=${READ_CHUNK_BYTES - 7}-${2 * READ_CHUNK_BYTES + 9}`);
    const tail = await get('big.bin', 'bytes=-100');

    // Assess
    expect(whole.length).toBe(body.length);
    expect(sha256(whole)).toBe(sha256(body));
    expect(middle.equals(body.subarray(READ_CHUNK_BYTES - 7, 2 * READ_CHUNK_BYTES + 10))).toBe(true);
    expect(tail.length).toBeGreaterThan(0);
  });

  it('keeps the bodies of concurrent GetObjects apart', async () => {
    // Prepare
    const bodies = [0, 1, 2].map((index) => randomBytes(2 * READ_CHUNK_BYTES + 1000 * index));
    await Promise.all(bodies.map((body, index) => put(`concurrent-${index}.bin`, body)));

    // Act
    const received = await Promise.all(
      Array.from({ length: 12 }, (_, request) => get(`concurrent-${request % 3}.bin`)),
    );

    // Assess
    received.forEach((bytes, request) => {
      expect(sha256(bytes), `request ${request}`).toBe(sha256(bodies[request % 3] as Buffer));
    });
  });

  it('keeps the bytes of a slow reader intact while other GetObjects go on', async () => {
    // Prepare: the slow reader's socket fills up, so its last write is still in flight while
    // other requests take buffers.
    const slow = randomBytes(8 * READ_CHUNK_BYTES);
    const other = randomBytes(3 * READ_CHUNK_BYTES);
    await put('slow.bin', slow);
    await put('other.bin', other);

    // Act
    const received = await new Promise<Buffer>((resolve, reject) => {
      const outgoing = request(`${s3Server.url}/${BUCKET}/slow.bin`, (response) => {
        const chunks: Buffer[] = [];
        response.pause();
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks)));
        response.on('error', reject);
        setTimeout(() => {
          Promise.all(Array.from({ length: 4 }, () => get('other.bin')))
            .then((others) => {
              for (const bytes of others) expect(sha256(bytes)).toBe(sha256(other));
              response.resume();
            })
            .catch(reject);
        }, 200);
      });
      outgoing.on('error', reject);
      outgoing.end();
    });

    // Assess
    expect(received.length).toBe(slow.length);
    expect(sha256(received)).toBe(sha256(slow));
  });

  it('closes the file when a client goes away halfway, and serves the next request whole', async () => {
    // Prepare
    const body = randomBytes(6 * READ_CHUNK_BYTES);
    await put('abandoned.bin', body);
    const baseline = await openFiles();

    // Act: read one chunk of the body, then drop the connection.
    await new Promise<void>((resolve, reject) => {
      const outgoing = request(`${s3Server.url}/${BUCKET}/abandoned.bin`, (response) => {
        response.once('data', () => {
          outgoing.destroy();
          resolve();
        });
      });
      outgoing.on('error', (error) => {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
      });
      outgoing.end();
    });
    const after = await filesBackTo(baseline);
    const next = await get('abandoned.bin');

    // Assess
    expect(after).toBeLessThanOrEqual(baseline);
    expect(sha256(next)).toBe(sha256(body));
  });

  it('opens no file it leaves open for HEAD, and copies through the ordinary stream path', async () => {
    // Prepare
    const body = randomBytes(READ_CHUNK_BYTES + 77);
    await put('source.bin', body);
    const baseline = await openFiles();

    // Act
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'source.bin' }));
    await client.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy.bin', CopySource: `${BUCKET}/source.bin` }),
    );
    const copied = await get('copy.bin');

    // Assess
    expect(head.ContentLength).toBe(body.length);
    expect(sha256(copied)).toBe(sha256(body));
    expect(await filesBackTo(baseline)).toBeLessThanOrEqual(baseline);
  });

  it('returns an empty object as an empty body', async () => {
    // Prepare
    await put('empty.bin', Buffer.alloc(0));

    // Act
    const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'empty.bin' }));
    const bytes = await response.Body?.transformToByteArray();

    // Assess
    expect(response.ContentLength).toBe(0);
    expect(bytes?.length).toBe(0);
  });
});

describe('local S3 browser uploads (POST policies)', () => {
  async function presigned(key: string, options: { maxBytes?: number; expires?: number } = {}) {
    return createPresignedPost(client, {
      Bucket: BUCKET,
      Key: key,
      Fields: { 'Content-Type': 'text/csv' },
      Conditions: [['content-length-range', 1, options.maxBytes ?? 100]],
      Expires: options.expires ?? 300,
    });
  }

  async function post(
    target: { url: string; fields: Record<string, string> },
    body: Buffer,
    extra: Record<string, string> = {},
  ): Promise<{ status: number; text: string }> {
    const data = new FormData();
    for (const [name, value] of Object.entries({ ...target.fields, ...extra })) data.append(name, value);
    data.append('file', new Blob([body]), 'upload.csv');
    const response = await fetch(target.url, { method: 'POST', body: data });
    return { status: response.status, text: await response.text() };
  }

  const exists = async (key: string): Promise<boolean> =>
    client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
      () => true,
      () => false,
    );

  it('stores an upload that keeps to its policy', async () => {
    // Act
    const response = await post(await presigned('inventory/ok.csv'), Buffer.from('store,item,count\n'));

    // Assess
    expect(response.status).toBe(204);
    expect((await get('inventory/ok.csv')).toString()).toBe('store,item,count\n');
  });

  it('refuses a file over content-length-range with EntityTooLarge, and stores nothing', async () => {
    // Act
    const response = await post(await presigned('inventory/big.csv', { maxBytes: 10 }), randomBytes(5_000));

    // Assess
    expect(response.status).toBe(400);
    expect(response.text).toContain('<Code>EntityTooLarge</Code>');
    expect(await exists('inventory/big.csv')).toBe(false);
  });

  it('refuses a changed field, an extra field and an expired policy with AccessDenied', async () => {
    // Prepare
    const target = await presigned('inventory/denied.csv');

    // Act
    const changed = await post(target, Buffer.from('x'), { 'Content-Type': 'text/html' });
    const extra = await post(target, Buffer.from('x'), { 'x-amz-meta-owner': 'me' });
    const expired = await post(await presigned('inventory/denied.csv', { expires: -1 }), Buffer.from('x'));

    // Assess
    for (const response of [changed, extra, expired]) {
      expect(response.status).toBe(403);
      expect(response.text).toContain('<Code>AccessDenied</Code>');
    }
    expect(expired.text).toContain('Policy expired');
    expect(await exists('inventory/denied.csv')).toBe(false);
  });
});

describe('local S3 event names', () => {
  it('names events as S3 does: Put, Post (a form), CompleteMultipartUpload', async () => {
    // Act
    await put('events/put.csv', Buffer.from('a'));
    const form = await createPresignedPost(client, { Bucket: BUCKET, Key: 'events/post.csv' });
    const data = new FormData();
    for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
    data.append('file', new Blob([Buffer.from('b')]), 'post.csv');
    expect((await fetch(form.url, { method: 'POST', body: data })).status).toBe(204);
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'events/multipart.csv' }),
    );
    const part = await client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'events/multipart.csv',
        UploadId,
        PartNumber: 1,
        Body: Buffer.from('c'),
      }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'events/multipart.csv',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );

    // Assess
    expect(eventNames.get('events/put.csv')).toBe('ObjectCreated:Put');
    expect(eventNames.get('events/post.csv')).toBe('ObjectCreated:Post');
    expect(eventNames.get('events/multipart.csv')).toBe('ObjectCreated:CompleteMultipartUpload');
    expect((await get('events/multipart.csv')).toString()).toBe('c');
  });
});
