import { randomBytes } from 'node:crypto';
import { itemImageKey } from '#shared/images/item-images.ts';
import type { UploadRequest } from './params.ts';

/** Where an upload from the dashboard goes, what it may be and how large. */

/** Size limits enforced by the POST policy (content-length-range). */
export const MAX_CSV_BYTES = 100 * 1024 * 1024;
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** Image types the thumbnail function accepts, and the extension an upload gets. */
export const IMAGE_TYPES: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'image/gif': '.gif',
  'image/avif': '.avif',
  'image/tiff': '.tiff',
};

/** A safe, readable file name for an upload key: letters, digits, dot, dash, underscore. */
export function safeFileName(filename: string): string {
  const base = filename.split(/[\\/]/).at(-1) ?? 'upload.csv';
  const lower = base.toLowerCase();
  const suffix = lower.endsWith('.csv.gz') ? '.csv.gz' : '.csv';
  const stem = base
    .slice(0, base.length - suffix.length)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return `${stem || 'inventory'}${suffix}`;
}

export interface UploadTarget {
  key: string;
  contentType: string;
  maxBytes: number;
}

/**
 * A CSV goes under `inventory/` (the import's trigger), stamped with the time and a random
 * part so that two uploads of one file never overwrite each other:
 * `inventory/<yyyy-mm-dd>/<hhmmss>-<random>-<safe name>`. A photo goes to the item's image key.
 */
export function uploadTarget(request: UploadRequest, now: Date): UploadTarget {
  if (request.kind === 'inventory') {
    const at = now.toISOString();
    const stamp = `${at.slice(0, 10)}/${at.slice(11, 19).replaceAll(':', '')}-${randomBytes(4).toString('hex')}`;
    const name = safeFileName(request.filename);
    return {
      key: `inventory/${stamp}-${name}`,
      contentType: name.endsWith('.gz') ? 'application/gzip' : 'text/csv',
      maxBytes: MAX_CSV_BYTES,
    };
  }
  return {
    key: itemImageKey(request.item, IMAGE_TYPES[request.contentType] ?? ''),
    contentType: request.contentType,
    maxBytes: MAX_IMAGE_BYTES,
  };
}
