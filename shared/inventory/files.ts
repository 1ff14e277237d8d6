/**
 * Which uploads are inventory files. The trigger takes every object under `inventory/`
 * (S3's suffix filter is case-sensitive, so `STOCK.CSV` would otherwise go unseen); these
 * rules decide, in any case, what is imported and how it is read.
 */
export const INVENTORY_PREFIX = 'inventory/';

/** `.csv` or `.csv.gz`, any case (`Counts.CSV`, `week.Csv.GZ`). */
export function isInventoryFileKey(key: string): boolean {
  return /\.csv(\.gz)?$/i.test(key);
}

/** A `.gz` file is gunzipped as it streams. */
export function isGzipKey(key: string): boolean {
  return /\.gz$/i.test(key);
}

/** The console's "Create folder" writes an empty object whose key ends in `/`: not an upload. */
export function isFolderMarker(key: string): boolean {
  return key.endsWith('/');
}
