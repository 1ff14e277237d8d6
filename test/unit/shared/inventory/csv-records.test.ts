import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeUtf8,
  firstInvalidUtf8Offset,
  gunzip,
  MAX_RECORD_CHARACTERS,
  readCsvRecords,
} from '../../../../shared/inventory/csv-records.ts';
import { InventoryFileRejectedError } from '../../../../shared/inventory/errors.ts';
import { DEFAULT_FILE_LIMITS } from '../../../../shared/inventory/limits.ts';
import { bytesOf, collect, gzip, gzipStream, metered, repeated } from './helpers.ts';

const records = (text: string | Uint8Array, chunkSize = 7) =>
  collect(readCsvRecords(decodeUtf8(bytesOf(text, chunkSize))));

async function rejection(promise: Promise<unknown>): Promise<InventoryFileRejectedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof InventoryFileRejectedError))
    throw new Error(`expected a rejection, got ${String(error)}`);
  return error;
}

describe('readCsvRecords', () => {
  it('drops a UTF-8 byte-order mark before the header', async () => {
    // Prepare
    const text = '\uFEFFstore,item,count\ns1,apple,3\n';

    // Act
    const result = await records(text);

    // Assess
    expect(result).toEqual([
      { fields: ['store', 'item', 'count'], line: 1 },
      { fields: ['s1', 'apple', '3'], line: 2 },
    ]);
  });

  it('reads CRLF files, with and without a final line break', async () => {
    // Prepare
    const text = 'store,item,count\r\ns1,apple,3\r\ns2,pear,4';

    // Act
    const result = await records(text, 3);

    // Assess
    expect(result.map((r) => [r.fields, r.line])).toEqual([
      [['store', 'item', 'count'], 1],
      [['s1', 'apple', '3'], 2],
      [['s2', 'pear', '4'], 3],
    ]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields', async () => {
    // Prepare
    const text = 'store,item,count\n"s, 1","say ""hi""",1\n"multi\nline\nstore",x,2\n';

    // Act
    const result = await records(text);

    // Assess
    expect(result.map((r) => r.fields)).toEqual([
      ['store', 'item', 'count'],
      ['s, 1', 'say "hi"', '1'],
      ['multi\nline\nstore', 'x', '2'],
    ]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('numbers records by the line they start on after quoted line breaks (%s)', async (_name, eol) => {
    // Prepare: line 3 starts a record that spans lines 3–5; line 6 is empty.
    const text = [
      'store,item,count',
      's1,a,1',
      `"two${eol}line${eol}s",b,2`,
      '',
      's1,c,3',
      's1,"d',
      'e",4',
      '',
    ].join(eol);

    // Act
    const result = await records(text, 5);

    // Assess: the empty line comes out as one empty field, so every line is accounted for.
    expect(result.map((r) => [r.line, r.fields.length])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
      [6, 1],
      [7, 3],
      [8, 3],
    ]);
  });

  it('starts numbering at firstLine for a byte range of a larger file', async () => {
    // Prepare
    const text = 's1,a,1\n"x\ny",b,2\ns1,c,3\n';

    // Act
    const result = await collect(readCsvRecords(decodeUtf8(bytesOf(text), 41), 41));

    // Assess
    expect(result.map((r) => r.line)).toEqual([41, 42, 44]);
  });

  it('keeps a quote inside an unquoted field as text', async () => {
    // Prepare
    const text = 'store,item,count\ns1,12" pipe,5\n';

    // Act
    const result = await records(text);

    // Assess
    expect(result[1]?.fields).toEqual(['s1', '12" pipe', '5']);
  });

  it('rejects a quote that is never closed, naming the line its record starts on', async () => {
    // Prepare
    const text = 'store,item,count\ns1,a,1\ns1,"b,2\ns1,c,3\n';

    // Act
    const error = await rejection(records(text));

    // Assess
    expect(error.reason).toBe('malformed_csv');
    expect(error.message).toContain('the record starting at line 3');
  });

  it('names the right line for a broken record far into the file, past buffered records', async () => {
    // Prepare: 5000 good rows arrive in one chunk with the broken one.
    const text = `store,item,count\n${'s1,a,1\n'.repeat(5000)}s1,"b,2\n`;

    // Act
    const error = await rejection(records(text, 1 << 20));

    // Assess
    expect(error.message).toContain('the record starting at line 5002');
  });

  it('keeps a character outside the BMP whole where a large chunk is cut for the parser', async () => {
    // Prepare: one 8 KB chunk whose emoji (a surrogate pair) starts on the parser's cut,
    // 4096 characters in (17 of header, 3 of "s1,", 4075 of padding).
    const item = `${'x'.repeat(4075)}🍎`;
    const text = `store,item,count\ns1,${item},1\ns2,${'y'.repeat(4000)}🍐,2\n`;

    // Act
    const parsed = await records(text, 1 << 20);

    // Assess
    expect(parsed.map((record) => record.fields[1])).toEqual(['item', item, `${'y'.repeat(4000)}🍐`]);
  });

  it('stops reading the file at a record over the cap, instead of parsing the rest', async () => {
    // Prepare: a quote never closed, then 50 MB more of the same field.
    const file = metered(repeated('store,item,count\ns1,"', 'x', 50_000_000));

    // Act
    const error = await rejection(collect(readCsvRecords(decodeUtf8(file.source))));

    // Assess
    expect(error.reason).toBe('malformed_csv');
    expect(file.taken()).toBeLessThan(MAX_RECORD_CHARACTERS + 1_000_000);
  });

  it('rejects a record longer than the cap instead of buffering the rest of the file', async () => {
    // Prepare
    const text = `store,item,count\ns1,"${'x'.repeat(MAX_RECORD_CHARACTERS + 10)}`;

    // Act
    const error = await rejection(records(text, 65_536));

    // Assess
    expect(error.reason).toBe('malformed_csv');
  });
});

describe('decodeUtf8', () => {
  it('decodes multi-byte characters split across chunks', async () => {
    // Prepare
    const text = 'store,item,count\nZürich,crème brûlée,1\n東京,寿司,2\n';

    // Act
    const decoded = (await collect(decodeUtf8(bytesOf(text, 1)))).join('');

    // Assess
    expect(decoded).toBe(text);
  });

  it('rejects invalid UTF-8 and names the line it is on', async () => {
    // Prepare: Latin-1 "é" (0xE9) on line 3.
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('store,item,count\ns1,a,1\ns1,caf'),
      0xe9,
      ...new TextEncoder().encode(',2\n'),
    ]);

    // Act
    const error = await rejection(collect(decodeUtf8(bytesOf(bytes, 64))));

    // Assess
    expect(error.reason).toBe('invalid_utf8');
    expect(error.message).toContain('line 3');
    expect(error.message).toContain('0xe9');
  });

  it('hands out a large chunk in pieces of at most 4 KB, whole characters intact', async () => {
    // Prepare: one 64 KB chunk, as a network read gives it, with 3-byte characters that
    // straddle the 4 KB cuts.
    const line = 'Zürich,€-item,1\n';
    const text = `store,item,count\n${line.repeat(4000)}`;
    const bytes = new TextEncoder().encode(text);

    // Act
    const pieces = await collect(decodeUtf8(bytesOf(bytes, bytes.length)));

    // Assess
    expect(bytes.length).toBeGreaterThan(64_000);
    expect(pieces.length).toBeGreaterThan(15);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThanOrEqual(4096);
    expect(pieces.join('')).toBe(text);
  });

  it('names the right line for invalid UTF-8 far into a large chunk', async () => {
    // Prepare: 3,000 good lines, then Latin-1 "é" on line 3002, all in one chunk.
    const bytes = new Uint8Array([
      ...new TextEncoder().encode(`store,item,count\n${'s1,a,1\n'.repeat(3000)}s1,caf`),
      0xe9,
      ...new TextEncoder().encode(',2\n'),
    ]);

    // Act
    const error = await rejection(collect(decodeUtf8(bytesOf(bytes, bytes.length))));

    // Assess
    expect(error.reason).toBe('invalid_utf8');
    expect(error.message).toContain('line 3002');
  });

  it('rejects a file that ends inside a multi-byte character', async () => {
    // Prepare
    const bytes = new Uint8Array([...new TextEncoder().encode('store,item,count\ns1,a,'), 0xe2, 0x82]);

    // Act
    const error = await rejection(collect(decodeUtf8(bytesOf(bytes))));

    // Assess
    expect(error.reason).toBe('invalid_utf8');
  });
});

describe('firstInvalidUtf8Offset', () => {
  it.each([
    ['valid text', [0x61, 0xc3, 0xa9, 0x62], -1],
    ['a stray continuation byte', [0x61, 0x80], 1],
    ['an overlong encoding', [0x61, 0xc0, 0xaf], 1],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80], 0],
    ['a character continued in the next chunk', [0x61, 0xe2, 0x82], -1],
    ['continuation bytes of a character begun in the previous chunk', [0x82, 0xac, 0x61], -1],
  ])('%s', (_name, bytes, expected) => {
    // Act
    const offset = firstInvalidUtf8Offset(new Uint8Array(bytes));

    // Assess
    expect(offset).toBe(expected);
  });
});

