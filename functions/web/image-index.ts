import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { itemNamesForImage } from '#shared/images/item-images.ts';
import { IMAGES_PREFIX } from '#shared/images/keys.ts';
import { ShortLivedCache } from './short-lived-cache.ts';

/**
 * Maps item name → the source image's prefix in the thumbnails bucket, from one delimited
 * listing (one entry per source image, `images/<name>/`) of at most `maxListPages` pages.
 */
async function listItemImages(
  s3: S3Client,
  bucket: string,
  maxListPages: number,
): Promise<Map<string, string>> {
  const exact = new Map<string, string>();
  const stripped = new Map<string, string>();
  let pages = 0;
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: IMAGES_PREFIX, Delimiter: '/' },
  )) {
    for (const { Prefix: prefix } of page.CommonPrefixes ?? []) {
      if (!prefix) continue;
      const names = itemNamesForImage(prefix.slice(0, -1));
      exact.set(names.exact, prefix);
      // Several images per item (widget.jpg, widget.png): the one listed last wins.
      if (names.withoutExtension) stripped.set(names.withoutExtension, prefix);
    }
    pages += 1;
    if (pages >= maxListPages) break;
  }
  // An exact name (`images/<item>`) beats one with its extension stripped.
  return new Map([...stripped, ...exact]);
}

/**
 * Which items have thumbnails. The listing is cached per container for `ttlMs`, so a store
 * page costs no S3 request most of the time; a new image shows up within the TTL.
 */
export class ImageIndex {
  private readonly listing: ShortLivedCache<Map<string, string>>;

  constructor(s3: S3Client, bucket: string, ttlMs = 30_000, maxListPages = 10, now: () => number = Date.now) {
    this.listing = new ShortLivedCache(() => listItemImages(s3, bucket, maxListPages), ttlMs, now);
  }

  /** Maps item name → the source image's prefix in the thumbnails bucket. */
  images(): Promise<Map<string, string>> {
    return this.listing.get();
  }
}
