import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { type CsvRecord, decodeUtf8, readCsvRecords } from '../../../../shared/inventory/csv-records.ts';
import { type RangePlan, RangePlanner } from '../../../../shared/inventory/ranges.ts';
import type { InventoryRow } from '../../../../shared/inventory/rows.ts';

/** Bytes of `text` as an async stream, cut into chunks of `chunkSize` bytes (to cross boundaries). */
export async function* bytesOf(content: string | Uint8Array, chunkSize = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
}

export const gzip = (text: string): Uint8Array => new Uint8Array(gzipSync(Buffer.from(text, 'utf8')));

/**
 * `prefix`, then `fill` repeated until `totalBytes` (at least), in chunks of about
 * `chunkSize` bytes: a hostile file of any size, never held whole.
 */
export async function* repeated(
  prefix: string,
  fill: string,
  totalBytes: number,
  chunkSize = 65_536,
): AsyncGenerator<Uint8Array> {
  const head = new TextEncoder().encode(prefix);
  yield head;
  const chunk = new TextEncoder().encode(fill.repeat(Math.max(1, Math.floor(chunkSize / fill.length))));
  for (let sent = head.length; sent < totalBytes; sent += chunk.length) yield chunk;
}

/** A source that counts the bytes its reader took: how far a rejected file was read. */
export function metered(source: AsyncIterable<Uint8Array>): {
  source: AsyncGenerator<Uint8Array>;
  taken: () => number;
} {
  let taken = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      taken += chunk.length;
      yield chunk;
    }
  }
  return { source: counted(), taken: () => taken };
}

/** Gzips a stream (e.g. `repeated(…)` of hundreds of MiB) without holding its inflated bytes: a gzip bomb. */
export async function gzipStream(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const part of Readable.from(source).pipe(createGzip({ level: 9 }))) parts.push(part as Buffer);
  return new Uint8Array(Buffer.concat(parts));
}

export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of source) out.push(value);
  return out;
}

/** A sink that keeps the rows it is given, in order. */
export class MemorySink {
  readonly rows: InventoryRow[] = [];
  async put(row: InventoryRow): Promise<void> {
    this.rows.push(row);
  }
  async flush(): Promise<void> {}
  async drain(): Promise<void> {}
  get rowsWritten(): number {
    return this.rows.length;
  }
}

const bytesFrom = (content: string | Uint8Array): Uint8Array =>
  typeof content === 'string' ? new TextEncoder().encode(content) : content;

/** The planner's ranges for a file fed in chunks of `chunkSize` bytes. */
export function plan(
  content: string | Uint8Array,
  rangeBytes: number,
  chunkSize = 5,
  cutAtLine?: number,
): RangePlan {
  const bytes = bytesFrom(content);
  const planner = new RangePlanner(rangeBytes, undefined, cutAtLine);
  for (let at = 0; at < bytes.length; at += chunkSize) planner.push(bytes.subarray(at, at + chunkSize));
  return planner.finish();
}

/** The import skips blank records (empty lines, `,,`), so only the others must match. */
export const isNotBlank = (record: CsvRecord): boolean => record.fields.some((field) => field.trim() !== '');

/** The records the direct path sees (header excluded), with their real line numbers. */
export async function wholeFileRecords(content: string | Uint8Array, chunkSize = 7): Promise<CsvRecord[]> {
  const records = await collect(readCsvRecords(decodeUtf8(bytesOf(content, chunkSize))));
  return records.filter(isNotBlank).slice(1);
}

/** The records each range yields when parsed on its own, as the range import does. */
export async function rangeRecords(
  content: string | Uint8Array,
  result: RangePlan,
  chunkSize = 7,
): Promise<CsvRecord[]> {
  const bytes = bytesFrom(content);
  const out: CsvRecord[] = [];
  for (const range of result.ranges) {
    const slice = bytes.subarray(range.start, range.end);
    out.push(
      ...(await collect(
        readCsvRecords(
          decodeUtf8(bytesOf(slice, chunkSize), range.firstLine),
          range.firstLine,
          result.recordDelimiter,
        ),
      )),
    );
  }
  return out.filter(isNotBlank);
}
