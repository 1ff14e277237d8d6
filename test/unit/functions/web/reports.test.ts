import { describe, expect, it } from 'vitest';
import { boundReport, LIST_BOUNDS, parseImportReport } from '../../../../functions/web/reports.ts';

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

  it('bounds what one report shows: the first rows and columns, each clipped, with the totals', () => {
    // Prepare: a header of 10,000 empty columns and 5,000 rejected rows with long reasons.
    const report = {
      source: { key: 'inventory/wide.csv' },
      status: 'completed_with_errors',
      errors: Array.from({ length: 5000 }, (_, index) => ({ line: index + 2, reason: 'x'.repeat(10_000) })),
      errorsTotal: 5000,
      ignoredColumns: Array.from({ length: 10_000 }, () => ''),
    };

    // Act
    const bounded = boundReport(report, LIST_BOUNDS);

    // Assess
    expect(bounded.errors).toHaveLength(20);
    expect(bounded.errors?.[0]?.reason).toHaveLength(201);
    expect(bounded).toMatchObject({ errorsTotal: 5000, errorsTruncated: true, ignoredColumnsTotal: 10_000 });
    expect(bounded.ignoredColumns).toHaveLength(20);
    expect(JSON.stringify(bounded).length).toBeLessThan(10_000);
  });
});
