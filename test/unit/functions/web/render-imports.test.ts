import { describe, expect, it } from 'vitest';
import { importsPageRefreshes, renderImportsPage } from '../../../../functions/web/render-imports.ts';
import type { ImportReportEntry } from '../../../../functions/web/reports.ts';

const CHROME = { uploads: { inventory: true, image: true } };
const SOURCE = { bucket: 'uploads', key: 'inventory/big.csv', etag: '"e"' };

function running(overrides: Record<string, unknown> = {}) {
  return {
    source: SOURCE,
    startedAt: '2026-03-02T10:00:00Z',
    updatedAt: '2026-03-02T10:00:20Z',
    rowsSoFar: 120_000,
    bytesRead: 2_516_582,
    totalBytes: 5_033_164,
    fraction: 0.5,
    remainingMs: 20_000,
    stalled: false,
    ...overrides,
  };
}

function handedOff(): ImportReportEntry {
  return {
    reportKey: 'reports/inventory/inventory/big.csv.json',
    lastModified: '2026-03-02T10:00:00Z',
    readable: true,
    report: {
      source: SOURCE,
      status: 'handed_off',
      rowsRead: 0,
      rowsImported: 0,
      rowsRejected: 0,
      duplicates: 0,
      startedAt: '2026-03-02T10:00:00Z',
      finishedAt: '2026-03-02T10:00:01Z',
    },
  } as ImportReportEntry;
}

describe('the imports page', () => {
  it('shows a running import with a progress bar, rows so far and an estimate, and keeps looking', () => {
    // Act
    const page = renderImportsPage({ entries: [], running: [running()] }, CHROME);

    // Assess
    expect(page).toContain('<progress max="100" value="50" aria-labelledby="running-0">50 %</progress>');
    expect(page).toContain('120,000 rows so far · 50 % of 4.8 MB · about 20 s left');
    expect(page).toContain('<p role="status">1 import is running.</p>');
    expect(page).toContain('<div id="imports-live" data-refresh="3">');
  });

  it('flags a stalled import, without an estimate, and stops looking when only that one is left', () => {
    // Act
    const view = { entries: [], running: [running({ stalled: true })] };
    const page = renderImportsPage(view, CHROME);

    // Assess
    expect(page).toContain('<span class="badge badge-out">No progress</span>');
    expect(page).not.toContain('left');
    expect(importsPageRefreshes(view)).toBe(false);
    expect(page).toContain('<div id="imports-live">');
  });

  it('shows an import of unknown size as an indeterminate bar', () => {
    // Act
    const page = renderImportsPage(
      { entries: [], running: [running({ fraction: undefined, remainingMs: undefined })] },
      CHROME,
    );

    // Assess
    expect(page).toContain('<progress aria-labelledby="running-0"></progress>');
    expect(page).toContain('120,000 rows so far <span class="muted">');
  });

  it('follows one file until its final report: none yet, or the workflow’s handed_off', () => {
    // Assess
    expect(importsPageRefreshes({ entries: [], running: [], source: 'inventory/big.csv' })).toBe(true);
    expect(importsPageRefreshes({ entries: [handedOff()], running: [], source: 'inventory/big.csv' })).toBe(
      true,
    );
    const done = handedOff();
    if (done.readable) done.report.status = 'completed';
    expect(importsPageRefreshes({ entries: [done], running: [], source: 'inventory/big.csv' })).toBe(false);
    // The list of every report does not look again for an old handed_off one.
    expect(importsPageRefreshes({ entries: [handedOff()], running: [] })).toBe(false);
  });
});
