import { describe, expect, it } from 'vitest';
import { type InventoryImportReport, nothingCounted } from '../../../../shared/inventory/report.ts';
import {
  isFinalImportReport,
  REPLY_ERRORS_PER_FILE,
  renderImportReply,
  renderRefusalReply,
} from '../../../../shared/mail/reply.ts';
import type { MailReport } from '../../../../shared/mail/report.ts';

const IMPORTS = 'https://stock.example.com/imports';

function importReport(overrides: Partial<InventoryImportReport> = {}): InventoryImportReport {
  return {
    source: { bucket: 'uploads', key: 'inventory/mail/x.csv', etag: 'e' },
    status: 'completed',
    ...nothingCounted(),
    rowsRead: 2,
    rowsImported: 2,
    startedAt: '2026-03-14T09:27:00.000Z',
    finishedAt: '2026-03-14T09:27:01.000Z',
    ...overrides,
  };
}

function mail(overrides: Partial<MailReport> = {}): MailReport {
  return {
    messageId: 'm1',
    receivedAt: '2026-03-14T09:26:53.589Z',
    from: 'clerk@example.com',
    subject: 'Week 12',
    status: 'accepted',
    files: [
      { fileName: 'north.csv', key: 'k1', reportKey: 'r1' },
      { fileName: 'south.csv.gz', key: 'k2', reportKey: 'r2' },
    ],
    replyTo: 'clerk@example.com',
    ...overrides,
  };
}

describe('isFinalImportReport', () => {
  it('waits for a hand-off to the Step Functions import, and takes every other status as final', () => {
    // Assess
    expect(isFinalImportReport(importReport({ status: 'handed_off' }))).toBe(false);
    for (const status of ['completed', 'completed_with_errors', 'rejected', 'failed'] as const) {
      expect(isFinalImportReport(importReport({ status }))).toBe(true);
    }
  });
});

describe('renderImportReply', () => {
  it('lists each file in the message’s order with its status, counts and the link to /imports', () => {
    // Prepare
    const reports = [
      importReport(),
      importReport({
        status: 'rejected',
        reason: 'missing_columns',
        detail: 'No count column.',
        rowsImported: 0,
      }),
    ];

    // Act
    const reply = renderImportReply(mail(), reports, IMPORTS);

    // Assess
    expect(reply.subject).toBe('Re: Week 12');
    expect(reply.text).toBe(
      [
        'Stockroom received your message "Week 12" with 2 file(s).',
        '',
        'north.csv: completed',
        '  rows imported: 2, rows rejected: 0',
        '',
        'south.csv.gz: rejected (missing_columns)',
        '  No count column.',
        '  rows imported: 0, rows rejected: 0',
        '',
        `Every import's report: ${IMPORTS}`,
        '',
      ].join('\n'),
    );
  });

  it(`lists the first ${REPLY_ERRORS_PER_FILE} rejected rows of a file and counts the rest`, () => {
    // Prepare
    const errors = Array.from({ length: 25 }, (_, index) => ({
      line: index + 2,
      reason: 'count is not a number',
    }));
    const reports = [
      importReport({ status: 'completed_with_errors', rowsRejected: 30, errors, errorsTotal: 30 }),
    ];

    // Act
    const { text } = renderImportReply(mail({ files: mail().files.slice(0, 1) }), reports, IMPORTS);

    // Assess
    const listed = text.split('\n').filter((line) => /^ {2}line \d+: /.test(line));
    expect(listed).toHaveLength(REPLY_ERRORS_PER_FILE);
    expect(listed[0]).toBe('  line 2: count is not a number');
    expect(listed.at(-1)).toBe(`  line ${REPLY_ERRORS_PER_FILE + 1}: count is not a number`);
    expect(text).toContain(`  … and ${30 - REPLY_ERRORS_PER_FILE} more rejected row(s)`);
  });

  it('keeps the subject within 200 characters', () => {
    // Act
    const reply = renderImportReply(
      mail({ subject: 'x'.repeat(300) }),
      [importReport(), importReport()],
      IMPORTS,
    );

    // Assess
    expect(reply.subject).toHaveLength(200);
    expect(reply.subject.startsWith('Re: xxx')).toBe(true);
  });
});

describe('renderRefusalReply', () => {
  it('says why nothing was imported and how to attach the counts', () => {
    // Prepare
    const refused = mail({
      status: 'refused',
      reason: 'no_csv_attachment',
      detail: 'The message has no .csv or .csv.gz attachment.',
      files: [],
    });

    // Act
    const reply = renderRefusalReply(refused);

    // Assess
    expect(reply.subject).toBe('Re: Week 12');
    expect(reply.text).toContain('Stockroom did not import anything from your message "Week 12".');
    expect(reply.text).toContain('no_csv_attachment: The message has no .csv or .csv.gz attachment.');
    expect(reply.text).toContain('.csv or .csv.gz file with the columns store,item,count');
  });
});
