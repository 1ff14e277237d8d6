import type { S3Client } from '@aws-sdk/client-s3';
import type { InputBuffers } from './input-buffers.ts';
import { openSource } from './objects.ts';
import type { SourceReference } from './report.ts';

type Buffers = Pick<InputBuffers, 'take' | 'give'>;

/**
 * Reads a GetObject body into ONE buffer, sized from Content-Length up front. sharp needs
 * the whole encoded file anyway (libvips seeks in it; given a stream, sharp concatenates the
 * chunks itself before it decodes a pixel, so streaming into sharp would not overlap decoding
 * with the download), so this is the same memory without the extra concatenated copy, and it
 * stops — undefined — the moment the body outgrows the byte limit.
 *
 * The memory comes from `buffers` (default: a new buffer each time); the result is a view
 * of it, to be given back to `buffers` once nothing reads it any more. When the body fails
 * (or is destroyed) part-way, the memory goes back to `buffers` and the error is thrown.
 */
export async function readBody(
  body: unknown,
  declaredLength: number | undefined,
  maxBytes: number,
  buffers: Buffers = freshBuffers,
): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (!isAsyncIterable(body)) throw new TypeError('GetObject returned a body that is not a stream');
  let buffer = buffers.take(Math.min(maxBytes, declaredLength ?? 64 * 1024));
  let length = 0;
  try {
    for await (const chunk of body) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
      if (length + bytes.length > maxBytes) {
        discard(body);
        buffers.give(buffer);
        return undefined;
      }
      if (length + bytes.length > buffer.length) {
        const grown = buffers.take(Math.min(maxBytes, Math.max(buffer.length * 2, length + bytes.length)));
        buffer.copy(grown, 0, 0, length);
        buffers.give(buffer);
        buffer = grown;
      }
      buffer.set(bytes, length);
      length += bytes.length;
    }
  } catch (error) {
    buffers.give(buffer);
    throw error;
  }
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}

/** Stops reading a body that is not needed (its socket goes back to the pool). */
export function discard(body: unknown): void {
  if (body && typeof body === 'object' && 'destroy' in body && typeof body.destroy === 'function') {
    body.destroy();
  }
}

/** What a source download came to. */
export type DownloadedSource =
  | { kind: 'read'; source: SourceReference; body: Buffer }
  | { kind: 'missing' }
  /** Over the byte limit, from Content-Length or while reading (then `size` is limit + 1). */
  | { kind: 'too_large'; source: SourceReference; size: number }
  /** `stop()` was called before the body was read. */
  | { kind: 'stopped' };

/** A GetObject under way, read to the end unless stopped. */
export interface SourceDownload {
  /** Marked as handled: a failure is seen where `result` is awaited, never as an unhandled rejection. */
  readonly result: Promise<DownloadedSource>;
  /**
   * Ends the download (the event turned out to be stale, or the check beside it failed) and
   * gives the memory it read into back to `buffers`. Resolves once nothing reads it.
   */
  stop(): Promise<void>;
}

/**
 * GetObject of the source (see openSource: the key as it is NOW), its body read into memory
 * from `buffers` as soon as the response starts, within `maxBytes`. The caller runs the
 * staleness check meanwhile: the download overlaps that round trip instead of following it,
 * and a stale event (rare) stops it.
 */
export function downloadSource(
  s3: S3Client,
  object: { bucket: string; key: string },
  maxBytes: number,
  buffers: Buffers = freshBuffers,
): SourceDownload {
  let stopped = false;
  let body: unknown;
  const read = async (): Promise<DownloadedSource> => {
    const opened = await openSource(s3, object);
    if (opened === undefined) return { kind: 'missing' };
    const { response, source } = opened;
    const declared = response.ContentLength;
    if (stopped || (declared !== undefined && declared > maxBytes)) {
      discard(response.Body);
      return stopped ? { kind: 'stopped' } : { kind: 'too_large', source, size: declared ?? 0 };
    }
    body = response.Body;
    const bytes = await readBody(response.Body, declared, maxBytes, buffers);
    if (bytes === undefined) return { kind: 'too_large', source, size: maxBytes + 1 };
    return { kind: 'read', source, body: bytes };
  };
  const result = read();
  result.catch(() => undefined);
  return {
    result,
    async stop() {
      stopped = true;
      discard(body);
      const ended = await result.catch(() => undefined);
      if (ended?.kind === 'read') buffers.give(ended.body);
    },
  };
}

const freshBuffers: Buffers = {
  take: (size: number) => Buffer.allocUnsafe(size),
  give: () => undefined,
};

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
