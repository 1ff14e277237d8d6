import { MAX_THUMBNAIL_WIDTH } from './config.ts';
import { IMAGES_PREFIX, MAX_S3_KEY_BYTES, OUTPUT_FORMATS } from './keys.ts';

/**
 * The item-image naming convention: an item's image is the upload `images/<item>` or
 * `images/<item>.<ext>`. The photo upload form names it `images/<item>.<ext>`, the extension
 * of its content type; an image copied into the bucket by hand may have none. The dashboard
 * reads the convention back to find an item's thumbnails (`<source key>/<width>.<ext>`, see
 * keys.ts).
 */

/** An extension as the convention knows it: a dot and one to five letters or digits. */
const EXTENSION = /\.[A-Za-z0-9]{1,5}$/;

/** The item an image source key belongs to, with and without its extension. */
export function itemNamesForImage(sourceKey: string): { exact: string; withoutExtension?: string } {
  const exact = sourceKey.slice(IMAGES_PREFIX.length);
  const withoutExtension = exact.replace(EXTENSION, '');
  return withoutExtension !== exact && withoutExtension.length > 0 ? { exact, withoutExtension } : { exact };
}

/**
 * The source key of an item's image: `images/<item>`, or `images/<item><extension>` with an
 * extension such as `.png` (the key the photo upload form builds).
 */
export function itemImageKey(item: string, extension = ''): string {
  return `${IMAGES_PREFIX}${item}${extension}`;
}

/** The prefix every `images/<item>.<ext>` of an item shares (and other items' too: check with itemNamesForImage). */
export function itemImageWithExtensionPrefix(item: string): string {
  return `${itemImageKey(item)}.`;
}

/** The longest extension an item's image gets from the photo form (`.tiff`, `.webp`, `.avif`). */
const MAX_IMAGE_EXTENSION_BYTES = '.tiff'.length;
/** The longest `/<width>.<ext>` a thumbnail key adds to its source key. */
const MAX_THUMBNAIL_SUFFIX_BYTES =
  `/${MAX_THUMBNAIL_WIDTH}.`.length +
  Math.max(...Object.values(OUTPUT_FORMATS).map((f) => f.extension.length));

/**
 * The longest item name (UTF-8 bytes) whose image key, and every thumbnail key derived from
 * it, fit S3's 1,024-byte key limit: 1024 − `images/` − `.tiff` − `/4096.webp` = 1,002. The
 * upload API refuses longer names (a report key that would not fit is stored under the key's
 * hash, see shared/reports.ts, so it sets no limit).
 */
export const MAX_IMAGE_ITEM_NAME_BYTES =
  MAX_S3_KEY_BYTES - IMAGES_PREFIX.length - MAX_IMAGE_EXTENSION_BYTES - MAX_THUMBNAIL_SUFFIX_BYTES;