describe('gunzip', () => {
  it('inflates a gzip stream chunk by chunk', async () => {
    // Prepare
    const text = 'store,item,count\ns1,a,1\n';

    // Act
    const result = await collect(readCsvRecords(decodeUtf8(gunzip(bytesOf(gzip(text), 5)))));

    // Assess
    expect(result.map((r) => r.fields)).toEqual([
      ['store', 'item', 'count'],
      ['s1', 'a', '1'],
    ]);
  });

  it.each([
    ['not gzip at all', new TextEncoder().encode('store,item,count\n')],
    ['truncated', gzip('store,item,count\ns1,a,1\n'.repeat(50)).subarray(0, 30)],
  ])('rejects a file that is %s', async (_name, bytes) => {
    // Act
    const error = await rejection(collect(gunzip(bytesOf(bytes))));

    // Assess
    expect(error.reason).toBe('corrupt_gzip');
  });

  describe('a decompression bomb', () => {
    // 256 MiB of one CSV row repeated: about 250 KB of gzip, a ratio near deflate's maximum.
    const inflatedBytes = 256 * 1024 * 1024;
    let bomb: Uint8Array;
    beforeAll(async () => {
      bomb = await gzipStream(repeated('store,item,count\n', 's1,a,1\n', inflatedBytes));
    });

    it('is refused for its ratio after inflating only the start of it', async () => {
      // Prepare
      const file = metered(bytesOf(bomb, 16_384));
      let inflated = 0;

      // Act
      const error = await rejection(
        (async () => {
          for await (const chunk of gunzip(file.source)) inflated += chunk.length;
        })(),
      );

      // Assess
      expect(error.reason).toBe('gzip_ratio_too_high');
      expect(inflated).toBeLessThan(4 * 1024 * 1024);
      expect(file.taken()).toBeLessThan(bomb.length / 10);
    });

    it('is refused once it inflates past the size cap, whatever the ratio allows', async () => {
      // Prepare
      const file = metered(bytesOf(bomb, 16_384));
      const limits = { maxGunzippedBytes: 8 * 1024 * 1024, maxGzipRatio: 10_000 };
      let inflated = 0;

      // Act
      const error = await rejection(
        (async () => {
          for await (const chunk of gunzip(file.source, limits)) inflated += chunk.length;
        })(),
      );

      // Assess
      expect(error.reason).toBe('gzip_too_large');
      expect(inflated).toBeLessThanOrEqual(limits.maxGunzippedBytes);
      expect(file.taken()).toBeLessThan(bomb.length / 10);
    });

    it('lets the same kind of file through under a ratio cap that allows it', async () => {
      // Prepare
      const small = await gzipStream(repeated('store,item,count\n', 's1,a,1\n', 4 * 1024 * 1024));
      const limits = { ...DEFAULT_FILE_LIMITS, maxGzipRatio: 10_000 };
      let inflated = 0;

      // Act
      for await (const chunk of gunzip(bytesOf(small, 65_536), limits)) inflated += chunk.length;

      // Assess
      expect(inflated).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    });
  });
});
