import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isMissingObject, isMissingSource, unquoteEtag } from '#shared/aws/s3-objects.ts';
import { encodeMetadataValue, isThumbnailKeyOf, thumbnailPrefixFor } from './keys.ts';
import type { RenderedThumbnail } from './render.ts';
import type { SourceReference, ThumbnailReference } from './report.ts';
import { SEQUENCER_METADATA_KEY } from './sequencer.ts';

/**
 * The S3 objects of the images flow: the uploaded source, and its thumbnails with the
 * metadata that ties them to it.
 */

/**
 * Thumbnails are overwritten in place when their source is uploaded again, so they are not
 * `immutable`: a day of caching (browsers, a CDN in front of the bucket) bounds how long a
 * replaced photo can linger, while still sparing almost every request.
 */
export const THUMBNAIL_CACHE_CONTROL = 'public, max-age=86400';

/** S3 user metadata is limited to 2 KB in all; a longer encoded key is left out. */
const MAX_SOURCE_KEY_METADATA_LENGTH = 1_500;

export interface OpenedSource {
  response: GetObjectCommandOutput;
  source: SourceReference;
}

/**
 * GetObject WITHOUT a version id: the newest version. A stale or duplicate event then
 * renders what the key holds now, so thumbnails converge on the current image whatever
 * order events arrive in, and a deleted image is never brought back from an old version.
 * Undefined when the key no longer exists (a delete will follow, or already came).
 */
export async function openSource(
  s3: S3Client,
  object: { bucket: string; key: string },
): Promise<OpenedSource | undefined> {
  let response: GetObjectCommandOutput;
  try {
    response = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
  } catch (error) {
    if (await isMissingSource(s3, object.bucket, object.key, error)) return undefined;
    throw error;
  }
  const source: SourceReference = {
    bucket: object.bucket,
    key: object.key,
    ...(response.VersionId && response.VersionId !== 'null' && { versionId: response.VersionId }),
    ...(response.ETag && { etag: unquoteEtag(response.ETag) }),
  };
  return { response, source };
}

/** A thumbnail's HEAD; the function may list the whole thumbnails bucket, so a 404 is a 404. */
async function headIfExists(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

/** Whether the source upload exists (a 403 is settled by listing the key, see isMissingSource). */
export async function sourceExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (await isMissingSource(s3, bucket, key, error)) return false;
    throw error;
  }
}

/** The sequencer a thumbnail was written with; undefined when it does not exist. */
export async function storedSequencer(
  s3: S3Client,
  bucket: string,
  thumbnailKey: string,
): Promise<string | undefined> {
  return (await headIfExists(s3, bucket, thumbnailKey))?.Metadata?.[SEQUENCER_METADATA_KEY];
}

/**
 * Every thumbnail of a source found under `<source key>/`, whatever width or format made
 * it (so sizes configured in the past are found too), and none of another source's.
 */
export async function listThumbnailKeys(s3: S3Client, bucket: string, sourceKey: string): Promise<string[]> {
  const keys: string[] = [];
  const pages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: thumbnailPrefixFor(sourceKey) },
  );
  for await (const page of pages) {
    for (const object of page.Contents ?? []) {
      if (object.Key && isThumbnailKeyOf(sourceKey, object.Key)) keys.push(object.Key);
    }
  }
  return keys;
}

/** What a thumbnail carries about its source (S3 lower-cases user metadata names). */
export function thumbnailMetadata(
  source: SourceReference,
  sequencer: string | undefined,
): Record<string, string> {
  const encodedKey = encodeMetadataValue(source.key);
  return {
    ...(encodedKey.length <= MAX_SOURCE_KEY_METADATA_LENGTH && { 'source-key': encodedKey }),
    ...(source.etag && { 'source-etag': source.etag }),
    ...(source.versionId && { 'source-version-id': source.versionId }),
    ...(sequencer && { [SEQUENCER_METADATA_KEY]: sequencer }),
  };
}

export async function putThumbnail(
  s3: S3Client,
  target: { bucket: string; key: string; metadata: Record<string, string> },
  thumbnail: RenderedThumbnail,
): Promise<ThumbnailReference> {
  await s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: target.key,
      Body: thumbnail.data,
      ContentLength: thumbnail.data.length,
      ContentType: thumbnail.contentType,
      CacheControl: THUMBNAIL_CACHE_CONTROL,
      Metadata: target.metadata,
    }),
  );
  return {
    bucket: target.bucket,
    key: target.key,
    width: thumbnail.width,
    height: thumbnail.height,
    bytes: thumbnail.data.length,
    contentType: thumbnail.contentType,
  };
}
