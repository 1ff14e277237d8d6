import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { itemNamesForImage } from '#shared/images/item-images.ts';
import { IMAGES_PREFIX } from '#shared/images/keys.ts';
import { ShortLivedCache } from './short-lived-cache.ts';
import { parseThumbnailKey, type ThumbnailObject } from './thumbnails.ts';

/** Item name → its image's thumbnails. */
export type ItemThumbnails = ReadonlyMap<string, readonly ThumbnailObject[]>;

/**
 * Maps item name → the thumbnails of its image, from one listing of the thumbnails bucket
 * under `images/` (at most `maxListPages` pages of 1,000 keys). An item's image is
 * `images/<item>` or `images/<item>.<ext>` (shared/images/item-images.ts): an exact name wins
 * over one with its extension stripped, and among several extensions the one listed last.
 */
async function listItemThumbnails(
  s3: S3Client,
  bucket: string,
  maxListPages: number,
): Promise<ItemThumbnails> {
  const bySource = new Map<string, ThumbnailObject[]>();
  let pages = 0;
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: IMAGES_PREFIX })) {
    for (const { Key: key } of page.Contents ?? []) {
      const parsed = key ? parseThumbnailKey(key) : undefined;
      if (!parsed) continue;
      const thumbnails = bySource.get(parsed.sourceKey) ?? [];
      thumbnails.push(parsed.thumbnail);
      bySource.set(parsed.sourceKey, thumbnails);
    }
    pages += 1;
    if (pages >= maxListPages) break;
  }
  const exact = new Map<string, ThumbnailObject[]>();
  const stripped = new Map<string, ThumbnailObject[]>();
  // In listing order: among one item's extensions, the last listed is kept.
  for (const [sourceKey, thumbnails] of bySource) {
    const names = itemNamesForImage(sourceKey);
    exact.set(names.exact, thumbnails);
    if (names.withoutExtension) stripped.set(names.withoutExtension, thumbnails);
  }
  return new Map([...stripped, ...exact]);
}

/**
 * Which items have thumbnails, and their keys. The listing is cached per container for
 * `ttlMs`, so a store page costs no S3 request most of the time; a new image shows up within
 * the TTL. 20 pages hold 20,000 thumbnails: 10,000 images at two widths.
 */
export class ImageIndex {
  private readonly listing: ShortLivedCache<ItemThumbnails>;

  constructor(s3: S3Client, bucket: string, ttlMs = 30_000, maxListPages = 20, now: () => number = Date.now) {
    this.listing = new ShortLivedCache(() => listItemThumbnails(s3, bucket, maxListPages), ttlMs, now);
  }

  thumbnails(): Promise<ItemThumbnails> {
    return this.listing.get();
  }
}
