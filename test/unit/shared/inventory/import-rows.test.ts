import { describe, expect, it } from 'vitest';
import { gunzip } from '../../../../shared/inventory/csv-records.ts';
import { InventoryFileRejectedError } from '../../../../shared/inventory/errors.ts';
import { checkInventoryFile, importInventoryRows } from '../../../../shared/inventory/import-rows.ts';
import { RowErrorLog } from '../../../../shared/inventory/report.ts';
import { bytesOf, gzipStream, MemorySink, metered, repeated } from './helpers.ts';

async function importText(text: string, options: { header?: string[]; firstLine?: number } = {}) {
  const sink = new MemorySink();
  const errors = new RowErrorLog(1000);
  const result = await importInventoryRows({ source: bytesOf(text), sink, errors, ...options });
  return { result, rows: sink.rows, errors: errors.toReport() };
}

describe('importInventoryRows', () => {
  it('imports valid rows, lists invalid ones by line, and names ignored columns', async () => {
    // Prepare
    const text = [
      'Item,STORE,notes,count',
      'apple,s1,fresh,3',
      'pear,s1,"bruised,\nsoft",1.5',
      'plum,,x,2',
      'fig,s2,,0',
    ].join('\r\n');

    // Act
    const { result, rows, errors } = await importText(text);

    // Assess
    expect(rows).toEqual([
      { store: 's1', item: 'apple', count: 3 },
      { store: 's2', item: 'fig', count: 0 },
    ]);
    expect(errors.errors).toEqual([
      { line: 3, reason: 'count must be a whole number ≥ 0 (got "1.5")' },
      { line: 5, reason: 'store is empty' },
    ]);
    expect(result).toEqual({
      rowsRead: 4,
      rowsImported: 2,
      rowsRejected: 2,
      duplicates: 0,
      ignoredColumns: ['notes'],
      lastLine: 6,
      stopped: false,
    });
  });

  it('passes every row of a repeated store+item on, in file order, and counts the repeats', async () => {
    // Prepare
    const text = 'store,item,count\ns1,a,1\ns1,b,2\ns1,a,3\ns1,a,0\n';

    // Act
    const { result, rows } = await importText(text);

    // Assess
    expect(rows.filter((row) => row.item === 'a').map((row) => row.count)).toEqual([1, 3, 0]);
    expect(result.duplicates).toBe(2);
  });

  it('skips blank rows (empty lines, lines of commas or spaces) without counting them', async () => {
    // Prepare
    const text = 'store,item,count\n\ns1,a,1\n,,\n   \n s1 , b , 2 \n';

    // Act
    const { result, errors } = await importText(text);

    // Assess
    expect(result.rowsRead).toBe(2);
    expect(errors.errorsTotal).toBe(0);
  });

  it('finds the header after blank lines and keeps counting lines from the top', async () => {
    // Act
    const { rows, errors } = await importText('\n\nstore,item,count\ns1,a,1\ns1,b,x\n');

    // Assess
    expect(rows).toEqual([{ store: 's1', item: 'a', count: 1 }]);
    expect(errors.errors.map((e) => e.line)).toEqual([5]);
  });

  it('imports nothing from a header-only file', async () => {
    // Act
    const { result, rows } = await importText('store,item,count\r\n');

    // Assess
    expect(rows).toEqual([]);
    expect(result.rowsRead).toBe(0);
  });

  it('rejects an empty file', async () => {
    // Act
    const outcome = importText('');

    // Assess
    await expect(outcome).rejects.toThrow(InventoryFileRejectedError);
    await expect(outcome).rejects.toMatchObject({ reason: 'empty_file' });
  });

  it('rejects a file whose header lacks a column, before passing any row on', async () => {
    // Prepare
    const sink = new MemorySink();
    const errors = new RowErrorLog(10);

    // Act
    const outcome = importInventoryRows({ source: bytesOf('store,item\ns1,a\n'), sink, errors });

    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'missing_columns' });
    expect(sink.rows).toEqual([]);
  });

  it('imports a byte range with the header supplied and the range’s first line', async () => {
    // Act
    const { rows, errors } = await importText('3,s9,a\n-1,s9,b\n', {
      header: ['count', 'store', 'item'],
      firstLine: 1001,
    });

    // Assess
    expect(rows).toEqual([{ store: 's9', item: 'a', count: 3 }]);
    expect(errors.errors).toEqual([{ line: 1002, reason: 'count must be a whole number ≥ 0 (got "-1")' }]);
  });

  it('stops when asked, with every row up to the last line read passed on', async () => {
    // Prepare
    const text = `store,item,count\n${Array.from({ length: 1000 }, (_, i) => `s1,i${i},1`).join('\n')}\n`;
    const sink = new MemorySink();

    // Act
    const result = await importInventoryRows({
      source: bytesOf(text, 4096),
      sink,
      errors: new RowErrorLog(10),
      shouldStop: () => true,
    });

    // Assess
    expect(result.stopped).toBe(true);
    expect(result.rowsRead).toBe(250);
    expect(sink.rows).toHaveLength(250);
    expect(result.lastLine).toBe(251);
  });

  it('caps the listed errors but counts them all', async () => {
    // Prepare
    const text = `store,item,count\n${'s1,a,x\n'.repeat(5)}`;
    const errors = new RowErrorLog(2);

    // Act
    await importInventoryRows({ source: bytesOf(text), sink: new MemorySink(), errors });

    // Assess
    expect(errors.toReport()).toEqual({
      errors: [
        { line: 2, reason: 'count must be a whole number ≥ 0 (got "x")' },
        { line: 3, reason: 'count must be a whole number ≥ 0 (got "x")' },
      ],
      errorsTotal: 5,
      errorsTruncated: true,
    });
  });
});

