/**
 * Splits a CSV file into row-aligned byte ranges, in one sequential pass over its bytes.
 *
 * Why a scan: under RFC 4180 a line break inside a quoted field is data, so whether a given
 * byte ends a record depends on the quote state of everything before it. A planner that
 * jumped to `rangeBytes` and looked for the next newline could cut a quoted field in two.
 * The scan only tracks quote parity and line count (fields are decoded only before the
 * header), so it runs at the speed the object can be read, far below the cost of importing it.
 *
 * The rules mirror the parser the import uses (csv-parse via `readCsvRecords`):
 * - A `"` opens a quoted field only at the start of a field; elsewhere it is text (the
 *   parser's `relax_quotes`). Inside quotes, `""` is an escaped quote.
 * - The record delimiter is the first line break found outside quotes (`\n`, `\r\n` or
 *   `\r`), as csv-parse auto-detects it; only that delimiter ends a record.
 * - Line numbers count what the reader counts (csv-lines.ts): one per record delimiter,
 *   and every line break in a field's data (a `\r\n` there counts once).
 * - The header is the first record that is not blank once parsed (every field empty once
 *   trimmed), as the import skips blank records.
 *
 * Ranges never include the header: it is parsed once and handed to every range, and the
 * first range starts right after it. A byte-order mark only ever precedes the header.
 */
import { CR, endsLine, LF, type RecordDelimiter } from './csv-lines.ts';
import { InventoryFileRejectedError } from './errors.ts';
import { DEFAULT_FILE_LIMITS, HEADER_SEARCH_BYTES, MAX_RECORD_FIELDS } from './limits.ts';

export interface ByteRange {
  /** Position in the plan, from 0. */
  index: number;
  /** First byte (inclusive). */
  start: number;
  /** One past the last byte (exclusive): the range is `bytes=start-(end-1)`. */
  end: number;
  /** The file line the range's first record starts on (the header is line 1). */
  firstLine: number;
}

export interface RangePlan {
  /** The header record's bytes (BOM excluded); empty when the file has none. */
  headerBytes: Uint8Array;
  /** The line the first data record may start on (after the header and its line breaks). */
  dataFirstLine: number;
  ranges: ByteRange[];
  /** Total bytes scanned. */
  bytes: number;
  /** The file's record delimiter, once a record has ended: every range is read with it. */
  recordDelimiter?: RecordDelimiter;
  /** True when the file ends inside a quoted field: the parser would reject it. */
  unterminatedQuote: boolean;
  /** The line the unterminated quoted field starts on. */
  unterminatedQuoteLine?: number;
  /**
   * Where the record that starts on the line asked for (`cutAtLine`) begins: a range always
   * starts there. Absent when no record starts on that line (the plan then cuts as usual).
   */
  cut?: { offset: number; line: number };
}

const QUOTE = 0x22;
const COMMA = 0x2c;

type Delimiter = 'lf' | 'crlf' | 'cr';
const DELIMITERS: Record<Delimiter, RecordDelimiter> = { lf: '\n', crlf: '\r\n', cr: '\r' };

/**
 * Feed the file's bytes in order with `push`, then call `finish`. Memory is the header plus
 * one boundary per range.
 *
 * The header is the one part held whole, so it is capped: `push` throws
 * InventoryFileRejectedError (`header_too_long`) as soon as the header record (or a blank
 * record before it) passes `maxHeaderBytes`, and (`no_header`) when no header has ended
 * within HEADER_SEARCH_BYTES of the start (a file of blank lines). After the header, a
 * record of more than MAX_RECORD_FIELDS fields is refused (`too_many_columns`) as soon as
 * its separators pass the cap: the parser would build it whole.
 */
export class RangePlanner {
  readonly #rangeBytes: number;
  readonly #maxHeaderBytes: number;
  readonly #headerSearchBytes: number;
  #offset = 0;
  #line = 1;
  #inQuotes = false;
  /** Inside quotes, the last byte was `"`: the next byte decides (escaped quote or close). */
  #quotePending = false;
  /** The last byte of field data since the record began (-1 if none): a CR before an LF makes one line break. */
  #previousData = -1;
  /** Outside quotes, the last byte was a CR whose role the next byte decides. */
  #crPending = false;
  #atFieldStart = true;
  /** Separators outside quotes in the record being read, and the line it starts on. */
  #recordSeparators = 0;
  #recordLine = 1;
  /** Until the header is found, the field data of the record being read: is it blank? */
  #recordData: number[] = [];
  #delimiter: Delimiter | undefined;
  #quoteOpenedOnLine = 0;
  #bomChecked = false;
  #bomProbe: number[] = [];
  #header: number[] = [];
  #headerDone = false;
  #dataFirstLine = 1;
  #rangeStart = 0;
  #rangeFirstLine = 1;
  readonly #ranges: ByteRange[] = [];
  readonly #cutAtLine: number | undefined;
  #cutOffset: number | undefined;

