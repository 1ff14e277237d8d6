import fc from 'fast-check';

/**
 * Generated CSV files for the property tests, with what each record must parse to and the
 * physical line it starts on, worked out here without the code under test.
 *
 * A file uses one record delimiter throughout (LF, CRLF or CR, as a spreadsheet writes it);
 * line breaks of any kind appear only inside quoted fields, next to quotes, commas and
 * multi-byte characters. Blank lines, a byte-order mark and a missing final delimiter are
 * all possible.
 */
export interface GeneratedRecord {
  /** As written in the file. */
  text: string;
  /** As the reader must return them. */
  fields: string[];
}

export interface GeneratedFile {
  text: string;
  bytes: Uint8Array;
  delimiter: '\n' | '\r\n' | '\r';
  /** Every record, blank lines included, in file order. */
  records: GeneratedRecord[];
  /** Byte offset where each record starts (after the BOM, if any). */
  starts: number[];
  /** The physical line each record starts on, counted by this file (CRLF, CR, LF once each). */
  lines: number[];
  /** Byte offsets just past each record delimiter: where a record ends. */
  boundaries: number[];
}

const plainText = fc.string({
  unit: fc.constantFrom('a', 'b', 'z', '7', ' ', '\t', 'é', '€', '😀'),
  maxLength: 6,
});

/** An unquoted field; a quote inside one (`12" pipe`) is text, as spreadsheets write it. */
const unquotedField = fc.tuple(plainText, fc.boolean()).map(([text, withQuote]): GeneratedRecord => {
  const value = withQuote && text.length > 0 ? `${text}"in` : text;
  return { text: value, fields: [value] };
});

/** A quoted field: commas, doubled quotes and line breaks of every kind inside. */
const quotedField = fc
  .array(fc.constantFrom('a', 'é', '😀', ' ', ',', '""', '\n', '\r', '\r\n', '\n\n'), { maxLength: 8 })
  .map((pieces): GeneratedRecord => {
    const inner = pieces.join('');
    return { text: `"${inner}"`, fields: [inner.replaceAll('""', '"')] };
  });

/**
 * Fields of files that break the rules: a line break in an unquoted field, as a file with
 * mixed line endings has (a lone CR in an LF file…), whether it is data or the record's end
 * depending on the file's delimiter; text right after a closing quote, which the reader
 * keeps as written. Files with these say nothing of what their records parse to (`records`
 * is unreliable).
 */
const irregularField = fc.oneof(
  fc.tuple(plainText, fc.constantFrom('\r', '\n', '\r\n'), plainText).map(([before, lineBreak, after]) => {
    const value = `${before}${lineBreak}${after}`;
    return { text: value, fields: [value] };
  }),
  fc.tuple(quotedField, fc.constantFrom(' ', 'x', '"')).map(([quoted, after]) => {
    const value = `${quoted.text}${after}`;
    return { text: value, fields: [value] };
  }),
);

const field = fc.oneof({ arbitrary: unquotedField, weight: 3 }, { arbitrary: quotedField, weight: 2 });

/** A record of one to four fields; a single empty unquoted field is a blank line. */
const recordOf = (fieldArbitrary: fc.Arbitrary<GeneratedRecord>) =>
  fc.array(fieldArbitrary, { minLength: 1, maxLength: 4 }).map(
    (fields): GeneratedRecord => ({
      text: fields.map((f) => f.text).join(','),
      fields: fields.flatMap((f) => f.fields),
    }),
  );

const blankLine: fc.Arbitrary<GeneratedRecord> = fc.constant({ text: '', fields: [''] });

const physicalLineBreaks = (text: string): number => text.match(/\r\n|\r|\n/g)?.length ?? 0;

export const csvFile = (
  options: { maxRecords?: number; irregular?: boolean } = {},
): fc.Arbitrary<GeneratedFile> => {
  const record = recordOf(
    options.irregular ? fc.oneof(field, { arbitrary: irregularField, weight: 1 }) : field,
  );
  return fc
    .record({
      delimiter: fc.constantFrom('\n' as const, '\r\n' as const, '\r' as const),
      bom: fc.boolean(),
      records: fc.array(fc.oneof({ arbitrary: record, weight: 5 }, { arbitrary: blankLine, weight: 1 }), {
        minLength: 1,
        maxLength: options.maxRecords ?? 12,
      }),
      finalDelimiter: fc.boolean(),
    })
    .map(({ delimiter, bom, records, ...rest }) => {
      // Without a final delimiter, a last blank line is no record at all: the file ends with
      // the delimiter before it.
      const endsBlank = !rest.finalDelimiter && records.at(-1)?.text === '';
      const kept = endsBlank ? records.slice(0, -1) : records;
      const finalDelimiter = rest.finalDelimiter || endsBlank;
      const encoder = new TextEncoder();
      const prefix = bom ? '\uFEFF' : '';
      const starts: number[] = [];
      const lines: number[] = [];
      const boundaries: number[] = [];
      let text = prefix;
      kept.forEach((generated, index) => {
        starts.push(encoder.encode(text).length);
        lines.push(physicalLineBreaks(text) + 1);
        text += generated.text;
        if (index < kept.length - 1 || finalDelimiter) {
          text += delimiter;
          boundaries.push(encoder.encode(text).length);
        }
      });
      return { text, bytes: encoder.encode(text), delimiter, records: kept, starts, lines, boundaries };
    });
};

/** Chunk sizes to feed a reader with, so that chunk edges fall everywhere (inside a CRLF, a character). */
export const chunkSize = fc.integer({ min: 1, max: 17 });
