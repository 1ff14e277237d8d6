/**
 * Sample events shaped exactly as the local cloud delivers them, because they are built by
 * the local cloud's own code: s3rver's notification builder and the record S3 sends
 * (local/s3.ts), the stream-record conversion of the event-source mapping
 * (local/stream-consumer.ts), and the HTTP API's payload 2.0 event (local/http-api.ts).
 * `npm run event` (scripts/event.ts) prints them; `events/*.json` are made from SAMPLES.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import type { _Record, AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import S3Event from 's3rver/lib/models/event.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, LOCAL_STAGE } from '../local/cloud.ts';
import { compileRoute, httpRoutes, matchRoute, toEventV2 } from '../local/http-api.ts';
import { LocalFunction } from '../local/lambda-runtime.ts';
import { StackResources } from '../local/resources.ts';
import { s3EventRecord } from '../local/s3.ts';
import { PORT_VARIABLES } from '../local/service.ts';
import { loadServiceConfig } from '../local/service-config.ts';
import { streamEvent } from '../local/stream-consumer.ts';
import { importStamp, inventoryPutRequest } from '../shared/inventory/table.ts';

export const EVENT_KINDS = [
  's3-put',
  's3-delete',
  'stream-insert',
  'stream-modify',
  'stream-remove',
  'http-get',
  'http-post',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** What a sample is about; each kind reads the options it needs and defaults the rest. */
export interface SampleOptions {
  /** S3: the object's key (not encoded: the builder encodes it as S3 does). */
  key?: string;
  /** S3: `uploads` (default), `thumbnails`, or a bucket's name. */
  bucket?: string;
  /** S3 put: the object's size in bytes; with `content`, its bytes give size and ETag. */
  size?: number;
  content?: Buffer;
  /** Streams: the inventory item, its count after the write and before it. */
  store?: string;
  item?: string;
  count?: number;
  oldCount?: number;
  /** HTTP: the path with its query string, extra headers, and a body for a POST. */
  path?: string;
  headers?: [string, string][];
  body?: string;
}

/** A command line that does not say what sample to make. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag} ${value}: expected a whole number`);
  return Number(value);
}

const string = { type: 'string' } as const;
const parseFlags = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...{ key: string, bucket: string, size: string, file: string, out: string, body: string, path: string },
      ...{ store: string, item: string, count: string, 'old-count': string },
      header: { type: 'string', multiple: true },
    },
  });

/** `<kind> [path] [--flag value …]`, as `npm run event` takes it. */
export function sampleFromArgs(args: string[]): { kind: EventKind; options: SampleOptions; out?: string } {
  const [kind, ...rest] = args;
  if (!(EVENT_KINDS as readonly (string | undefined)[]).includes(kind)) {
    throw new UsageError(`Unknown kind "${kind}": one of ${EVENT_KINDS.join(', ')}.`);
  }
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(rest);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  const headers = (values.header ?? []).map((header): [string, string] => {
    const colon = header.indexOf(':');
    if (colon < 1) throw new UsageError(`--header ${header}: expected 'name: value'`);
    return [header.slice(0, colon).trim(), header.slice(colon + 1).trim()];
  });
  const path = values.path ?? parsed.positionals[0];
  if (path !== undefined && !path.startsWith('/'))
    throw new UsageError(`${path}: an HTTP path starts with /`);
  let content: Buffer | undefined;
  try {
    content = values.file === undefined ? undefined : readFileSync(values.file);
  } catch (error) {
    throw new UsageError(`--file ${values.file}: ${(error as Error).message}`);
  }
  const options: SampleOptions = {
    ...{ key: values.key, bucket: values.bucket, size: wholeNumber(values.size, 'size'), content },
    ...{ store: values.store, item: values.item, count: wholeNumber(values.count, 'count') },
    ...{ oldCount: wholeNumber(values['old-count'], 'old-count'), path, headers, body: values.body },
  };
  return { kind: kind as EventKind, options, ...(values.out === undefined ? {} : { out: values.out }) };
}

