import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3StandIn, startS3 } from '../../local/s3.ts';
import { LOCAL_FIELD, STAGED_SUFFIX } from '../../local/s3-store.ts';

/**
 * The local S3 under faults: a GetObject while the same key is written, keys the file
 * system cannot hold, and the files a crash leaves behind. Every test talks to the real
 * server (s3rver behind local/s3.ts) through the AWS SDK.
 */
const BUCKET = 'stockroom-test-s3-faults';
const servers: S3StandIn[] = [];
const clients: S3Client[] = [];
const directories: string[] = [];

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

async function startServer(
  directory: string,
  log: string[] = [],
): Promise<{ server: S3StandIn; client: S3Client }> {
  const server = await startS3({
    port: 0,
    directory,
    buckets: [{ name: BUCKET }],
    region: 'us-east-1',
    onEvent: () => undefined,
    log: (line) => log.push(line),
  });
  const client = new S3Client({
    endpoint: server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  servers.push(server);
  clients.push(client);
  return { server, client };
}

async function stopServer(server: S3StandIn, client: S3Client): Promise<void> {
  client.destroy();
  await server.stop();
  servers.splice(servers.indexOf(server), 1);
  clients.splice(clients.indexOf(client), 1);
}

async function newDirectory(): Promise<string> {
  // The S3 directory's parent is the data directory: damaged files are set aside next to it.
  const parent = await mkdtemp(join(tmpdir(), 'stockroom-s3-faults-'));
  directories.push(parent);
  return join(parent, 's3');
}

/** The error code and HTTP status an S3 call failed with ('ok' when it did not fail). */
async function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'ok',
    (error: unknown) => {
      if (!(error instanceof S3ServiceException)) throw error;
      return `${error.name} ${error.$metadata.httpStatusCode}`;
    },
  );
}

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all(servers.map((server) => server.stop()));
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe('local S3 writes racing reads', () => {
  let client: S3Client;

  beforeAll(async () => {
    ({ client } = await startServer(await newDirectory()));
  });

  it('answers a GetObject during PUTs of the same key with one whole written version, with its own ETag', async () => {
    // Prepare: JSON documents of different sizes, as a half-written one would not parse.
    const versions = [40, 9_000, 250_000, 700_000, 3].map((count, index) =>
      Buffer.from(JSON.stringify({ version: index, rows: 'x'.repeat(count) })),
    );
    const known = new Map(versions.map((body, index) => [md5(body), index]));
    const key = 'race/stock.json';
    const put = (index: number) =>
      client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: versions[index],
          ContentType: `application/json; version=${index}`,
        }),
      );
    await put(0);

    // Act: 300 PUTs, one after another, while two readers GET the key as fast as they can.
    let writing = true;
    const reads: { body: Buffer; etag?: string; contentType?: string }[] = [];
    const failures: string[] = [];
    const reader = async (): Promise<void> => {
      while (writing) {
        try {
          const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
          const body = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
          reads.push({ body, etag: response.ETag, contentType: response.ContentType });
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const readers = [reader(), reader()];
    for (let round = 0; round < 300; round += 1) await put(round % versions.length);
    writing = false;
    await Promise.all(readers);

    // Assess
    expect(failures).toEqual([]);
    expect(reads.length).toBeGreaterThan(100);
    const wrong = reads.filter(({ body, etag, contentType }) => {
      const index = known.get(md5(body));
      return (
        index === undefined ||
        etag !== `"${md5(body)}"` ||
        contentType !== `application/json; version=${index}`
      );
    });
    expect(
      wrong.map(({ body, etag, contentType }) => `${body.length} bytes, ETag ${etag}, ${contentType}`),
    ).toEqual([]);
  });
});