  /** `cutAtLine`: a range must start at the record that starts on this line (see RangePlan.cut). */
  constructor(rangeBytes: number, maxHeaderBytes = DEFAULT_FILE_LIMITS.maxHeaderBytes, cutAtLine?: number) {
    if (!Number.isSafeInteger(rangeBytes) || rangeBytes < 1) {
      throw new RangeError(`rangeBytes must be a positive integer, got ${rangeBytes}`);
    }
    this.#rangeBytes = rangeBytes;
    this.#maxHeaderBytes = maxHeaderBytes;
    this.#headerSearchBytes = Math.max(HEADER_SEARCH_BYTES, maxHeaderBytes);
    this.#cutAtLine = cutAtLine;
  }

  /** Whether the header record has ended (every byte pushed since is data). */
  get headerFound(): boolean {
    return this.#headerDone;
  }

  /** The header record's bytes once it has ended (as `finish` gives them), so it can be judged early. */
  get foundHeaderBytes(): Uint8Array | undefined {
    return this.#headerDone ? Uint8Array.from(this.#header) : undefined;
  }

  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (!this.#bomChecked) {
      // The BOM test needs the first three bytes, which may arrive in separate chunks.
      const wanted = BOM.length - this.#bomProbe.length;
      const probe = [...this.#bomProbe, ...bytes.subarray(0, wanted)];
      if (probe.length < BOM.length) {
        this.#bomProbe = probe;
        return;
      }
      this.#bomChecked = true;
      this.#bomProbe = [];
      bytes = bytes.subarray(wanted);
      if (BOM.every((value, i) => probe[i] === value)) this.#offset = BOM.length;
      else for (const byte of probe) this.#step(byte);
    }
    for (let i = 0; i < bytes.length; i += 1) this.#step(bytes[i] ?? 0);
  }