/** The `local` stage's stack, as the local cloud resolves it from serverless.yml. */
export async function localStack(): Promise<StackResources> {
  const config = await loadServiceConfig(LOCAL_STAGE, LOCAL_REGION);
  const account = {
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    stackName: `${config.service}-${LOCAL_STAGE}`,
  };
  return new StackResources(config, account);
}

export function buildEvent(kind: EventKind, options: SampleOptions, stack: StackResources): unknown {
  switch (kind) {
    case 's3-put':
    case 's3-delete':
      return s3Event(kind, options, stack);
    case 'stream-insert':
    case 'stream-modify':
    case 'stream-remove':
      return inventoryStreamEvent(kind, options, stack);
    case 'http-get':
    case 'http-post':
      return httpEvent(kind === 'http-get' ? 'GET' : 'POST', options, stack);
  }
}

function bucketName(bucket: string | undefined, stack: StackResources): string {
  if (bucket === undefined || bucket === 'uploads') return stack.ref('S3BucketUploads');
  return bucket === 'thumbnails' ? stack.ref('ThumbnailsBucket') : bucket;
}

let s3Sequence = 0;

/** What s3rver emits for a PUT or DELETE, then what the local S3 makes of it (local/s3.ts). */
function s3Event(kind: 's3-put' | 's3-delete', options: SampleOptions, stack: StackResources) {
  const key = options.key ?? 'images/sample.jpg';
  const content = options.content ?? Buffer.alloc(options.size ?? 1024);
  const etag = JSON.stringify(createHash('md5').update(content).digest('hex'));
  const S3Item = kind === 's3-put' ? { key, size: content.length, metadata: { etag } } : { key };
  const bucket = bucketName(options.bucket, stack);
  const host = { reqHeaders: { host: `127.0.0.1:${PORT_VARIABLES.s3[1]}` }, sourceIp: '127.0.0.1' };
  const eventType = kind === 's3-put' ? 'Put' : 'Delete';
  const { Records } = new S3Event({ eventType, bucket, S3Item }, host);
  s3Sequence += 1;
  return { Records: Records.map((raw) => s3EventRecord(raw, stack.account.region, s3Sequence)) };
}

/** An item as the inventory import writes it (shared/inventory/table.ts, the table's owner). */
function inventoryImage(store: string, item: string, count: number, stack: StackResources) {
  const source = { bucket: stack.ref('S3BucketUploads'), key: 'inventory/counts.csv', etag: '0'.repeat(32) };
  const request = inventoryPutRequest({ store, item, count }, importStamp(source, new Date().toISOString()));
  return request.PutRequest?.Item as Record<string, AttributeValue>;
}

/** An item's size as DynamoDB counts it (names and values, in bytes), near enough for a sample. */
function itemSize(image: Record<string, AttributeValue>): number {
  const sizeOf = (value: AttributeValue): number => {
    if (value.S !== undefined) return Buffer.byteLength(value.S);
    if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\./g, '').length / 2) + 1;
    if (value.M !== undefined) return 3 + itemSize(value.M);
    return 1;
  };
  return Object.entries(image).reduce(
    (total, [name, value]) => total + Buffer.byteLength(name) + sizeOf(value),
    0,
  );
}

let streamSequence = 0;

/**
 * A change to an inventory item as the Streams API returns it (what DynamoDB Local gives the
 * event-source mapping), converted to Lambda's event by the mapping's own code. The images
 * follow the table's StreamViewType.
 */
