import { type GetObjectCommandOutput, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

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

const httpStatusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/**
 * Whether S3 said the object (or the version asked for) does not exist: `NoSuchKey` from
 * GetObject, `NoSuchVersion` for a version id, and a bare `NotFound`/404 from HeadObject,
 * which has no body to carry an error code. Without `s3:ListBucket` S3 answers 403 instead
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax),
 * so every function that relies on this holds ListBucket on the prefix it reads.
 */
export function isMissingObject(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return ['NoSuchKey', 'NoSuchVersion', 'NotFound'].includes(error.name) || httpStatusOf(error) === 404;
}

const isAccessDenied = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'AccessDenied' || httpStatusOf(error) === 403);

/**
 * Whether a failed read of `key` means the object is not there — asked of S3 itself when the
 * answer was 403. S3 answers a read of a missing key with 403 unless the caller may list the
 * bucket, and a ListBucket grant narrowed to a prefix (`s3:prefix`) is not documented to
 * count for that. A listing of exactly `key` is allowed by such a grant and settles it: not
 * listed, it is missing; listed, the 403 was a real denial and stays an error.
 */
export async function isMissingSource(
  s3: S3Client,
  bucket: string,
  key: string,
  error: unknown,
): Promise<boolean> {
  if (isMissingObject(error)) return true;
  if (!isAccessDenied(error)) return false;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return !(listed.Contents ?? []).some((object) => object.Key === key);
}

/** A conditional request (`If-Match`, `If-None-Match`) whose condition did not hold. */
export function isPreconditionFailed(error: unknown): boolean {
  return error instanceof Error && (error.name === 'PreconditionFailed' || httpStatusOf(error) === 412);
}

/** S3 returns ETags in double quotes (`"9b2cf535f27731c974343645a3985328"`); we keep the bare value. */
export const unquoteEtag = (etag: string | undefined): string => (etag ?? '').replaceAll('"', '');
