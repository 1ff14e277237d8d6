import { Readable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { type CsvError, parse } from 'csv-parse';
import { LineBreakCounter, lineBreaksIn, type RecordDelimiter } from './csv-lines.ts';
import { InventoryFileRejectedError } from './errors.ts';
import { DEFAULT_FILE_LIMITS, GZIP_RATIO_FLOOR_BYTES, type InventoryFileLimits } from './limits.ts';

/** The longest record accepted, in characters; longer is malformed (e.g. an unclosed quote). */
export const MAX_RECORD_CHARACTERS = 1_000_000;

/** One CSV record, with the file line it starts on (the header is line 1). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * How far ahead of the inflated output the compressed input is read. Node 22 raised streams'
 * default buffer from 16 KiB to 64 KiB; a fixed figure keeps how much of a bomb is read before
 * it is refused the same on every Node version.
 */
const READ_AHEAD_BYTES = 16 * 1024;

/**
 * Gunzips a byte stream as it flows (`.csv.gz` uploads). Any zlib error — a bad header,
 * a bad checksum, a truncated file — means the upload is not a usable gzip file.
 *
 * A decompression bomb (a few MB inflating to gigabytes) is refused as it inflates, as soon
 * as the output passes `maxGunzippedBytes`, or `maxGzipRatio` times the compressed bytes
 * inflated so far (judged past GZIP_RATIO_FLOOR_BYTES): never after inflating it all.
 * `bytesWritten` counts the compressed bytes the engine has consumed, not those queued.
 * https://nodejs.org/api/zlib.html#zlibbyteswritten
 */
export async function* gunzip(
  source: AsyncIterable<Uint8Array>,
  limits: Pick<InventoryFileLimits, 'maxGunzippedBytes' | 'maxGzipRatio'> = DEFAULT_FILE_LIMITS,
): AsyncGenerator<Uint8Array> {
  // zlib hands stream options on to its Transform; @types/node does not list them.
  const inflater = createGunzip({ highWaterMark: READ_AHEAD_BYTES } as ZlibOptions);
  const input = Readable.from(source, { objectMode: false, highWaterMark: READ_AHEAD_BYTES });
  input.on('error', (error) => inflater.destroy(error));
  input.pipe(inflater);
  let inflated = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Uint8Array>) {
      inflated += chunk.length;
      refuseBomb(inflated, inflater.bytesWritten, limits);
      yield chunk;
    }
  } catch (error) {
    if (isZlibError(error)) {
      throw new InventoryFileRejectedError('corrupt_gzip', `the file is not valid gzip: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    input.destroy();
  }
}

function refuseBomb(
  inflated: number,
  compressed: number,
  limits: Pick<InventoryFileLimits, 'maxGunzippedBytes' | 'maxGzipRatio'>,
): void {
  if (inflated > limits.maxGunzippedBytes) {
    throw new InventoryFileRejectedError(
      'gzip_too_large',
      `the file inflates to more than ${limits.maxGunzippedBytes} bytes; upload it uncompressed`,
    );
  }
  if (inflated > GZIP_RATIO_FLOOR_BYTES && inflated > compressed * limits.maxGzipRatio) {
    throw new InventoryFileRejectedError(
      'gzip_ratio_too_high',
      `the file inflates more than ${limits.maxGzipRatio} times (${inflated} bytes from the first ${compressed}); ` +
        'no CSV compresses that well: a decompression bomb?',
    );
  }
}

function isZlibError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Decodes UTF-8 strictly, chunk by chunk (a multi-byte character may straddle two chunks).
 * A leading byte-order mark is dropped. Invalid bytes reject the whole file, naming the
 * line they are on.
 * https://developer.mozilla.org/en-US/docs/Web/API/TextDecoder/decode (stream option)
 *
 * The text comes out in pieces of at most PARSE_SLICE_BYTES bytes' worth, whatever the size
 * of the chunks read: a whole network chunk decoded at once (64 KB, ~1,500 rows) stays
 * alive until its last row is written, long enough to be moved to V8's old generation,
 * and so does the chunk's Buffer. Small pieces are done with, and collected, young.
 */
export async function* decodeUtf8(source: AsyncIterable<Uint8Array>, firstLine = 1): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const lines = new LineBreakCounter();
  for await (const chunk of source) {
    for (let at = 0; at < chunk.length; at += PARSE_SLICE_BYTES) {
      const piece =
        at === 0 && chunk.length <= PARSE_SLICE_BYTES ? chunk : chunk.subarray(at, at + PARSE_SLICE_BYTES);
      let text: string;
      try {
        text = decoder.decode(piece, { stream: true });
      } catch (error) {
        throw invalidUtf8(piece, firstLine, lines, error);
      }
      lines.push(piece);
      if (text.length > 0) yield text;
    }
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch (error) {
    throw new InventoryFileRejectedError(
      'invalid_utf8',
      `the file ends inside a UTF-8 character (line ${firstLine + lines.breaks})`,
      { cause: error },
    );
  }
  if (rest.length > 0) yield rest;
}

/** Names the line of the first invalid byte in `chunk`, the bytes before it counted by `lines`. */
function invalidUtf8(
  chunk: Uint8Array,
  firstLine: number,
  lines: LineBreakCounter,
  cause: unknown,
): InventoryFileRejectedError {
  const offset = firstInvalidUtf8Offset(chunk);
  const line = firstLine + lines.breaks + lines.peek(chunk.subarray(0, Math.max(offset, 0)));
  const byte = offset >= 0 ? ` (byte 0x${(chunk[offset] ?? 0).toString(16).padStart(2, '0')})` : '';
  return new InventoryFileRejectedError(
    'invalid_utf8',
    `the file is not valid UTF-8: line ${line}${byte}; save it as "CSV UTF-8"`,
    { cause },
  );
}

/**
 * The offset of the first byte that breaks UTF-8 in a chunk, used only to locate an error
 * the decoder already found. Continuation bytes at the very start belong to a character
 * begun in the previous chunk and are skipped; -1 if nothing is found in this chunk.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < 3 && i < bytes.length && ((bytes[i] ?? 0) & 0xc0) === 0x80) i += 1;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    let length: number;
    let min: number;
    if (lead < 0x80) {
      i += 1;
      continue;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
      min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      min = 0x10000;
    } else {
      return i;
    }
    let codePoint = lead & (0xff >> (length + 1));
    for (let k = 1; k < length; k += 1) {
      if (i + k >= bytes.length) return -1; // continues in the next chunk
      const next = bytes[i + k] ?? 0;
      if ((next & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += length;
  }
  return -1;
}

/**
 * Parses RFC 4180 CSV text into records, each with the line it starts on, in constant
 * memory. Quoted fields may hold commas, doubled quotes and line breaks; LF, CRLF and CR
 * line endings are all accepted. Empty lines come out as a record of one empty field (the
 * caller skips blank records), so that every physical line is accounted for.
 *
 * Line numbers are counted here rather than taken from csv-parse's `info`: building that
 * object for every record triples the garbage per row (and the heap's peak), and its `lines`
 * counts a CRLF inside quotes twice. A record spans its inner line breaks plus one.
 *
 * A structural error (a quote never closed, a record over MAX_RECORD_CHARACTERS) rejects
 * the file, naming the line the broken record starts on, and the rest of the text is not
 * read. csv-parse reports it through `on_skip` while records parsed before it may still
 * wait in the stream's buffer, so the error is raised once exactly those records have been
 * handed out.
 *
 * `firstLine` is the file line of the first character of `text` (1 for a whole file; the
 * Step Functions path passes the line a byte range starts on). The record delimiter is the
 * first line break outside quotes, unless `recordDelimiter` says which it is (a byte range
 * gets its file's: the range's own first line break could be data, in a file with mixed
 * line endings).
 */
export async function* readCsvRecords(
  text: AsyncIterable<string>,
  firstLine = 1,
  recordDelimiter?: RecordDelimiter,
): AsyncGenerator<CsvRecord> {
  let failure: { error: CsvError; afterRecords: number } | undefined;
  const parser = parse({
    relax_column_count: true,
    // A quote inside an unquoted field (`12" pipe`) is kept as text, as spreadsheets write it.
    relax_quotes: true,
    // Bounds memory when a quote is never closed (the parser would otherwise buffer the rest
    // of the file as one field). Valid rows are a few KB: keys are capped at 3 KB together.
    max_record_size: MAX_RECORD_CHARACTERS,
    ...(recordDelimiter ? { record_delimiter: recordDelimiter } : {}),
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error && !failure) {
        const records = typeof error.records === 'number' ? error.records : 0;
        failure = { error, afterRecords: records };
      }
      return undefined;
    },
  });
  // Once a record is broken the rest of the file is not read: csv-parse would go on (it skips
  // the broken record, a byte at a time for an over-long one), through all of a bomb.
  const slices = inSlices(text, PARSE_SLICE_CHARACTERS, () => failure !== undefined);
  const input = Readable.from(slices, { objectMode: false });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  let line = firstLine;
  let handedOut = 0;
  const failIfBroken = (): void => {
    if (failure && handedOut >= failure.afterRecords) {
      const reason = failure.error.message.replace(/ at line \d+/, '').replace(/,? value is .*$/s, '');
      throw new InventoryFileRejectedError(
        'malformed_csv',
        `malformed CSV in the record starting at line ${line}: ${reason}`,
        { cause: failure.error },
      );
    }
  };
  try {
    for await (const fields of parser as AsyncIterable<string[]>) {
      failIfBroken();
      const record: CsvRecord = { fields, line };
      line += innerLineBreaks(fields) + 1;
      handedOut += 1;
      yield record;
    }
    failIfBroken();
  } finally {
    input.destroy();
  }
}

