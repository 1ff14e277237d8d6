/**
 * The thumbnail key scheme. It is a contract other parts of Stockroom (the dashboard, the
 * rebuild state machine) rely on: do not change it.
 *
 *   source `images/red shoe.jpg` (uploads bucket)
 *   → `images/red shoe.jpg/200.webp`, `images/red shoe.jpg/400.webp` (thumbnails bucket)
 *
 * Keys are kept verbatim (S3 keys are arbitrary UTF-8), so a thumbnail is found from its
 * source without any encoding step.
 */

/** Only objects under this prefix are images to thumbnail (the trigger's filter, too). */
export const IMAGES_PREFIX = 'images/';

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html */
export const MAX_S3_KEY_BYTES = 1024;

export const OUTPUT_FORMATS = {
  webp: { extension: 'webp', contentType: 'image/webp', hasAlpha: true },
  jpeg: { extension: 'jpg', contentType: 'image/jpeg', hasAlpha: false },
  png: { extension: 'png', contentType: 'image/png', hasAlpha: true },
  avif: { extension: 'avif', contentType: 'image/avif', hasAlpha: true },
} as const;

export type OutputFormat = keyof typeof OUTPUT_FORMATS;

const KNOWN_EXTENSIONS = Object.values(OUTPUT_FORMATS).map((format) => format.extension);

/** `<source key>/` — every thumbnail of a source, whatever widths or format made it. */
export function thumbnailPrefixFor(sourceKey: string): string {
  return `${sourceKey}/`;
}

/** `<source key>/<width>.<ext>` */
export function thumbnailKeyFor(sourceKey: string, width: number, format: OutputFormat): string {
  return `${thumbnailPrefixFor(sourceKey)}${width}.${OUTPUT_FORMATS[format].extension}`;
}

/**
 * Whether a key found under `<source key>/` is one of that source's thumbnails. It must be
 * exactly one more path segment of the form `<width>.<ext>`: the thumbnails of another
 * source named `images/a.jpg/200.webp` live at `images/a.jpg/200.webp/200.webp`, under the
 * same prefix, and deleting `images/a.jpg` must leave them alone.
 */
export function isThumbnailKeyOf(sourceKey: string, key: string): boolean {
  const prefix = thumbnailPrefixFor(sourceKey);
  if (!key.startsWith(prefix)) return false;
  const match = /^([1-9]\d*)\.([a-z0-9]+)$/.exec(key.slice(prefix.length));
  return match !== null && KNOWN_EXTENSIONS.includes(match[2] as (typeof KNOWN_EXTENSIONS)[number]);
}

/** Where the JSON report about a source lives in the uploads bucket. */
export { reportKeyFor } from '#shared/reports.ts';

/** Key length in the unit S3 limits it by. */
export function keyByteLength(key: string): number {
  return Buffer.byteLength(key, 'utf8');
}

/** A thumbnail can only exist when its key fits S3's 1024-byte limit. */
export function fitsS3KeyLimit(key: string): boolean {
  return keyByteLength(key) <= MAX_S3_KEY_BYTES;
}

/**
 * S3 user metadata travels in HTTP headers and must be US-ASCII
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html#UserMetadata),
 * so a key goes in percent-encoded. `decodeURIComponent` gives it back.
 */
export function encodeMetadataValue(value: string): string {
  return encodeURIComponent(value);
}
