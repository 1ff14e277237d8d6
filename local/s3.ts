import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import S3rver from 's3rver';
import S3Error from 's3rver/lib/models/error.js';
import { element } from './aws-endpoint/query.ts';
import { PostPolicyError, type SpooledForm, spoolCheckedForm } from './s3-post-policy.ts';
import { holdUpUnderFaults, repairAfterCrash } from './s3-store.ts';
import { type LocalService, PortTakenError } from './service.ts';
import type { Json } from './service-config.ts';

/**
 * S3 stand-in: s3rver, with a store that holds up under faults (s3-store.ts), plus the two
 * things it does differently from S3.
 *
 * 1. Event keys. S3 URL-encodes `s3.object.key` in event notifications the way HTML
 *    forms are encoded (space → `+`, `/` kept; see
 *    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
 *    s3rver sends the raw key. `encodeS3EventKey` re-encodes it.
 * 2. Credentials. s3rver only knows its own key pair; the local cloud accepts any
 *    credentials, like the other stand-ins, so the AWS CLI works with whatever profile
 *    is configured.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** s3rver's event record (s3rver/lib/models/event.js) → the record S3 sends; `sequence` counts the events. */
export function s3EventRecord(
  raw: S3EventRecord,
  region: string,
  sequence: number,
  multipart = false,
): S3EventRecord {
  // s3rver's sequencer is the millisecond clock: two writes in one millisecond tie.
  // S3's sequencer grows for every event of a key; so does this one.
  const sequencer = `${Date.now().toString(16).toUpperCase()}${sequence.toString(16).toUpperCase().padStart(8, '0')}`;
  return {
    ...raw,
    awsRegion: region,
    eventName: multipart ? 'ObjectCreated:CompleteMultipartUpload' : raw.eventName,
    s3: {
      ...raw.s3,
      configurationId: 'local',
      bucket: { ...raw.s3.bucket, arn: `arn:aws:s3:::${raw.s3.bucket.name}` },
      object: { ...raw.s3.object, key: encodeS3EventKey(raw.s3.object.key), sequencer },
    },
  };
}

export interface S3StandIn extends LocalService {
  url: string;
  port: number;
}

const require = createRequire(import.meta.url);

let s3rverPatched = false;

/** s3rver's modules are patched once a process (they are shared by every server). */
function patchS3rver(): void {
  if (s3rverPatched) return;
  s3rverPatched = true;
  acceptAnyCredentials();
  markMultipartCompletions();
  enforcePostPolicies();
}

function acceptAnyCredentials(): void {
  const { registry, DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as {
    registry: Map<string, unknown>;
    DUMMY_ACCOUNT: unknown;
  };
  const get = registry.get.bind(registry);
  registry.get = (accessKeyId: string) => get(accessKeyId) ?? DUMMY_ACCOUNT;
}

/** Set while s3rver completes a multipart upload: its event is emitted inside. */
const completingMultipartUpload = new AsyncLocalStorage<true>();

function markMultipartCompletions(): void {
  const controllers = require('s3rver/lib/controllers/object.js') as {
    completeMultipartUpload(ctx: unknown): Promise<unknown>;
  };
  const complete = controllers.completeMultipartUpload.bind(controllers);
  controllers.completeMultipartUpload = (ctx) => completingMultipartUpload.run(true, () => complete(ctx));
}

interface PostContext {
  req: IncomingMessage | Readable;
  headers: IncomingHttpHeaders;
  params: { bucket: string };
  is(type: string): string | false | null;
}

/**
 * s3rver accepts any browser upload (POST) and ignores its policy. S3 refuses one whose
 * policy has expired, whose fields break a condition or go beyond the conditions, or whose
 * file is outside `content-length-range` — so does the local S3 (see s3-post-policy.ts),
 * answering with S3's error codes. The form is spooled to a temporary file while it is
 * checked (the fields come before the file), then handed to s3rver's upload as it came.
 */
function enforcePostPolicies(): void {
  const controllers = require('s3rver/lib/controllers/object.js') as {
    postObject(ctx: PostContext): Promise<unknown>;
  };
  const upload = controllers.postObject.bind(controllers);
  controllers.postObject = async (ctx) => {
    // s3rver answers a POST that is not a form itself.
    if (!ctx.is('multipart/form-data')) return upload(ctx);
    let form: SpooledForm;
    try {
      form = await spoolCheckedForm(ctx.req as IncomingMessage, ctx.headers, ctx.params.bucket);
    } catch (error) {
      if (error instanceof PostPolicyError) throw new S3Error(error.code, error.message);
      throw error;
    }
    try {
      ctx.req = form.replay();
      return await upload(ctx);
    } finally {
      await form.remove();
    }
  };
}

/** CloudFormation CorsConfiguration → the S3 XML that s3rver's configureBuckets takes. */
export function corsXml(cors: Json): string | undefined {
  const rules = (cors as { CorsRules?: Record<string, Json>[] } | null)?.CorsRules;
  if (!Array.isArray(rules) || rules.length === 0) return undefined;
  const elements = (name: string, values: Json | undefined): string =>
    [values ?? []]
      .flat()
      .map((value) => element(name, String(value)))
      .join('');
  const body = rules
    .map(
      (rule) =>
        `<CORSRule>${elements('AllowedOrigin', rule.AllowedOrigins)}${elements('AllowedMethod', rule.AllowedMethods)}${elements('AllowedHeader', rule.AllowedHeaders)}${elements('ExposeHeader', rule.ExposedHeaders)}${elements('MaxAgeSeconds', rule.MaxAge)}</CORSRule>`,
    )
    .join('');
  return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</CORSConfiguration>`;
}

export interface S3StandInOptions {
  port: number;
  directory: string;
  /** With CloudFormation's `CorsConfiguration`, applied so that browser uploads work locally too. */
  buckets: { name: string; cors?: Json }[];
  region: string;
  onEvent: (record: S3EventRecord) => void;
  /** Where the repairs made at the start are reported (see s3-store.ts). */
  log?: (line: string) => void;
}

export async function startS3(options: S3StandInOptions): Promise<S3StandIn> {
  patchS3rver();
  const report = await repairAfterCrash(options.directory);
  if (report) (options.log ?? console.warn)(report);
  let sequence = 0;
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    directory: options.directory,
    silent: true,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((bucket) => {
      const xml = bucket.cors === undefined ? undefined : corsXml(bucket.cors);
      return { name: bucket.name, configs: xml ? [xml] : [] };
    }),
  });
  holdUpUnderFaults(server.store);
  server.on('event', (event: S3Event) => {
    for (const raw of event.Records) {
      sequence += 1;
      // s3rver names a completed multipart upload's event as it names a form upload's.
      const completed =
        raw.eventName === 'ObjectCreated:Post' && completingMultipartUpload.getStore() === true;
      options.onEvent(s3EventRecord(raw, options.region, sequence, completed));
    }
  });
  const taken = (error: NodeJS.ErrnoException) => error.code === 'EADDRINUSE';
  const { port } = (await server.run().catch((error: NodeJS.ErrnoException) => {
    throw taken(error) ? new PortTakenError('S3', options.port, 's3', { cause: error }) : error;
  })) as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const unanswered = (error: Error) => `S3 does not answer on ${url}: ${error.message}`;
  return {
    ...{ name: 's3', url, port, ports: { s3: port } },
    health: async () => fetch(`${url}/`, { method: 'HEAD' }).then(() => 'ok', unanswered),
    stop: () => server.close(),
  };
}