  finish(): RangePlan {
    if (!this.#bomChecked) {
      // Shorter than a BOM: scan what there is.
      this.#bomChecked = true;
      for (const byte of this.#bomProbe) this.#step(byte);
      this.#bomProbe = [];
    }
    if (this.#quotePending) {
      // The file ends right after a closing quote.
      this.#quotePending = false;
      this.#inQuotes = false;
    }
    if (this.#crPending) {
      this.#crPending = false;
      this.#delimiter ??= 'cr';
      if (this.#delimiter === 'cr') this.#endRecord();
      else this.#data(CR);
    }
    if (!this.#headerDone) {
      // No line break after the header (or nothing at all): a header-only or empty file.
      this.#headerDone = true;
      this.#header = isBlank(this.#recordData) ? [] : trimLineBreaks(this.#header);
      this.#dataFirstLine = this.#line + 1;
    } else if (this.#offset > this.#rangeStart) {
      this.#pushRange();
    }
    return {
      headerBytes: Uint8Array.from(this.#header),
      dataFirstLine: this.#dataFirstLine,
      ranges: this.#ranges,
      bytes: this.#offset,
      ...(this.#delimiter ? { recordDelimiter: DELIMITERS[this.#delimiter] } : {}),
      unterminatedQuote: this.#inQuotes,
      ...(this.#inQuotes ? { unterminatedQuoteLine: this.#quoteOpenedOnLine } : {}),
      ...(this.#cutOffset === undefined || this.#cutAtLine === undefined
        ? {}
        : { cut: { offset: this.#cutOffset, line: this.#cutAtLine } }),
    };
  }

  #step(byte: number): void {
    if (this.#quotePending) {
      this.#quotePending = false;
      if (byte === QUOTE) {
        // `""` inside quotes: an escaped quote, still inside.
        this.#consume(byte);
        this.#data(byte);
        return;
      }
      // The pending quote closed the field.
      this.#inQuotes = false;
      this.#previousData = -1;
      // Text right after it makes the reader keep the field as written, quotes included
      // (relax_quotes): whatever else it holds, that record is not blank.
      if (!this.#headerDone && byte !== COMMA && byte !== CR && byte !== LF) this.#recordData.push(QUOTE);
    }
    if (this.#inQuotes) {
      this.#consume(byte);
      if (byte === QUOTE) this.#quotePending = true;
      else this.#data(byte);
      return;
    }
    const afterCr = this.#crPending;
    this.#crPending = false;
    if (afterCr && byte !== LF) {
      // The CR stood alone: a record delimiter if the file uses lone CRs, else data.
      this.#delimiter ??= 'cr';
      if (this.#delimiter === 'cr') this.#endRecord();
      else this.#data(CR);
    }
    this.#consume(byte);
    if (byte === CR) {
      if (this.#delimiter === 'cr') this.#endRecord();
      else if (this.#delimiter === 'lf') this.#data(byte);
      else this.#crPending = true;
    } else if (byte === LF) {
      this.#delimiter ??= afterCr ? 'crlf' : 'lf';
      if (this.#delimiter === 'crlf' ? afterCr : this.#delimiter === 'lf') this.#endRecord();
      else this.#data(byte);
    } else if (byte === COMMA) {
      this.#atFieldStart = true;
      this.#previousData = -1;
      this.#recordSeparators += 1;
      if (this.#recordSeparators >= MAX_RECORD_FIELDS && this.#headerDone) {
        throw new InventoryFileRejectedError(
          'too_many_columns',
          `the record starting on line ${this.#recordLine} has more than ${MAX_RECORD_FIELDS} fields`,
        );
      }
    } else if (byte === QUOTE && this.#atFieldStart) {
      this.#inQuotes = true;
      this.#quoteOpenedOnLine = this.#line;
      this.#atFieldStart = false;
      this.#previousData = -1;
    } else {
      this.#data(byte);
    }
  }

  /**
   * A byte of a field's value (not a separator, delimiter or enclosing quote): counts the line
   * breaks in it, as the reader does field by field.
   */
  #data(byte: number): void {
    if (endsLine(byte, this.#previousData)) this.#line += 1;
    this.#previousData = byte;
    this.#atFieldStart = false;
    if (!this.#headerDone) this.#recordData.push(byte);
  }

  #consume(byte: number): void {
    this.#offset += 1;
    if (!this.#headerDone) {
      if (this.#header.length >= this.#maxHeaderBytes) {
        throw new InventoryFileRejectedError(
          'header_too_long',
          `the header row is longer than ${this.#maxHeaderBytes} bytes; a header names store, item, count and a few other columns`,
        );
      }
      if (this.#offset > this.#headerSearchBytes) {
        throw new InventoryFileRejectedError(
          'no_header',
          `no header row within the first ${this.#headerSearchBytes} bytes of the file (only blank lines)`,
        );
      }
      this.#header.push(byte);
    }
  }

  #endRecord(): void {
    this.#line += 1;
    this.#previousData = -1;
    this.#atFieldStart = true;
    this.#recordSeparators = 0;
    this.#recordLine = this.#line;
    if (!this.#headerDone) {
      const blank = isBlank(this.#recordData);
      this.#recordData = [];
      if (blank) {
        // A blank record before the header: the import skips it too.
        this.#header = [];
        return;
      }
      this.#headerDone = true;
      this.#header = trimLineBreaks(this.#header);
      this.#dataFirstLine = this.#line;
      this.#rangeStart = this.#offset;
      this.#rangeFirstLine = this.#line;
      if (this.#line === this.#cutAtLine) this.#cutOffset = this.#offset;
      return;
    }
    const atCut = this.#line === this.#cutAtLine && this.#cutOffset === undefined;
    if (atCut) this.#cutOffset = this.#offset;
    if (atCut || this.#offset - this.#rangeStart >= this.#rangeBytes) {
      this.#pushRange();
      this.#rangeStart = this.#offset;
      this.#rangeFirstLine = this.#line;
    }
  }

  #pushRange(): void {
    this.#ranges.push({
      index: this.#ranges.length,
      start: this.#rangeStart,
      end: this.#offset,
      firstLine: this.#rangeFirstLine,
    });
  }
}

const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Whether a record's field data is blank as the import judges a record (every field empty
 * once trimmed: `,,`, spaces, `""`): only then can the header still follow. Only the
 * records before the header are decoded for this.
 */
function isBlank(fieldData: number[]): boolean {
  return new TextDecoder().decode(Uint8Array.from(fieldData)).trim() === '';
}

function trimLineBreaks(bytes: number[]): number[] {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === LF || bytes[end - 1] === CR)) end -= 1;
  return bytes.slice(0, end);
}

/**
 * Passes a whole file's bytes through as they are, and rejects the file as soon as its
 * header or one of its records is over the caps: the plan step's rule (the planner above),
 * applied where the direct path reads a file, before the parser sees a byte. The parser
 * alone would not stop it: it builds a record whole, and its record size cap
 * (`max_record_size`) counts field text, not separators, so a header (or a line) of ten
 * million commas would become ten million empty cells. The scan costs one pass of the
 * planner (~150 MB/s), small beside the writes.
 */
export async function* guardCsv(
  source: AsyncIterable<Uint8Array>,
  maxHeaderBytes = DEFAULT_FILE_LIMITS.maxHeaderBytes,
): AsyncGenerator<Uint8Array> {
  const planner = new RangePlanner(Number.MAX_SAFE_INTEGER, maxHeaderBytes);
  for await (const chunk of source) {
    planner.push(chunk);
    yield chunk;
  }
}

/**
 * Joins neighbouring ranges until there are at most `maxRanges`. Boundaries stay at record
 * ends, so any union of neighbours is still row-aligned. Used to keep an execution's
 * history and state payload within Step Functions' quotas whatever the file size.
 */
export function coalesceRanges(ranges: readonly ByteRange[], maxRanges: number): ByteRange[] {
  if (ranges.length <= maxRanges) return [...ranges];
  const group = Math.ceil(ranges.length / maxRanges);
  const merged: ByteRange[] = [];
  for (let i = 0; i < ranges.length; i += group) {
    const first = ranges[i];
    const last = ranges[Math.min(i + group, ranges.length) - 1];
    if (!first || !last) continue;
    merged.push({ index: merged.length, start: first.start, end: last.end, firstLine: first.firstLine });
  }
  return merged;
}
