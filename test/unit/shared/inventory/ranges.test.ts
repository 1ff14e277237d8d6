import { describe, expect, it } from 'vitest';
import { InventoryFileRejectedError } from '../../../../shared/inventory/errors.ts';
import { HEADER_SEARCH_BYTES, MAX_RECORD_FIELDS } from '../../../../shared/inventory/limits.ts';
import {
  coalesceRanges,
  guardCsv,
  type RangePlan,
  RangePlanner,
} from '../../../../shared/inventory/ranges.ts';
import { bytesOf, collect, metered, plan, rangeRecords, repeated, wholeFileRecords } from './helpers.ts';

const header = (result: RangePlan): string => new TextDecoder().decode(result.headerBytes);

describe('RangePlanner', () => {
  it('splits at record ends and keeps every record and its line number', async () => {
    // Prepare
    const rows = Array.from({ length: 40 }, (_, i) => `s${i % 3},item-${i},${i}`);
    const content = `store,item,count\n${rows.join('\n')}\n`;

    // Act
    const result = plan(content, 50);

    // Assess
    expect(result.ranges.length).toBeGreaterThan(5);
    expect(header(result)).toBe('store,item,count');
    expect(result.ranges[0]?.start).toBe('store,item,count\n'.length);
    expect(result.ranges.at(-1)?.end).toBe(content.length);
    for (const [i, range] of result.ranges.entries()) {
      expect(content[range.start - 1]).toBe('\n');
      if (i > 0) expect(range.start).toBe(result.ranges[i - 1]?.end);
    }
    expect(await rangeRecords(content, result)).toEqual(await wholeFileRecords(content));
  });

  it('never cuts a quoted field that holds line breaks, even at a range boundary', async () => {
    // Prepare: a multi-line quoted item right where a 20-byte range would end.
    const content =
      'store,item,count\n' +
      's1,a,1\n' +
      's1,"long\nitem with\r\nbreaks, commas and ""quotes""\n",2\n' +
      's1,b,3\n' +
      's2,"x\ny",4\n' +
      's2,c,5\n';

    // Act
    const results = [1, 5, 12, 20, 33].map((size) => plan(content, size, 3));

    // Assess
    const expected = await wholeFileRecords(content);
    expect(expected.map((record) => record.line)).toEqual([2, 3, 7, 8, 10]);
    for (const result of results) {
      expect(result.unterminatedQuote).toBe(false);
      expect(await rangeRecords(content, result)).toEqual(expected);
    }
  });

  it('starts a range where the record on the line asked for starts, after a quoted line break too', async () => {
    // Prepare: records on lines 2, 3 (to 5), 6, 7 (to 8), 9.
    const content = 'store,item,count\ns1,a,1\ns1,"x\ny\nz",2\ns1,b,3\ns2,"p\nq",4\ns2,c,5\n';
    const expected = await wholeFileRecords(content);

    // Act
    const cuts = [2, 3, 6, 7, 9, 10].map((line) => plan(content, 1000, 3, line));
    const inside = plan(content, 1000, 3, 4);

    // Assess: the cut is where the record of that line begins; the ranges still hold every
    // record once, with its line; a line inside a record has no record starting on it.
    expect(expected.map((record) => record.line)).toEqual([2, 3, 6, 7, 9]);
    for (const [i, result] of cuts.entries()) {
      const line = [2, 3, 6, 7, 9, 10][i] as number;
      expect(result.cut?.line).toBe(line);
      const from = result.ranges.find((range) => range.start === result.cut?.offset);
      if (line <= 9) expect(from?.firstLine).toBe(line);
      else expect(result.cut?.offset).toBe(content.length);
      expect(await rangeRecords(content, result)).toEqual(expected);
    }
    expect(inside.cut).toBeUndefined();
    expect(inside.ranges).toHaveLength(1);
  });

  it('strips a BOM from the header, and only the first range follows it', async () => {
    // Prepare
    const content = '\uFEFFstore,item,count\r\ns1,a,1\r\ns1,b,2\r\n';

    // Act: chunks of one byte, so the BOM arrives in three pieces.
    const result = plan(content, 8, 1);

    // Assess
    expect(header(result)).toBe('store,item,count');
    const bytes = new TextEncoder().encode(content);
    expect(result.ranges[0]?.start).toBe(3 + 'store,item,count\r\n'.length);
    expect(result.ranges.every((range) => bytes[range.start] !== 0xef)).toBe(true);
    expect(await rangeRecords(content, result)).toEqual(await wholeFileRecords(content));
  });

  it('splits CRLF files after the LF, and counts a CRLF inside quotes as one line', async () => {
    // Prepare
    const content = 'store,item,count\r\ns1,"a\r\nb",1\r\ns1,c,2\r\ns1,d,3\r\n';

    // Act
    const result = plan(content, 1);

    // Assess
    expect(result.ranges.map((range) => range.firstLine)).toEqual([2, 4, 5]);
    for (const range of result.ranges) expect(content.slice(range.end - 2, range.end)).toBe('\r\n');
    expect(await rangeRecords(content, result)).toEqual(await wholeFileRecords(content));
  });

  it('handles lone-CR line endings', async () => {
    // Prepare
    const content = 'store,item,count\rs1,a,1\rs1,b,2\r';

    // Act
    const result = plan(content, 1);

    // Assess
    expect(result.ranges.map((range) => range.firstLine)).toEqual([2, 3]);
    expect(await rangeRecords(content, result)).toEqual(await wholeFileRecords(content));
  });

  it('keeps one huge record (no line break for longer than a range) in one range', async () => {
    // Prepare
    const big = 'x'.repeat(5000);
    const content = `store,item,count\ns1,${big},1\ns1,b,2`;

    // Act
    const result = plan(content, 100, 64);

    // Assess: the big record is a range of its own; the file's unterminated last line too.
    expect(result.ranges).toHaveLength(2);
    expect(result.ranges[0]?.end).toBe(content.indexOf('s1,b'));
    expect(result.ranges[1]).toMatchObject({ end: content.length, firstLine: 3 });
    expect(await rangeRecords(content, result)).toEqual(await wholeFileRecords(content));
  });

  it('plans one range for a file smaller than a range', () => {
    // Prepare
    const content = 'store,item,count\ns1,a,1\ns1,b,2\n';

    // Act
    const result = plan(content, 1 << 20);

    // Assess
    expect(result.ranges).toEqual([{ index: 0, start: 17, end: content.length, firstLine: 2 }]);
  });

  it('plans no range for a header-only file, with or without a final line break', () => {
    // Act
    const withBreak = plan('store,item,count\n', 10);
    const withoutBreak = plan('store,item,count', 10);

    // Assess
    expect(withBreak.ranges).toEqual([]);
    expect(withoutBreak.ranges).toEqual([]);
    expect(header(withBreak)).toBe('store,item,count');
    expect(header(withoutBreak)).toBe('store,item,count');
  });

  it('plans nothing for an empty file', () => {
    // Act
    const empty = plan('', 10);
    const bomOnly = plan('\uFEFF', 10);

    // Assess
    expect(empty).toMatchObject({ ranges: [], bytes: 0, unterminatedQuote: false });
    expect(empty.headerBytes).toHaveLength(0);
    expect(bomOnly.ranges).toEqual([]);
    expect(bomOnly.headerBytes).toHaveLength(0);
  });

  it('skips blank lines before the header, as the import does', async () => {
    // Prepare
    const content = '\n , \nstore,item,count\ns1,a,1\n';

    // Act
    const result = plan(content, 1);

    // Assess
    expect(header(result)).toBe('store,item,count');
    expect(result.ranges).toEqual([{ index: 0, start: 22, end: content.length, firstLine: 4 }]);
    expect(await rangeRecords(content, result)).toEqual(await wholeFileRecords(content));
  });

  it('reports a file that ends inside a quoted field, with the line the quote opened on', () => {
    // Act
    const result = plan('store,item,count\ns1,a,1\ns1,"open\nnever closed,2\n', 4);

    // Assess
    expect(result.unterminatedQuote).toBe(true);
    expect(result.unterminatedQuoteLine).toBe(3);
  });

  it('treats a quote inside an unquoted field as text (as the parser does)', async () => {
    // Prepare: `12" pipe` would open a quoted field if quotes counted anywhere.
    const content = 'store,item,count\ns1,12" pipe,1\ns1,b,2\ns1,c,3\n';

    // Act
    const result = plan(content, 1);

    // Assess
    expect(result.unterminatedQuote).toBe(false);
    expect(result.ranges).toHaveLength(3);
    expect(await rangeRecords(content, result)).toEqual(await wholeFileRecords(content));
  });

  it('takes as the header the first record that is not blank once parsed, as the import does', async () => {
    // Prepare: a quoted space and a lone comma are blank; a quoted quote is not.
    const content = '" ",\t\n""""\nstore,item,count\ns1,a,1\n';

    // Act
    const result = plan(content, 1, 2);

    // Assess
    expect(header(result)).toBe('""""');
    expect(result.dataFirstLine).toBe(3);
    expect(await rangeRecords(content, result)).toEqual(await wholeFileRecords(content));
  });

  it('counts a line break in unquoted data as the reader does (a file with mixed line endings)', async () => {
    // Prepare: LF-delimited, with a lone CR and a CRLF inside unquoted cells.
    const content = 'store,item,count\ns1,a\rb,1\ns1,c,2\ns1,d\r\ns1,e,3\n';

    // Act
    const result = plan(content, 1, 3);

    // Assess
    const expected = await wholeFileRecords(content);
    expect(expected.map((record) => record.line)).toEqual([2, 4, 5, 7]);
    expect(await rangeRecords(content, result)).toEqual(expected);
  });
});

