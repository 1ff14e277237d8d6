import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandInput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { LargeImportJob } from '../../../../functions/large-import/job.ts';

const clientOptions = { region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

export const BUCKET = 'uploads';
export const TABLE = 'inventory';

const s3Error = (name: string, status: number): Error =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

/**
 * The slice of AWS the large-import steps use, in memory behind real SDK clients
 * (aws-sdk-client-mock answers their `send`): S3 objects (ranged and conditional reads,
 * writes, batch deletes), the inventory table's BatchWriteItem, and SNS publishes.
 */
export class MemoryCloud {
  readonly s3 = new S3Client(clientOptions);
  readonly dynamoDb = new DynamoDBClient(clientOptions);
  readonly sns = new SNSClient(clientOptions);
  readonly objects = new Map<string, { body: Buffer; etag: string; lastModified: Date }>();
  /** `store/item` → count, as last written. */
  readonly table = new Map<string, number>();
  readonly published: PublishCommandInput[] = [];
  readonly deleted: string[] = [];

  constructor() {
    const s3 = mockClient(this.s3);
    s3.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => this.#get(input));
    s3.on(PutObjectCommand).callsFake(async (input) => {
      const body =
        typeof input.Body === 'string' ? Buffer.from(input.Body) : Buffer.from(input.Body as Uint8Array);
      return { ETag: `"${this.put(input.Key ?? '', body)}"` };
    });
    s3.on(DeleteObjectsCommand).callsFake(async (input) => {
      for (const { Key } of input.Delete?.Objects ?? []) {
        this.deleted.push(Key ?? '');
        this.objects.delete(Key ?? '');
      }
      return {};
    });
    mockClient(this.dynamoDb)
      .on(BatchWriteItemCommand)
      .callsFake(async (input: BatchWriteItemCommandInput) => {
        for (const request of input.RequestItems?.[TABLE] ?? []) {
          const item = request.PutRequest?.Item;
          this.table.set(`${item?.store?.S}/${item?.item?.S}`, Number(item?.count?.N));
        }
        return {};
      });
    mockClient(this.sns)
      .on(PublishCommand)
      .callsFake(async (input: PublishCommandInput) => {
        this.published.push(input);
        return { MessageId: 'm1' };
      });
  }

  /** Stores an object in the uploads bucket; returns its (unquoted) ETag. */
  put(key: string, body: string | Uint8Array, lastModified = new Date('2025-04-01T08:00:00.000Z')): string {
    const bytes = Buffer.from(body);
    const etag = createHash('md5').update(bytes).digest('hex');
    this.objects.set(key, { body: bytes, etag, lastModified });
    return etag;
  }

  text(key: string): string | undefined {
    return this.objects.get(key)?.body.toString('utf8');
  }

  json(key: string): unknown {
    const text = this.text(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  #get(input: GetObjectCommandInput) {
    const stored = this.objects.get(input.Key ?? '');
    if (!stored) throw s3Error('NoSuchKey', 404);
    if (input.IfMatch !== undefined && input.IfMatch.replaceAll('"', '') !== stored.etag) {
      throw s3Error('PreconditionFailed', 412);
    }
    let body = stored.body;
    const range = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
    if (range) body = body.subarray(Number(range[1]), Number(range[2]) + 1);
    return {
      Body: Readable.from([body]),
      ETag: `"${stored.etag}"`,
      LastModified: stored.lastModified,
      ContentLength: body.length,
    };
  }
}

/** A job as the plan step leaves it, for a file stored under `key`. */
export function jobFor(
  cloud: MemoryCloud,
  key: string,
  overrides: Partial<LargeImportJob> = {},
): LargeImportJob {
  const etag = cloud.objects.get(key)?.etag ?? 'missing';
  return {
    executionName: 'import-test',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:stockroom-test-large-import:import-test',
    source: { bucket: BUCKET, key, etag },
    data: { bucket: BUCKET, key, etag },
    header: ['store', 'item', 'count'],
    updatedAt: '2025-04-01T08:00:00.000Z',
    partsPrefix: 'reports/inventory/.parts/import-test/',
    startedAt: '2025-04-01T09:00:00.000Z',
    ...overrides,
  };
}