describe('local S3 keys the file system cannot hold', () => {
  let client: S3Client;
  // s3rver stores `<last part>._S3rver_metadata.json`: 300 bytes are over the 255 a name may have.
  const longKey = `uploads/${'k'.repeat(300)}.csv`;

  beforeAll(async () => {
    ({ client } = await startServer(await newDirectory()));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/source.csv', Body: 'a,b\n' }));
  });

  it('refuses a PUT, a presigned POST, a copy and a multipart upload to it with KeyTooLongError, and keeps serving', async () => {
    // Act
    const put = await outcome(
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: longKey, Body: 'a,b\n' })),
    );
    const form = await createPresignedPost(client, { Bucket: BUCKET, Key: longKey });
    const data = new FormData();
    for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
    data.append('file', new Blob([Buffer.from('a,b\n')]), 'upload.csv');
    const post = await fetch(form.url, { method: 'POST', body: data });
    const postText = await post.text();
    const copy = await outcome(
      client.send(
        new CopyObjectCommand({ Bucket: BUCKET, Key: longKey, CopySource: `${BUCKET}/uploads/source.csv` }),
      ),
    );
    const multipart = await outcome(
      client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: longKey })),
    );
    const overS3Limit = await outcome(
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${'folder/'.repeat(147)}x`, Body: 'a' })),
    );
    const after = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/source.csv' }));

    // Assess
    expect(put).toBe('KeyTooLongError 400');
    expect(post.status).toBe(400);
    expect(postText).toContain('<Code>KeyTooLongError</Code>');
    expect(copy).toBe('KeyTooLongError 400');
    expect(multipart).toBe('KeyTooLongError 400');
    expect(overS3Limit).toBe('KeyTooLongError 400');
    expect(await after.Body?.transformToString()).toBe('a,b\n');
  });

  it('answers a GET, a HEAD and a DELETE of it as of any missing key', async () => {
    // Act
    const get = await outcome(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: longKey })));
    const head = await outcome(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: longKey })));
    const remove = await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: longKey }));
    const list = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'uploads/' }));

    // Assess
    expect(get).toBe('NoSuchKey 404');
    expect(head).toBe('NotFound 404');
    expect(remove.$metadata.httpStatusCode).toBe(204);
    expect(list.Contents?.map((object) => object.Key)).toEqual(['uploads/source.csv']);
  });
});

describe('local S3 after a crash', () => {
  const bodies = {
    'crash/empty-metadata.csv': Buffer.from('store,item,count\n1,a,2\n'),
    'crash/truncated-metadata.csv': randomBytes(70_000),
    'crash/sound.csv': Buffer.from('store,item,count\n3,b,4\n'),
  };

  it('repairs objects whose metadata is empty or cut short, sets aside one without data, and says so in one line', async () => {
    // Prepare: objects written by a server that is then stopped and damaged by hand.
    const directory = await newDirectory();
    const first = await startServer(directory);
    for (const [key, body] of Object.entries(bodies)) {
      await first.client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/csv' }),
      );
    }
    await first.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'crash/no-data.csv', Body: 'gone' }));
    await stopServer(first.server, first.client);
    const file = (key: string, resource: string) => join(directory, BUCKET, `${key}._S3rver_${resource}`);
    await truncate(file('crash/empty-metadata.csv', 'metadata.json'), 0);
    const metadata = await readFile(file('crash/truncated-metadata.csv', 'metadata.json'));
    await writeFile(
      file('crash/truncated-metadata.csv', 'metadata.json'),
      metadata.subarray(0, metadata.length / 2),
    );
    await unlink(file('crash/no-data.csv', 'object'));
    await writeFile(join(directory, `0123456789abcdef${STAGED_SUFFIX}`), 'half a write');

    // Act
    const log: string[] = [];
    const { client } = await startServer(directory, log);
    const list = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'crash/' }));
    const got = await Promise.all(
      Object.keys(bodies).map(async (key) => {
        const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        const body = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
        return { key, body, etag: response.ETag, contentType: response.ContentType };
      }),
    );
    const setAside = await readdir(join(directory, '..', 's3-set-aside'), { recursive: true });

    // Assess
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(
      /^s3: repaired 2 and set aside 1 damaged object\(s\) left by a crash \(see .*s3-set-aside.*\); removed 1 staged file\(s\) of unfinished writes$/,
    );
    expect(list.Contents?.map((object) => [object.Key, object.Size])).toEqual(
      Object.entries(bodies)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, body]) => [key, body.length]),
    );
    for (const { key, body, etag, contentType } of got) {
      expect(md5(body), key).toBe(md5(bodies[key as keyof typeof bodies]));
      expect(etag, key).toBe(`"${md5(body)}"`);
      // Metadata made again from the data file has S3's default content type.
      expect(contentType, key).toBe(key === 'crash/sound.csv' ? 'text/csv' : 'binary/octet-stream');
    }
    expect(setAside.some((path) => path.endsWith('no-data.csv._S3rver_metadata.json'))).toBe(true);
    expect(setAside.some((path) => path.endsWith('empty-metadata.csv._S3rver_metadata.json'))).toBe(true);
    expect((await readdir(directory)).filter((name) => name.endsWith(STAGED_SUFFIX))).toEqual([]);
  });

  it('finishes a write that a crash stopped between its metadata and its data', async () => {
    // Prepare: the new metadata is in place and names the staged data file, still aside.
    const directory = await newDirectory();
    const first = await startServer(directory);
    const key = 'crash/interrupted.csv';
    await first.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'old', ContentType: 'text/old' }),
    );
    await stopServer(first.server, first.client);
    const staged = `fedcba9876543210${STAGED_SUFFIX}`;
    const body = Buffer.from('new,body\n');
    await writeFile(join(directory, staged), body);
    const stored = {
      'content-type': 'text/new',
      [LOCAL_FIELD]: { md5: md5(body), size: body.length, staged },
    };
    await writeFile(join(directory, BUCKET, `${key}._S3rver_metadata.json`), JSON.stringify(stored));

    // Act
    const log: string[] = [];
    const { client } = await startServer(directory, log);
    const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));

    // Assess
    expect(await response.Body?.transformToString()).toBe('new,body\n');
    expect(response.ContentType).toBe('text/new');
    expect(response.ETag).toBe(`"${md5(body)}"`);
    expect(log).toEqual(['s3: repaired 1 and set aside 0 damaged object(s) left by a crash']);
    // The metadata now names its data file, which is what a read checks the pair by.
    const data = await stat(join(directory, BUCKET, `${key}._S3rver_object`), { bigint: true });
    const repaired = JSON.parse(
      await readFile(join(directory, BUCKET, `${key}._S3rver_metadata.json`), 'utf8'),
    );
    expect(repaired[LOCAL_FIELD].file).toBe(`${data.dev}:${data.ino}`);
  });
});
