import { describe, expect, it } from 'vitest';
import { parseImportReport } from '../../../../functions/web/reports.ts';

describe('reading an import report', () => {
  it('reads a report leniently: unknown fields ignored, a wrongly typed optional field dropped', () => {
    // Act
    const entry = parseImportReport(
      'reports/inventory/inventory/a.csv.json',
      JSON.stringify({
        source: { key: 'inventory/a.csv' },
        status: 'completed',
        rowsRead: 'three',
        errors: [{ line: 2, reason: 'store is empty' }, 'garbage'],
        somethingNew: true,
      }),
      '2025-01-02T00:00:00.000Z',
    );

    // Assess
    expect(entry).toMatchObject({ readable: true, lastModified: '2025-01-02T00:00:00.000Z' });
    if (!entry.readable) throw new Error('expected a readable report');
    expect(entry.report.rowsRead).toBeUndefined();
    expect(entry.report.errors).toEqual([
      { line: 2, reason: 'store is empty' },
      { line: undefined, reason: '(unreadable entry)' },
    ]);
  });

  it('says why a report is unreadable', () => {
    // Act
    const notJson = parseImportReport('r.json', '{"status":');
    const noSource = parseImportReport('r.json', JSON.stringify({ status: 'completed' }));

    // Assess
    expect(notJson).toEqual({
      reportKey: 'r.json',
      readable: false,
      problem: 'the report is not valid JSON',
    });
    expect(noSource).toMatchObject({
      readable: false,
      problem: 'the report does not have the expected shape',
    });
  });
});
