import { describe, expect, it } from 'vitest';
import {
  importReportKeyOf,
  isMessageId,
  mailReportKey,
  mailReportSchema,
  messageIdOfImportReport,
  stagedFileKey,
} from '../../../../shared/mail/report.ts';

const MESSAGE_ID = 'o3vrnil0e2ic28trm7dfhrc2v0cnbeccl4nbp0g1';

describe('isMessageId', () => {
  it('takes an SES message id and refuses what could leave its folder in a key', () => {
    // Assess
    expect(isMessageId(MESSAGE_ID)).toBe(true);
    expect(isMessageId('0100018c-abc.DEF_1')).toBe(true);
    expect(isMessageId('')).toBe(false);
    expect(isMessageId('.')).toBe(false);
    expect(isMessageId('..')).toBe(false);
    expect(isMessageId('a/b')).toBe(false);
    expect(isMessageId('a b')).toBe(false);
    expect(isMessageId('x'.repeat(129))).toBe(false);
  });
});

describe('the keys of a mailed message', () => {
  it('stages each file under inventory/mail/<date>/<messageId>/<n>-<name>, counted from 1', () => {
    // Act
    const first = stagedFileKey('2026-03-14T09:26:53.589Z', MESSAGE_ID, 0, 'counts.csv');
    const second = stagedFileKey('2026-03-14T09:26:53.589Z', MESSAGE_ID, 1, 'counts.csv');

    // Assess
    expect(first).toBe(`inventory/mail/2026-03-14/${MESSAGE_ID}/1-counts.csv`);
    expect(second).toBe(`inventory/mail/2026-03-14/${MESSAGE_ID}/2-counts.csv`);
  });

  it('records the message in reports/mail/<messageId>.json', () => {
    // Assess
    expect(mailReportKey(MESSAGE_ID)).toBe(`reports/mail/${MESSAGE_ID}.json`);
  });

  it('finds the message again from the import report of one of its staged files', () => {
    // Prepare
    const staged = stagedFileKey('2026-03-14T09:26:53.589Z', MESSAGE_ID, 2, 'week_12.csv.gz');

    // Act
    const reportKey = importReportKeyOf(staged);

    // Assess
    expect(reportKey).toBe(`reports/inventory/${staged}.json`);
    expect(messageIdOfImportReport(reportKey)).toBe(MESSAGE_ID);
  });

  it('finds no message in the report of an upload, of a nested key, or of a malformed one', () => {
    // Assess
    expect(messageIdOfImportReport('reports/inventory/inventory/counts.csv.json')).toBeUndefined();
    expect(
      messageIdOfImportReport('reports/inventory/inventory/mail/2026-03-14/a/b/1-x.csv.json'),
    ).toBeUndefined();
    expect(messageIdOfImportReport('reports/inventory/inventory/mail/today/a/1-x.csv.json')).toBeUndefined();
    expect(
      messageIdOfImportReport('reports/inventory/inventory/mail/2026-03-14/../1-x.csv.json'),
    ).toBeUndefined();
    expect(messageIdOfImportReport(`reports/mail/${MESSAGE_ID}.json`)).toBeUndefined();
  });
});

describe('mailReportSchema', () => {
  it('reads back a refusal and rejects a reason it does not know', () => {
    // Prepare
    const refusal = {
      messageId: MESSAGE_ID,
      receivedAt: '2026-03-14T09:26:53.589Z',
      subject: 'Counts',
      status: 'refused',
      reason: 'sender_not_allowed',
      detail: 'x is not on the list of allowed senders.',
      files: [],
    };

    // Act
    const parsed = mailReportSchema.safeParse(refusal);
    const unknown = mailReportSchema.safeParse({ ...refusal, reason: 'too_late' });

    // Assess
    expect(parsed.success && parsed.data).toEqual(refusal);
    expect(unknown.success).toBe(false);
  });
});