/**
 * How much text the parser is given at a time. csv-parse turns a whole written chunk into
 * records at once and queues them all; a 64 KB network chunk is ~1,500 rows that then wait
 * for the table writer (a fraction of a second). Waiting that long, they outlive V8's
 * young-generation collections and are copied to the old generation, which only a full
 * collection empties: the heap (and RSS) then grows with the file between those. In small
 * slices, at most a few dozen rows are queued and die young.
 * https://v8.dev/blog/trash-talk
 */
const PARSE_SLICE_CHARACTERS = 4096;
/** The same bound in bytes, for the decoder (a piece of at most this many bytes decodes to at most as many characters). */
const PARSE_SLICE_BYTES = PARSE_SLICE_CHARACTERS;

/** `text` in slices of at most `size` characters, until `stop` says enough. */
async function* inSlices(
  text: AsyncIterable<string>,
  size: number,
  stop: () => boolean,
): AsyncGenerator<string> {
  for await (const chunk of text) {
    if (stop()) return;
    let at = 0;
    while (chunk.length - at > size) {
      if (stop()) return;
      let end = at + size;
      // Each slice is encoded to UTF-8 on its own: never cut between a surrogate pair's halves.
      const last = chunk.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff) end -= 1;
      yield chunk.slice(at, end);
      at = end;
    }
    yield at === 0 ? chunk : chunk.slice(at);
  }
}

/** Line breaks inside a record's fields (see csv-lines.ts): a record spans them plus one. */
export function innerLineBreaks(fields: readonly string[]): number {
  let breaks = 0;
  for (const field of fields) breaks += lineBreaksIn(field);
  return breaks;
}
