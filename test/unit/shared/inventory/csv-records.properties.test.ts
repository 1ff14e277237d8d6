import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, readCsvRecords } from '../../../../shared/inventory/csv-records.ts';
import { InventoryFileRejectedError } from '../../../../shared/inventory/errors.ts';
import { chunkSize, csvFile } from './csv-arbitraries.ts';
import { bytesOf, collect } from './helpers.ts';

// Small files, a few hundred runs: seconds, and every quoting and line-ending rule met often.
const runs = { numRuns: 200 };

describe('readCsvRecords on generated files', () => {
  it('returns every record, with the physical line it starts on', async () => {
    await fc.assert(
      fc.asyncProperty(csvFile(), chunkSize, async (file, size) => {
        // Act
        const records = await collect(readCsvRecords(decodeUtf8(bytesOf(file.bytes, size))));

        // Assess
        expect(records).toEqual(
          file.records.map((record, i) => ({ fields: record.fields, line: file.lines[i] })),
        );
      }),
      runs,
    );
  });

  it('numbers the records of a file read from a record start as the whole file does', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvFile().filter((file) => file.records.length > 1),
        fc.nat(),
        chunkSize,
        async (file, pick, size) => {
          // Prepare
          const from = 1 + (pick % (file.records.length - 1));
          const firstLine = file.lines[from] ?? 0;
          const rest = file.bytes.subarray(file.starts[from]);

          // Act
          const records = await collect(
            readCsvRecords(decodeUtf8(bytesOf(rest, size), firstLine), firstLine),
          );

          // Assess
          expect(records).toEqual(
            file.records
              .slice(from)
              .map((record, i) => ({ fields: record.fields, line: file.lines[from + i] })),
          );
        },
      ),
      runs,
    );
  });

  it('names the physical line of an invalid UTF-8 byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvFile().filter((file) => file.records.length > 0),
        fc.nat(),
        chunkSize,
        async (file, pick, size) => {
          // Prepare: a byte that is never UTF-8, at the start of one of the records.
          const at = pick % file.records.length;
          const start = file.starts[at] ?? 0;
          const broken = new Uint8Array([
            ...file.bytes.subarray(0, start),
            0xff,
            ...file.bytes.subarray(start),
          ]);

          // Act
          const error = await collect(readCsvRecords(decodeUtf8(bytesOf(broken, size)))).then(
            () => undefined,
            (caught: unknown) => caught,
          );

          // Assess
          expect(error).toBeInstanceOf(InventoryFileRejectedError);
          expect((error as InventoryFileRejectedError).message).toContain(
            `line ${file.lines[at]} (byte 0xff)`,
          );
        },
      ),
      runs,
    );
  });
});