describe('checkInventoryFile', () => {
  it('counts the records of a good file', async () => {
    // Act
    const result = await checkInventoryFile(bytesOf('store,item,count\ns1,a,1\ns1,b,x\n'));

    // Assess
    expect(result).toEqual({ records: 2, stopped: false });
  });

  it('rejects broken quoting anywhere in the file', async () => {
    // Act
    const outcome = checkInventoryFile(bytesOf('store,item,count\ns1,a,1\ns1,"b,1\n'));

    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'malformed_csv' });
  });

  it('rejects a header of ten million commas having read only its first chunks', async () => {
    // Prepare
    const file = metered(repeated('store,item,count', ',', 10_000_000));

    // Act
    const outcome = checkInventoryFile(file.source);

    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'header_too_long' });
    expect(file.taken()).toBeLessThan(256 * 1024);
  });

  it('rejects a line of ten million commas after the header having read only its start', async () => {
    // Prepare: to the parser, a blank row of ten million empty cells.
    const file = metered(repeated('store,item,count\ns1,a,1\n', ',', 10_000_000));

    // Act
    const outcome = checkInventoryFile(file.source);

    // Assess
    await expect(outcome).rejects.toMatchObject({
      reason: 'too_many_columns',
      message: 'the record starting on line 3 has more than 10000 fields',
    });
    expect(file.taken()).toBeLessThan(256 * 1024);
  });

  it('rejects a header with more columns than the cap', async () => {
    // Prepare
    const header = ['store', 'item', 'count', ...Array.from({ length: 10 }, (_, i) => `c${i}`)].join(',');

    // Act
    const outcome = checkInventoryFile(bytesOf(`${header}\ns1,a,1\n`), undefined, {
      maxColumns: 12,
      maxHeaderBytes: 1000,
    });

    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'too_many_columns' });
  });

  it('rejects a gzip bomb of zeros (no header) after inflating only its start', async () => {
    // Prepare: 256 MiB of zero bytes, about 250 KB of gzip.
    const bomb = await gzipStream(repeated('', '\0', 256 * 1024 * 1024, 1 << 20));
    const file = metered(bytesOf(bomb, 8192));

    // Act
    const outcome = checkInventoryFile(gunzip(file.source));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InventoryFileRejectedError);
    await expect(outcome).rejects.toMatchObject({ reason: 'header_too_long' });
    expect(file.taken()).toBeLessThan(bomb.length / 4);
  });
});

describe('importInventoryRows header caps', () => {
  it('rejects an over-long header before passing any row on', async () => {
    // Prepare
    const sink = new MemorySink();
    const file = metered(repeated('store,item,count', ',', 1_000_000));

    // Act
    const outcome = importInventoryRows({
      source: file.source,
      sink,
      errors: new RowErrorLog(10),
      limits: { maxColumns: 100, maxHeaderBytes: 4096 },
    });

    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'header_too_long' });
    expect(sink.rows).toEqual([]);
    expect(file.taken()).toBeLessThan(256 * 1024);
  });

  it('applies the column cap to a header supplied for a byte range', async () => {
    // Act
    const outcome = importInventoryRows({
      source: bytesOf('s1,a,1,x\n'),
      header: ['store', 'item', 'count', 'x'],
      sink: new MemorySink(),
      errors: new RowErrorLog(10),
      limits: { maxColumns: 3, maxHeaderBytes: 4096 },
    });

    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'too_many_columns' });
  });
});