describe('RangePlanner caps', () => {
  const rejectionOf = (act: () => unknown): InventoryFileRejectedError => {
    try {
      act();
    } catch (error) {
      if (error instanceof InventoryFileRejectedError) return error;
      throw error;
    }
    throw new Error('expected a rejection');
  };

  it('rejects a header longer than the cap as soon as it passes it', () => {
    // Prepare: a header followed by a million commas, fed in one chunk.
    const planner = new RangePlanner(1024, 1000);
    const content = new TextEncoder().encode(`store,item,count${','.repeat(1_000_000)}\ns1,a,1\n`);

    // Act
    const error = rejectionOf(() => planner.push(content));

    // Assess
    expect(error.reason).toBe('header_too_long');
    expect(error.message).toContain('1000 bytes');
  });

  it('counts the header’s line break in the cap', () => {
    // Prepare: 998 + CRLF bytes fit in 1000; 999 + CRLF do not.
    const fits = `store,item,count,${'n'.repeat(981)}`;
    const over = `${fits}n`;
    const planner = new RangePlanner(1024, 1000);

    // Act
    planner.push(new TextEncoder().encode(`${fits}\r\ns1,a,1,x\r\n`));
    const result = planner.finish();
    const error = rejectionOf(() =>
      new RangePlanner(1024, 1000).push(new TextEncoder().encode(`${over}\r\n`)),
    );

    // Assess
    expect(fits).toHaveLength(998);
    expect(new TextDecoder().decode(result.headerBytes)).toBe(fits);
    expect(error.reason).toBe('header_too_long');
  });

  it('rejects a file of blank lines once no header has ended within the search window', () => {
    // Prepare
    const planner = new RangePlanner(1024);
    const blankLines = new TextEncoder().encode(' ,\n'.repeat(HEADER_SEARCH_BYTES));

    // Act
    const error = rejectionOf(() => planner.push(blankLines));

    // Assess
    expect(error.reason).toBe('no_header');
  });

  it('tells when the header has ended, and what it is', () => {
    // Prepare
    const planner = new RangePlanner(1024);

    // Act
    planner.push(new TextEncoder().encode('\n,,\nstore,item,'));
    const before = [planner.headerFound, planner.foundHeaderBytes];
    planner.push(new TextEncoder().encode('count\ns1'));

    // Assess
    expect(before).toEqual([false, undefined]);
    expect(planner.headerFound).toBe(true);
    expect(new TextDecoder().decode(planner.foundHeaderBytes)).toBe('store,item,count');
  });

  it('refuses a record with more fields than the cap after the header, naming its line', () => {
    // Prepare
    const planner = new RangePlanner(1024);
    const wide = `s1,a,1\n"a ""quoted"", field",b${','.repeat(MAX_RECORD_FIELDS)}\n`;

    // Act
    const error = rejectionOf(() => planner.push(new TextEncoder().encode(`store,item,count\n${wide}`)));

    // Assess
    expect(error.reason).toBe('too_many_columns');
    expect(error.message).toBe(`the record starting on line 3 has more than ${MAX_RECORD_FIELDS} fields`);
  });

  it('accepts records of up to the cap of fields, commas inside quotes aside', () => {
    // Prepare
    const planner = new RangePlanner(1024);
    const widest = `s1,"${','.repeat(MAX_RECORD_FIELDS * 2)}"${','.repeat(MAX_RECORD_FIELDS - 2)}\n`;

    // Act
    planner.push(new TextEncoder().encode(`store,item,count\n${widest}${widest}`));
    const result = planner.finish();

    // Assess
    expect(result.bytes).toBe(`store,item,count\n${widest}${widest}`.length);
  });
});

