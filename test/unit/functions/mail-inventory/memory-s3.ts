import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

export interface StoredObject {
  body: Uint8Array;
  metadata: Record<string, string>;
}

/**
 * An in-memory bucket behind a real S3Client, for the two calls mailInventory makes: a
 * PutObject is kept (in `writes`, in order), a GetObject answers with a body that has the
 * SDK's `transformTo…` helpers, and a missing key is S3's NoSuchKey.
 */
export function memoryS3() {
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const objects = new Map<string, StoredObject>();
  const writes: string[] = [];
  const reads: string[] = [];
  const mock = mockClient(client);
  mock.on(PutObjectCommand).callsFake(async (input) => {
    const body =
      typeof input.Body === 'string' ? new TextEncoder().encode(input.Body) : (input.Body as Uint8Array);
    objects.set(`${input.Bucket}/${input.Key}`, { body, metadata: { ...(input.Metadata ?? {}) } });
    writes.push(`${input.Bucket}/${input.Key}`);
    return {};
  });
  mock.on(GetObjectCommand).callsFake(async (input) => {
    reads.push(`${input.Bucket}/${input.Key}`);
    const stored = objects.get(`${input.Bucket}/${input.Key}`);
    if (!stored)
      throw new NoSuchKey({
        message: 'The specified key does not exist.',
        $metadata: { httpStatusCode: 404 },
      });
    const body = {
      transformToByteArray: async () => stored.body,
      transformToString: async () => new TextDecoder().decode(stored.body),
    };
    return { Body: body as unknown as GetObjectCommandOutput['Body'] };
  });
  return {
    client,
    mock,
    writes,
    reads,
    put(bucket: string, key: string, body: string | Uint8Array) {
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      objects.set(`${bucket}/${key}`, { body: bytes, metadata: {} });
    },
    get(bucket: string, key: string): StoredObject | undefined {
      return objects.get(`${bucket}/${key}`);
    },
    json(bucket: string, key: string): unknown {
      const stored = objects.get(`${bucket}/${key}`);
      return stored ? JSON.parse(new TextDecoder().decode(stored.body)) : undefined;
    },
  };
}