function inventoryStreamEvent(
  kind: 'stream-insert' | 'stream-modify' | 'stream-remove',
  options: SampleOptions,
  stack: StackResources,
) {
  const table = stack.resources.InventoryTable?.Properties as {
    KeySchema: { AttributeName: string }[];
    StreamSpecification?: { StreamViewType?: string };
  };
  const { store = 'Berlin', item = 'apple' } = options;
  const eventName = (
    { 'stream-insert': 'INSERT', 'stream-modify': 'MODIFY', 'stream-remove': 'REMOVE' } as const
  )[kind];
  const count = options.count ?? (eventName === 'INSERT' ? 12 : 0);
  const newImage = eventName === 'REMOVE' ? undefined : inventoryImage(store, item, count, stack);
  const oldImage =
    eventName === 'INSERT' ? undefined : inventoryImage(store, item, options.oldCount ?? 3, stack);
  const image = (newImage ?? oldImage) as Record<string, AttributeValue>;
  const Keys: Record<string, AttributeValue> = {};
  for (const { AttributeName } of table.KeySchema)
    Keys[AttributeName] = image[AttributeName] ?? { NULL: true };
  const view = table.StreamSpecification?.StreamViewType ?? 'NEW_AND_OLD_IMAGES';
  const images = {
    ...(newImage && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? { NewImage: newImage } : {}),
    ...(oldImage && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? { OldImage: oldImage } : {}),
  };
  streamSequence += 1;
  const now = new Date();
  const record: _Record = {
    eventID: randomUUID(),
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: stack.account.region,
    dynamodb: {
      ApproximateCreationDateTime: now,
      Keys,
      ...images,
      SequenceNumber: `${now.getTime()}${String(streamSequence).padStart(9, '0')}`,
      SizeBytes: itemSize(Keys) + itemSize(images.NewImage ?? {}) + itemSize(images.OldImage ?? {}),
      StreamViewType: view as 'NEW_AND_OLD_IMAGES',
    },
  };
  const streamArn = `${stack.getAtt('InventoryTable', 'Arn')}/stream/${now.toISOString().replace('Z', '')}`;
  return streamEvent([record], streamArn, stack.account.region);
}

/** A request as the local HTTP API receives it from curl, turned into the event of the route it matches. */
function httpEvent(method: 'GET' | 'POST', options: SampleOptions, stack: StackResources) {
  const port = PORT_VARIABLES.http[1];
  const body = Buffer.from(options.body ?? '');
  const request = new IncomingMessage(new Socket());
  request.method = method;
  request.url = options.path ?? '/';
  request.httpVersion = '1.1';
  const headers: [string, string][] = [
    ['Host', `127.0.0.1:${port}`],
    ['User-Agent', 'curl/8.5.0'],
    ['Accept', '*/*'],
    ...(body.length > 0 ? ([['Content-Length', String(body.length)]] as [string, string][]) : []),
    ...(options.headers ?? []),
  ];
  request.rawHeaders = headers.flat();
  // Never loaded or invoked: the functions only carry their serverless.yml events to the router.
  const functions = Object.entries(stack.config.functions).map(
    ([key, definition]) =>
      new LocalFunction(key, definition, {
        stack,
        baseEnvironment: {},
        environmentOverrides: {},
        localEnvironment: {},
        onInvocation: () => undefined,
      }),
  );
  const routes = httpRoutes(functions).map(compileRoute);
  const pathname = new URL(request.url, 'http://localhost').pathname;
  const matched = matchRoute(routes, method, pathname);
  if (!matched) throw new Error(`No httpApi route of serverless.yml matches ${method} ${pathname}`);
  return toEventV2(request, body, matched.route, matched.pathParameters, {
    accountId: LOCAL_ACCOUNT_ID,
    port,
  });
}

/** The committed samples under events/, and the `npm run event` arguments that make each. */
export const SAMPLES: { file: string; args: string[] }[] = [
  { file: 'events/s3-put-image.json', args: ['s3-put', '--key', 'images/red shoe.jpg', '--size', '48213'] },
  { file: 'events/s3-delete-image.json', args: ['s3-delete', '--key', 'images/red shoe.jpg'] },
  { file: 'events/s3-put-inventory.json', args: ['s3-put', '--key', 'inventory/counts.csv', '--size', '61'] },
  {
    file: 'events/stream-insert.json',
    args: ['stream-insert', '--store', 'Berlin', '--item', 'apple', '--count', '12'],
  },
  {
    file: 'events/stream-modify-out-of-stock.json',
    args: [
      'stream-modify',
      '--store',
      'Berlin',
      '--item',
      'pear, conference',
      '--old-count',
      '3',
      '--count',
      '0',
    ],
  },
  { file: 'events/http-get-home.json', args: ['http-get', '/'] },
  { file: 'events/http-get-store-items.json', args: ['http-get', '/api/stores/Berlin/items'] },
];
