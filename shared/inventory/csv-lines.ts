/**
 * Lines of a CSV file, as every part of the import counts them, so that a row error names
 * the line a person sees in an editor (the header is line 1): a CRLF, a lone CR and a lone
 * LF each end one line, inside quoted fields as well as between records. The CSV reader
 * counts them in the fields it parses (plus one per record delimiter), the byte-range
 * planner in the bytes it scans, as the reader would; the decoder, naming the line of an
 * invalid byte, in the raw bytes. All use `endsLine`. In a file with one line ending
 * throughout, all three agree with an editor; in a file that mixes them, a CR ending an
 * unquoted cell right before an LF delimiter is a line of its own to the reader.
 */

export const LF = 0x0a;
export const CR = 0x0d;

/** What ends a record outside quotes: one of the three, the same throughout a file. */
export type RecordDelimiter = '\n' | '\r\n' | '\r';

/**
 * Whether a code unit ends a line, given the one before it (-1 at the start). CR and LF are
 * the same in UTF-8 bytes and UTF-16 code units, so this reads either.
 */
export function endsLine(code: number, previous: number): boolean {
  return code === CR || (code === LF && previous !== CR);
}

/** Line breaks in a piece of text (a parsed field). */
export function lineBreaksIn(text: string): number {
  // Most fields hold none: two native scans instead of a loop over every character.
  if (!text.includes('\n') && !text.includes('\r')) return 0;
  let breaks = 0;
  let previous = -1;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (endsLine(code, previous)) breaks += 1;
    previous = code;
  }
  return breaks;
}

/**
 * Counts the line breaks in a stream of bytes, chunk by chunk: a CRLF split between two
 * chunks still counts once.
 */
export class LineBreakCounter {
  #previous = -1;
  #breaks = 0;

  /** Line breaks counted so far. */
  get breaks(): number {
    return this.#breaks;
  }

  /** Line breaks in `bytes` (read after everything pushed before), without counting them yet. */
  peek(bytes: Uint8Array): number {
    let breaks = 0;
    // Only the bytes that can end a line are visited (native scans); most bytes are neither.
    let lf = bytes.indexOf(LF);
    let cr = bytes.indexOf(CR);
    while (lf !== -1 || cr !== -1) {
      const at = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (endsLine(bytes[at] ?? 0, at === 0 ? this.#previous : (bytes[at - 1] ?? -1))) breaks += 1;
      if (at === lf) lf = bytes.indexOf(LF, at + 1);
      else cr = bytes.indexOf(CR, at + 1);
    }
    return breaks;
  }

  push(bytes: Uint8Array): void {
    this.#breaks += this.peek(bytes);
    if (bytes.length > 0) this.#previous = bytes[bytes.length - 1] ?? -1;
  }
}
