import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';

/** A GetObject body as the byte stream it is at run time (a Node Readable in Lambda). */
export function bodyBytes(output: GetObjectCommandOutput): AsyncIterable<Uint8Array> {
  const body = output.Body as unknown;
  if (body === undefined || body === null || typeof body !== 'object' || !(Symbol.asyncIterator in body)) {
    throw new TypeError('GetObject returned a body that is not a stream');
  }
  return body as AsyncIterable<Uint8Array>;
}

export async function bodyBuffer(output: GetObjectCommandOutput): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bodyBytes(output)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function isMissingObject(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || status === 404;
}

export function isPreconditionFailed(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  return error instanceof Error && (error.name === 'PreconditionFailed' || status === 412);
}

export const unquoteEtag = (etag: string | undefined): string => (etag ?? '').replaceAll('"', '');
