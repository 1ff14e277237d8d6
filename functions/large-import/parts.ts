import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { bodyBuffer, isMissingObject } from '#shared/aws/s3-objects.ts';
import { decodeFingerprints } from '#shared/inventory/key-set.ts';
import { putJsonReport } from '#shared/reports.ts';
import {
  type LargeImportJob,
  type RangePart,
  rangeKeysKey,
  rangePartKey,
  rangePartSchema,
  rangeRepairKey,
} from './job.ts';

/**
 * An execution's scratch objects in the uploads bucket, under its parts prefix: each range's
 * part (counts and row errors) and the fingerprints of the keys it wrote, the reconcile
 * step's repair lists, and the gunzipped staging copy of a `.csv.gz`. What travels through
 * the state stays small (job.ts); these carry the rest.
 */

export async function getFingerprints(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<Generator<[number, number]>> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return decodeFingerprints(await bodyBuffer(object));
}

export async function putRangePart(
  s3: S3Client,
  bucket: string,
  job: Pick<LargeImportJob, 'partsPrefix'>,
  part: RangePart,
): Promise<void> {
  await putJsonReport(s3, bucket, rangePartKey(job, part.index), part);
}

/** A range's part; undefined when the range left none (it failed before writing it). */
export async function getRangePart(
  s3: S3Client,
  bucket: string,
  job: Pick<LargeImportJob, 'partsPrefix'>,
  index: number,
): Promise<RangePart | undefined> {
  return getPart(s3, bucket, rangePartKey(job, index));
}

/** A part at `key` (a range's, or the direct import's); undefined when there is none. */
export async function getPart(s3: S3Client, bucket: string, key: string): Promise<RangePart | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return rangePartSchema.parse(JSON.parse((await bodyBuffer(object)).toString('utf8')));
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

/**
 * Copies a part object's bytes (the range step's role: Get and Put, no CopyObject); false
 * when there is none to copy.
 */
export async function copyPartObject(
  s3: S3Client,
  bucket: string,
  from: string,
  to: string,
): Promise<boolean> {
  let bytes: Buffer;
  try {
    bytes = await bodyBuffer(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: from })));
  } catch (error) {
    if (isMissingObject(error)) return false;
    throw error;
  }
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: to, Body: bytes, ContentType: 'application/octet-stream' }),
  );
  return true;
}

/** The execution's scratch objects; the bucket's lifecycle rule on `reports/` would get them too, later. */
export async function deleteParts(
  s3: S3Client,
  bucket: string,
  job: Pick<LargeImportJob, 'partsPrefix' | 'data' | 'source'>,
  indexes: readonly number[],
  /** Other scratch objects of the execution (the direct import's part). */
  also: readonly string[] = [],
): Promise<void> {
  const keys = indexes.flatMap((index) => [
    rangePartKey(job, index),
    rangeKeysKey(job, index),
    rangeRepairKey(job, index),
  ]);
  keys.push(...also);
  if (job.data.key !== job.source.key) keys.push(job.data.key);
  // DeleteObjects takes at most 1000 keys; a missing key is not an error.
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
  for (let at = 0; at < keys.length; at += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(at, at + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
}
