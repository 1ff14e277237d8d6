import { isThumbnailKeyOf } from '#shared/images/keys.ts';

/** One thumbnail in the thumbnails bucket (written by the thumbnails function). */
export interface ThumbnailObject {
  key: string;
  width: number;
}

/**
 * A key of the thumbnails bucket read back: `<source key>/<width>.<ext>` (shared/images/keys.ts),
 * or undefined for anything else.
 */
export function parseThumbnailKey(
  key: string,
): { sourceKey: string; thumbnail: ThumbnailObject } | undefined {
  const slash = key.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const sourceKey = key.slice(0, slash);
  if (!isThumbnailKeyOf(sourceKey, key)) return undefined;
  // `<width>.<ext>`: the width is the number before the dot.
  return { sourceKey, thumbnail: { key, width: Number.parseInt(key.slice(slash + 1), 10) } };
}

/** The smallest thumbnail at least `width` wide, else the widest. */
export function closestThumbnail(
  thumbnails: readonly ThumbnailObject[],
  width: number,
): ThumbnailObject | undefined {
  const byWidth = [...thumbnails].sort((a, b) => a.width - b.width);
  return byWidth.find((thumbnail) => thumbnail.width >= width) ?? byWidth.at(-1);
}
