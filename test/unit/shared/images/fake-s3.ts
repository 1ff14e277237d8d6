import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

export interface StoredObject {
  body: Buffer;
  contentType?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
  etag: string;
  versionId?: string;
}

type CommandName = 'GetObject' | 'HeadObject' | 'PutObject' | 'DeleteObject' | 'ListObjectsV2';

/**
 * A small in-memory S3 behind a real `S3Client` (aws-sdk-client-mock answers its `send`),
 * with the behaviour the thumbnailer relies on: 404s as S3 names them, user metadata,
 * listing by prefix in pages, and injectable faults.
 */
export class FakeS3 {
  readonly client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  readonly calls: { command: CommandName; bucket: string; key?: string }[] = [];
  /** Objects per ListObjectsV2 page (S3: 1000), small to exercise pagination. */
  listPageSize = 1000;
  readonly #faults: { command: CommandName; key?: string; error: Error }[] = [];
  readonly #slow: { command: CommandName; key: string; ms: number }[] = [];
  #version = 0;

  /**
   * `deniesMissingIn`: a bucket where a read of a missing key answers 403 AccessDenied, as S3
   * does for a caller whose ListBucket grant does not cover the read.
   */
  constructor(options: { versioned?: boolean; deniesMissingIn?: string } = {}) {
    const missing = (bucket: string | undefined, notFound: () => Error): Error =>
      bucket === options.deniesMissingIn
        ? new S3ServiceException({
            name: 'AccessDenied',
            $fault: 'client',
            $metadata: { httpStatusCode: 403 },
            message: 'Access Denied',
          })
        : notFound();
    const mock = mockClient(this.client);
    mock.on(PutObjectCommand).callsFake(async (input) => {
      this.#record('PutObject', input.Bucket, input.Key);
      await this.#latency('PutObject', input.Key);
      const body =
        typeof input.Body === 'string' ? Buffer.from(input.Body) : Buffer.from(input.Body as Uint8Array);
      const stored: StoredObject = {
        body,
        contentType: input.ContentType,
        cacheControl: input.CacheControl,
        metadata: { ...(input.Metadata ?? {}) },
        etag: createHash('md5').update(body).digest('hex'),
        ...(options.versioned && { versionId: `v${++this.#version}` }),
      };
      this.#bucket(input.Bucket).set(input.Key ?? '', stored);
      return { ETag: `"${stored.etag}"`, VersionId: stored.versionId };
    });
    mock.on(GetObjectCommand).callsFake(async (input) => {
      this.#record('GetObject', input.Bucket, input.Key);
      const stored = this.#bucket(input.Bucket).get(input.Key ?? '');
      if (!stored)
        throw missing(
          input.Bucket,
          () =>
            new NoSuchKey({
              message: 'The specified key does not exist.',
              $metadata: { httpStatusCode: 404 },
            }),
        );
      return {
        Body: Readable.from(chunks(stored.body, 7_000)),
        ContentLength: stored.body.length,
        ContentType: stored.contentType,
        ETag: `"${stored.etag}"`,
        VersionId: stored.versionId,
        Metadata: stored.metadata,
      };
    });
    mock.on(HeadObjectCommand).callsFake(async (input) => {
      this.#record('HeadObject', input.Bucket, input.Key);
      const stored = this.#bucket(input.Bucket).get(input.Key ?? '');
      if (!stored)
        throw missing(
          input.Bucket,
          () => new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
        );
      return {
        ContentLength: stored.body.length,
        ContentType: stored.contentType,
        ETag: `"${stored.etag}"`,
        VersionId: stored.versionId,
        Metadata: stored.metadata,
      };
    });
    mock.on(DeleteObjectCommand).callsFake(async (input) => {
      this.#record('DeleteObject', input.Bucket, input.Key);
      this.#bucket(input.Bucket).delete(input.Key ?? '');
      return {};
    });
    mock.on(ListObjectsV2Command).callsFake(async (input) => {
      this.#record('ListObjectsV2', input.Bucket, input.Prefix);
      const keys = [...this.#bucket(input.Bucket).keys()]
        .filter((key) => key.startsWith(input.Prefix ?? ''))
        .sort();
      const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
      const page = keys.slice(start, start + this.listPageSize);
      const next = start + page.length;
      return {
        Contents: page.map((key) => ({ Key: key })),
        KeyCount: page.length,
        IsTruncated: next < keys.length,
        ...(next < keys.length && { NextContinuationToken: String(next) }),
      };
    });
  }

  put(
    bucket: string,
    key: string,
    body: Buffer | string,
    metadata: Record<string, string> = {},
  ): StoredObject {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const stored: StoredObject = {
      body: bytes,
      metadata,
      etag: createHash('md5').update(bytes).digest('hex'),
    };
    this.#bucket(bucket).set(key, stored);
    return stored;
  }

  get(bucket: string, key: string): StoredObject | undefined {
    return this.#bucket(bucket).get(key);
  }

  keys(bucket: string): string[] {
    return [...this.#bucket(bucket).keys()].sort();
  }

  json(bucket: string, key: string): unknown {
    const stored = this.get(bucket, key);
    return stored ? JSON.parse(stored.body.toString('utf8')) : undefined;
  }

  callsOf(command: CommandName): { bucket: string; key?: string }[] {
    return this.calls.filter((call) => call.command === command);
  }

  /** The next `command` (on `key`, if given) fails with `error`. */
  failNext(command: CommandName, error: Error, key?: string): void {
    this.#faults.push({ command, error, ...(key !== undefined && { key }) });
  }

  /** The next PutObject of `key` takes effect (and answers) only after `ms`. */
  slowNext(command: 'PutObject', key: string, ms: number): void {
    this.#slow.push({ command, key, ms });
  }

  async #latency(command: CommandName, key: string | undefined): Promise<void> {
    const index = this.#slow.findIndex((slow) => slow.command === command && slow.key === key);
    if (index < 0) return;
    const [slow] = this.#slow.splice(index, 1);
    await new Promise((resolve) => setTimeout(resolve, slow?.ms));
  }

  #record(command: CommandName, bucket: string | undefined, key: string | undefined): void {
    this.calls.push({ command, bucket: bucket ?? '', ...(key !== undefined && { key }) });
    const index = this.#faults.findIndex(
      (fault) => fault.command === command && (fault.key === undefined || fault.key === key),
    );
    if (index >= 0) {
      const [fault] = this.#faults.splice(index, 1);
      if (fault) throw fault.error;
    }
  }

  #bucket(name: string | undefined): Map<string, StoredObject> {
    const bucketName = name ?? '';
    let bucket = this.buckets.get(bucketName);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(bucketName, bucket);
    }
    return bucket;
  }
}

function* chunks(buffer: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

/** What S3 answers when it is overloaded: a retryable 503. */
export function slowDown(): S3ServiceException {
  return new S3ServiceException({
    name: 'SlowDown',
    $fault: 'server',
    $metadata: { httpStatusCode: 503 },
    message: 'Please reduce your request rate.',
  });
}
