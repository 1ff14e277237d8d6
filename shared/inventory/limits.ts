/**
 * How much of a hostile file the import reads before refusing it. Every cap is enforced
 * while the file streams, so a file over one is rejected after reading about as many bytes
 * as the cap allows, never after reading it all (docs/inventory.md, "Limits").
 */
export interface InventoryFileLimits {
  /**
   * Columns a header may name. A real header names store, item, count and a few more;
   * every column costs memory on every row and a line in the report.
   */
  maxColumns: number;
  /**
   * Bytes of the header record, its line break included. It is held whole while it is found
   * (and travels in the Step Functions state, 256 KiB at most), so it must be small; a header
   * of 100 long names is well under the default 64 KiB.
   */
  maxHeaderBytes: number;
  /**
   * Bytes a `.csv.gz` may inflate to. 2 GiB is about 80 million rows: far more than the
   * direct path imports in 15 minutes (~1.8 million), and what the workflow's plan step can
   * gunzip, scan and stage in one invocation with room to spare. Larger files can be
   * uploaded uncompressed (the workflow has no size cap) or the cap raised.
   */
  maxGunzippedBytes: number;
  /**
   * Inflated bytes per compressed byte. Deflate cannot exceed ~1032:1; real CSV exports
   * compress 4–20:1 (30:1 for the most repetitive). 200 leaves ten times that headroom and
   * still stops a bomb after a few MiB of output.
   */
  maxGzipRatio: number;
}

export const DEFAULT_FILE_LIMITS: InventoryFileLimits = {
  maxColumns: 100,
  maxHeaderBytes: 64 * 1024,
  maxGunzippedBytes: 2 * 1024 * 1024 * 1024,
  maxGzipRatio: 200,
};

/**
 * A header must end within this many bytes of the start of the file (or within
 * `maxHeaderBytes`, if larger): blank lines before it are skipped, but a file of nothing
 * else (a bomb of line breaks) must not be read to its end to find that out.
 */
export const HEADER_SEARCH_BYTES = 1024 * 1024;

/**
 * Fields one record may have after the header (a record wider than the header is an invalid
 * row; one this wide is a hostile file). It bounds what the parser builds for one record:
 * tens of bytes per field.
 */
export const MAX_RECORD_FIELDS = 10_000;

/**
 * The ratio is judged once this much has been inflated: below it, a file is harmless
 * whatever its ratio (a tiny, repetitive file can legitimately compress 300:1).
 */
export const GZIP_RATIO_FLOOR_BYTES = 1024 * 1024;
