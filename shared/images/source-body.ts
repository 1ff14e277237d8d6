import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { InputBuffers } from './input-buffers.ts';

/**
 * Reads a GetObject body into ONE buffer, sized from Content-Length up front. sharp needs
 * the whole encoded file anyway (libvips seeks in it; given a stream, sharp concatenates the
 * chunks itself), so this is the same memory without the extra concatenated copy, and it
 * stops — undefined — the moment the body outgrows the byte limit.
 *
 * The memory comes from `buffers` (default: a new buffer each time); the result is a view
 * of it, to be given back to `buffers` once nothing reads it any more.
 */
export async function readBody(
  body: unknown,
  declaredLength: number | undefined,
  maxBytes: number,
  buffers: Pick<InputBuffers, 'take' | 'give'> = freshBuffers,
): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (!isAsyncIterable(body)) throw new TypeError('GetObject returned a body that is not a stream');
  let buffer = buffers.take(Math.min(maxBytes, declaredLength ?? 64 * 1024));
  let length = 0;
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
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}

/** Stops reading a body that is not needed (its socket goes back to the pool). */
export function discard(body: unknown): void {
  if (body && typeof body === 'object' && 'destroy' in body && typeof body.destroy === 'function') {
    body.destroy();
  }
}

/** Stops a GetObject that turned out not to be needed, whatever became of it. */
export async function abandon(
  opening: Promise<{ response: GetObjectCommandOutput } | undefined> | undefined,
): Promise<void> {
  const opened = await opening?.catch(() => undefined);
  discard(opened?.response.Body);
}

const freshBuffers = {
  take: (size: number) => Buffer.allocUnsafe(size),
  give: () => undefined,
};

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
