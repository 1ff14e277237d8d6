import { type _Object, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { isMissingObject } from '#shared/aws/s3-objects.ts';
import { itemImageKey, itemImageWithExtensionPrefix, itemNamesForImage } from '#shared/images/item-images.ts';
import { isThumbnailKeyOf, thumbnailPrefixFor } from '#shared/images/keys.ts';

/** An item's thumbnails in the thumbnails bucket (written by the thumbnails function). */

export interface ThumbnailObject {
  key: string;
  etag?: string;
  size: number;
  width: number;
}

function thumbnailsOf(sourceKey: string, objects: _Object[]): ThumbnailObject[] {
  const prefix = thumbnailPrefixFor(sourceKey);
  const thumbnails: ThumbnailObject[] = [];
  for (const object of objects) {
    if (!object.Key || !isThumbnailKeyOf(sourceKey, object.Key)) continue;
    thumbnails.push({
      key: object.Key,
      size: object.Size ?? 0,
      // `<width>.<ext>`: the width is the number before the dot.
      width: Number.parseInt(object.Key.slice(prefix.length), 10),
      ...(object.ETag ? { etag: object.ETag } : {}),
    });
  }
  return thumbnails;
}

/** The source `images/<item>.<ext>` of an item, when there is no `images/<item>`: the last listed. */
async function sourceWithExtension(s3: S3Client, bucket: string, item: string): Promise<string | undefined> {
  const listed = await s3.send(
    new ListObjectsV2Command({
      Bucket: bucket,
      Prefix: itemImageWithExtensionPrefix(item),
      Delimiter: '/',
      MaxKeys: 100,
    }),
  );
  return (listed.CommonPrefixes ?? [])
    .map(({ Prefix: prefix }) => prefix?.slice(0, -1))
    .filter((source): source is string => !!source && itemNamesForImage(source).withoutExtension === item)
    .at(-1);
}

async function listThumbnails(s3: S3Client, bucket: string, sourceKey: string): Promise<ThumbnailObject[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: thumbnailPrefixFor(sourceKey), MaxKeys: 50 }),
  );
  return thumbnailsOf(sourceKey, listed.Contents ?? []);
}

/**
 * Finds the thumbnail of an item closest to `width`: the smallest at least as wide, else the
 * widest. Two small listings in parallel — the thumbnails of `images/<item>` itself, and the
 * images `images/<item>.<ext>` (delimited: one entry per image) — then, if only the latter
 * exists, that image's thumbnails. An exact `images/<item>` wins; among extensions the last
 * listed does, as in ImageIndex.
 */
export async function findThumbnail(
  s3: S3Client,
  bucket: string,
  item: string,
  width: number,
): Promise<ThumbnailObject | undefined> {
  const [exact, withExtension] = await Promise.all([
    listThumbnails(s3, bucket, itemImageKey(item)),
    sourceWithExtension(s3, bucket, item),
  ]);
  let thumbnails = exact;
  if (thumbnails.length === 0) {
    if (!withExtension) return undefined;
    thumbnails = await listThumbnails(s3, bucket, withExtension);
  }
  thumbnails.sort((a, b) => a.width - b.width);
  return thumbnails.find((thumbnail) => thumbnail.width >= width) ?? thumbnails.at(-1);
}

export interface ThumbnailBytes {
  bytes: Uint8Array;
  contentType: string | undefined;
}

export async function readThumbnail(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<ThumbnailBytes | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    return { bytes, contentType: object.ContentType };
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}
