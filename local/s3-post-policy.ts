import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

/**
 * POST policies of browser uploads (presigned POSTs), checked as S3 checks them
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html):
 * the policy must not have expired, every condition must hold, every form field must be
 * covered by a condition, and the file's size must be within `content-length-range`.
 * The signature itself is not checked: the local cloud accepts any credentials.
 */

export class PostPolicyError extends Error {
  constructor(
    /** S3's error code: AccessDenied (403), InvalidPolicyDocument, EntityTooLarge or EntityTooSmall (400). */
    readonly code: 'AccessDenied' | 'InvalidPolicyDocument' | 'EntityTooLarge' | 'EntityTooSmall',
    message: string,
  ) {
    super(message);
    this.name = 'PostPolicyError';
  }
}

const accessDenied = (message: string) => new PostPolicyError('AccessDenied', message);
const invalidPolicy = (message: string) =>
  new PostPolicyError('InvalidPolicyDocument', `Invalid Policy: ${message}`);

/** The file size a policy allows, in bytes (inclusive). */
export interface AllowedSize {
  min: number;
  max: number;
}

/** Form fields that need no condition (names in lower case). */
const EXEMPT_FIELDS = new Set(['policy', 'x-amz-signature', 'file']);

/**
 * Checks a POST upload's form fields (names in lower case, the file excluded) against its
 * policy; returns the size range the file must be in, or throws a `PostPolicyError`.
 */
