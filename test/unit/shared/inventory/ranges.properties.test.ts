import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvRecord, decodeUtf8, readCsvRecords } from '../../../../shared/inventory/csv-records.ts';
import { InventoryFileRejectedError } from '../../../../shared/inventory/errors.ts';
import { coalesceRanges } from '../../../../shared/inventory/ranges.ts';
import { chunkSize, csvFile, type GeneratedFile } from './csv-arbitraries.ts';
import { bytesOf, collect, plan, rangeRecords, wholeFileRecords } from './helpers.ts';

// Small files, a few hundred runs: seconds, and every quoting and line-ending rule met often.
const runs = { numRuns: 200 };

/** The records read, or the reason the reader refused the file. */
async function outcomeOf(reading: Promise<CsvRecord[]>): Promise<CsvRecord[] | { rejected: string }> {
  try {
    return await reading;
  } catch (error) {
    if (error instanceof InventoryFileRejectedError) return { rejected: error.reason };
    throw error;
  }
}

/** The import's header is its first record that is not blank. */
const headerIndex = (file: GeneratedFile): number =>
  file.records.findIndex((record) => record.fields.some((field) => field.trim() !== ''));

const withHeader = csvFile({ maxRecords: 14 }).filter((file) => headerIndex(file) >= 0);

/** A range size from one byte to a little more than the file. */
const sizedFile = withHeader.chain((file) =>
  fc.record({ file: fc.constant(file), rangeBytes: fc.integer({ min: 1, max: file.bytes.length + 2 }) }),
);

describe('RangePlanner on generated files', () => {
  it('cuts only where a record ends, into contiguous ranges from the header to the end', async () => {
    await fc.assert(
      fc.asyncProperty(sizedFile, chunkSize, async ({ file, rangeBytes }, size) => {
        // Act
        const { ranges } = plan(file.bytes, rangeBytes, size);

        // Assess
        const afterHeader = file.boundaries[headerIndex(file)];
        if (afterHeader === undefined || afterHeader === file.bytes.length) {
          expect(ranges).toEqual([]);
          return;
        }
        expect(ranges[0]?.start).toBe(afterHeader);
        expect(ranges.at(-1)?.end).toBe(file.bytes.length);
        for (const [i, range] of ranges.entries()) {
          expect(range.index).toBe(i);
          if (i > 0) expect(range.start).toBe(ranges[i - 1]?.end);
          if (i < ranges.length - 1) {
            expect(file.boundaries).toContain(range.end);
            expect(range.end - range.start).toBeGreaterThanOrEqual(rangeBytes);
          }
        }
      }),
      runs,
    );
  });

  it('gives, range by range, the records and line numbers of the whole file', async () => {
    await fc.assert(
      fc.asyncProperty(sizedFile, chunkSize, async ({ file, rangeBytes }, size) => {
        // Act
        const result = plan(file.bytes, rangeBytes, size);

        // Assess
        expect(result.unterminatedQuote).toBe(false);
        expect(await rangeRecords(file.bytes, result, size)).toEqual(
          await wholeFileRecords(file.bytes, size),
        );
      }),
      runs,
    );
  });

  it('gives the same records range by range for files that break the rules, too', async () => {
    const mixed = csvFile({ irregular: true }).chain((file) =>
      fc.record({ file: fc.constant(file), rangeBytes: fc.integer({ min: 1, max: file.bytes.length + 2 }) }),
    );
    await fc.assert(
      fc.asyncProperty(mixed, chunkSize, async ({ file, rangeBytes }, size) => {
        // Act
        const result = plan(file.bytes, rangeBytes, size);

        // Assess: a stray line break can leave a quote open; then both refuse the file.
        const byRange = result.unterminatedQuote
          ? { rejected: 'malformed_csv' }
          : await outcomeOf(rangeRecords(file.bytes, result, size));
        expect(byRange).toEqual(await outcomeOf(wholeFileRecords(file.bytes, size)));
      }),
      runs,
    );
  });

  it('keeps the header record apart, without its BOM, and the line data starts on', async () => {
    await fc.assert(
      fc.asyncProperty(sizedFile, chunkSize, async ({ file, rangeBytes }, size) => {
        // Act
        const result = plan(file.bytes, rangeBytes, size);

        // Assess
        const index = headerIndex(file);
        const header = await collect(readCsvRecords(decodeUtf8(bytesOf(result.headerBytes))));
        expect(header.map((record) => record.fields)).toEqual([file.records[index]?.fields]);
        const next = file.lines[index + 1];
        if (next !== undefined) expect(result.dataFirstLine).toBe(next);
        if (result.ranges[0]) expect(result.ranges[0].firstLine).toBe(next);
      }),
      runs,
    );
  });

  it('joins neighbours without moving a cut off a record end', async () => {
    await fc.assert(
      fc.asyncProperty(sizedFile, fc.integer({ min: 1, max: 5 }), async ({ file, rangeBytes }, maxRanges) => {
        // Prepare
        const { ranges } = plan(file.bytes, rangeBytes);

        // Act
        const merged = coalesceRanges(ranges, maxRanges);

        // Assess
        expect(merged.length).toBeLessThanOrEqual(Math.max(maxRanges, 0));
        expect(merged[0]?.start).toBe(ranges[0]?.start);
        expect(merged.at(-1)?.end).toBe(ranges.at(-1)?.end);
        const cuts = new Set(ranges.map((range) => range.end));
        const firstLines = new Map(ranges.map((range) => [range.start, range.firstLine]));
        for (const [i, range] of merged.entries()) {
          expect(range.index).toBe(i);
          if (i > 0) expect(range.start).toBe(merged[i - 1]?.end);
          expect(cuts.has(range.end)).toBe(true);
          expect(range.firstLine).toBe(firstLines.get(range.start));
        }
      }),
      runs,
    );
  });
});
