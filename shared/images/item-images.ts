import { IMAGES_PREFIX } from './keys.ts';

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