describe('guardCsv', () => {
  it('passes a file through unchanged, chunk by chunk', async () => {
    // Prepare
    const content = '\uFEFFstore,item,count\ns1,"a\nb",1\n';

    // Act
    const chunks = await collect(guardCsv(bytesOf(content, 4)));

    // Assess
    expect(Buffer.concat(chunks).toString()).toBe(content);
  });

  it('rejects a header of ten million commas having read only the first chunks of it', async () => {
    // Prepare
    const file = metered(repeated('store,item,count', ',', 10_000_000));

    // Act
    const outcome = collect(guardCsv(file.source));

    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'header_too_long' });
    expect(file.taken()).toBeLessThan(256 * 1024);
  });
});

describe('coalesceRanges', () => {
  it('joins neighbours to stay within the maximum, keeping boundaries and first lines', () => {
    // Prepare
    const ranges = Array.from({ length: 10 }, (_, i) => ({
      index: i,
      start: i * 10,
      end: i * 10 + 10,
      firstLine: i + 2,
    }));

    // Act
    const merged = coalesceRanges(ranges, 4);

    // Assess
    expect(merged).toEqual([
      { index: 0, start: 0, end: 30, firstLine: 2 },
      { index: 1, start: 30, end: 60, firstLine: 5 },
      { index: 2, start: 60, end: 90, firstLine: 8 },
      { index: 3, start: 90, end: 100, firstLine: 11 },
    ]);
    expect(coalesceRanges(ranges, 10)).toEqual(ranges);
  });
});
