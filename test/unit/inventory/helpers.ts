import { gzipSync } from 'node:zlib';
import type { InventoryRow } from '../../../functions/import-inventory/rows.ts';

/** Bytes of `text` as an async stream, cut into chunks of `chunkSize` bytes (to cross boundaries). */
export async function* bytesOf(content: string | Uint8Array, chunkSize = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
}

export const gzip = (text: string): Uint8Array => new Uint8Array(gzipSync(Buffer.from(text, 'utf8')));

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