export function checkPostPolicy(options: {
  fields: ReadonlyMap<string, string>;
  bucket: string;
  now: Date;
}): AllowedSize {
  const { fields, bucket, now } = options;
  const encoded = fields.get('policy');
  if (encoded === undefined) {
    throw accessDenied('Access Denied: the bucket is private, and a POST without a policy is anonymous');
  }
  const policy = decodePolicy(encoded);
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : Number.NaN;
  if (Number.isNaN(expiration)) throw invalidPolicy('Policy missing expiration.');
  if (expiration <= now.getTime()) throw accessDenied('Invalid according to Policy: Policy expired.');
  if (!Array.isArray(policy.conditions)) throw invalidPolicy('Policy missing conditions.');
  const form: Form = {
    value: (name) => fields.get(name) ?? (name === 'bucket' ? bucket : undefined),
    covered: new Set<string>(),
    size: { min: 0, max: Number.POSITIVE_INFINITY },
  };
  for (const condition of policy.conditions as unknown[]) applyCondition(condition, form);
  const extra = [...fields.keys()].filter(
    (name) => !EXEMPT_FIELDS.has(name) && !name.startsWith('x-ignore-') && !form.covered.has(name),
  );
  if (extra.length > 0)
    throw accessDenied(`Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
  return form.size;
}

interface Form {
  value: (name: string) => string | undefined;
  /** The fields a condition names. */
  covered: Set<string>;
  size: AllowedSize;
}

/** One condition: `["eq"|"starts-with", "$field", value]`, `{field: value}` or `["content-length-range", min, max]`. */
function applyCondition(condition: unknown, form: Form): void {
  const invalid = (what: string) => invalidPolicy(`Invalid ${what} ${JSON.stringify(condition)}`);
  let name: string;
  let holds: (actual: string | undefined) => boolean;
  if (Array.isArray(condition)) {
    const [operator, first, second] = condition as unknown[];
    if (operator === 'content-length-range') {
      const [min, max] = [Number(first), Number(second)];
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
        throw invalid('content-length-range');
      }
      form.size.min = Math.max(form.size.min, min);
      form.size.max = Math.min(form.size.max, max);
      return;
    }
    if (
      (operator !== 'eq' && operator !== 'starts-with') ||
      typeof first !== 'string' ||
      !first.startsWith('$')
    ) {
      throw invalid('condition');
    }
    name = first.slice(1).toLowerCase();
    const expected = String(second ?? '');
    holds = (actual) => {
      if (operator === 'eq') return actual === expected;
      return actual === undefined ? expected === '' : actual.startsWith(expected);
    };
  } else {
    const entries = condition !== null && typeof condition === 'object' ? Object.entries(condition) : [];
    const [entry] = entries;
    if (entries.length !== 1 || !entry) throw invalid('condition');
    name = entry[0].toLowerCase();
    holds = (actual) => actual === String(entry[1]);
  }
  form.covered.add(name);
  if (!holds(form.value(name))) {
    throw accessDenied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
  }
}

/** Checks the uploaded file's size against what the policy allows. */
export function checkUploadSize(bytes: number, allowed: AllowedSize): void {
  if (bytes > allowed.max) {
    throw new PostPolicyError(
      'EntityTooLarge',
      `Your proposed upload exceeds the maximum allowed size (${bytes} bytes; at most ${allowed.max})`,
    );
  }
  if (bytes < allowed.min) {
    throw new PostPolicyError(
      'EntityTooSmall',
      `Your proposed upload is smaller than the minimum allowed size (${bytes} bytes; at least ${allowed.min})`,
    );
  }
}

function decodePolicy(encoded: string): { expiration?: unknown; conditions?: unknown } {
  try {
    const policy: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    if (policy !== null && typeof policy === 'object' && !Array.isArray(policy)) return policy;
  } catch {
    // Reported below.
  }
  throw invalidPolicy('Invalid JSON.');
}

export interface SpooledForm {
  replay(): Readable;
  remove(): Promise<void>;
}

/**
 * Reads a POST form to a temporary file, checking its policy and file size on the way
 * (the fields come before the file), so that it can then be handed to s3rver as it came.
 */
export async function spoolCheckedForm(
  request: IncomingMessage,
  headers: IncomingHttpHeaders,
  bucket: string,
): Promise<SpooledForm> {
  const path = join(tmpdir(), `stockroom-s3-post-${randomUUID()}`);
  const remove = () => rm(path, { force: true });
  const spool = createWriteStream(path);
  try {
    const { allowed, fileBytes } = await readCheckedForm(request, headers, bucket, spool);
    // Without a file, s3rver's own answer follows ("POST requires exactly one file upload").
    if (allowed !== undefined) checkUploadSize(fileBytes, allowed);
  } catch (error) {
    spool.destroy();
    await remove();
    throw error;
  }
  return { replay: () => createReadStream(path), remove };
}

/** Pipes the request both into the spool and through busboy, which fails it as soon as the form breaks its policy. */
function readCheckedForm(
  request: IncomingMessage,
  headers: IncomingHttpHeaders,
  bucket: string,
  spool: WriteStream,
): Promise<{ allowed: AllowedSize | undefined; fileBytes: number }> {
  const Busboy = require('busboy') as new (options: {
    headers: IncomingHttpHeaders;
  }) => NodeJS.WritableStream & NodeJS.EventEmitter;
  const form = new Busboy({ headers });
  const fields = new Map<string, string>();
  let allowed: AllowedSize | undefined;
  let fileBytes = 0;
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => {
      request.unpipe(form);
      request.unpipe(spool);
      reject(error);
    };
    const guarded = (action: () => void, file?: Readable): void => {
      try {
        action();
      } catch (error) {
        file?.resume();
        fail(error);
      }
    };
    // Fields after the file are ignored, as by S3; the policy is checked once they are all in.
    const fileStarts = (): boolean => {
      if (allowed !== undefined) return false;
      allowed = checkPostPolicy({ fields, bucket, now: new Date() });
      return true;
    };
    form.on('field', (name: string, value: string) => {
      if (allowed !== undefined) return;
      if (name !== 'file') return fields.set(name.toLowerCase(), value);
      guarded(() => {
        fileStarts();
        fileBytes = Buffer.byteLength(value);
      });
    });
    form.on('file', (name: string, file: Readable) =>
      guarded(() => {
        if (name !== 'file' || !fileStarts()) return file.resume();
        file.on('data', (chunk: Buffer) => {
          fileBytes += chunk.length;
          // Refused as soon as it is too large, not after the whole of it has arrived.
          const limit = allowed;
          if (limit && fileBytes > limit.max) guarded(() => checkUploadSize(fileBytes, limit), file);
        });
      }, file),
    );
    // `once` rejects on the stream's 'error' too.
    Promise.all([once(form, 'finish'), once(spool, 'finish')]).then(
      () => resolve({ allowed, fileBytes }),
      fail,
    );
    request.on('error', fail);
    request.pipe(form);
    request.pipe(spool);
  });
}
