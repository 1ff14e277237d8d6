import { GetObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { reportsWhenAllFinal } from '../../../../functions/mail-inventory/replies.ts';
import { type InventoryImportReport, nothingCounted } from '../../../../shared/inventory/report.ts';
import type { MailReport } from '../../../../shared/mail/report.ts';
import { memoryS3 } from './memory-s3.ts';

const BUCKET = 'uploads';
const MESSAGE_ID = 'm-0001';
const MAIL: MailReport = {
  messageId: MESSAGE_ID,
  receivedAt: '2026-03-14T09:26:53.589Z',
  from: 'clerk@example.com',
  subject: 'Week 12',
  status: 'accepted',
  files: [
    { fileName: 'a.csv', key: 'inventory/mail/a', reportKey: 'reports/inventory/a.json' },
    { fileName: 'b.csv', key: 'inventory/mail/b', reportKey: 'reports/inventory/b.json' },
  ],
  replyTo: 'clerk@example.com',
};

function importReport(status: InventoryImportReport['status'], rowsImported = 1): InventoryImportReport {
  return {
    source: { bucket: BUCKET, key: 'inventory/mail/x', etag: 'e' },
    status,
    ...nothingCounted(),
    rowsRead: rowsImported,
    rowsImported,
    startedAt: '2026-03-14T09:27:00.000Z',
    finishedAt: '2026-03-14T09:27:01.000Z',
  };
}

function bucketWith(mail: MailReport | undefined, reports: Record<string, InventoryImportReport>) {
  const s3 = memoryS3();
  if (mail) s3.put(BUCKET, `reports/mail/${MESSAGE_ID}.json`, JSON.stringify(mail));
  for (const [key, report] of Object.entries(reports)) s3.put(BUCKET, key, JSON.stringify(report));
  return s3;
}

describe('reportsWhenAllFinal', () => {
  it('gives the message and its files’ reports, in the message’s order, once all are final', async () => {
    // Prepare
    const s3 = bucketWith(MAIL, {
      'reports/inventory/b.json': importReport('rejected', 0),
      'reports/inventory/a.json': importReport('completed', 5),
    });

    // Act
    const ready = await reportsWhenAllFinal(s3.client, BUCKET, MESSAGE_ID);

    // Assess
    expect(ready?.mail).toEqual(MAIL);
    expect(ready?.reports.map((report) => [report.status, report.rowsImported])).toEqual([
      ['completed', 5],
      ['rejected', 0],
    ]);
  });

  it('waits while one file has no report yet', async () => {
    // Prepare
    const s3 = bucketWith(MAIL, { 'reports/inventory/a.json': importReport('completed') });

    // Act
    const ready = await reportsWhenAllFinal(s3.client, BUCKET, MESSAGE_ID);

    // Assess
    expect(ready).toBeUndefined();
    expect(s3.reads).toContain(`${BUCKET}/reports/inventory/b.json`);
  });

  it('waits while one file is handed off to the Step Functions import', async () => {
    // Prepare
    const s3 = bucketWith(MAIL, {
      'reports/inventory/a.json': importReport('completed'),
      'reports/inventory/b.json': importReport('handed_off', 0),
    });

    // Act
    const ready = await reportsWhenAllFinal(s3.client, BUCKET, MESSAGE_ID);

    // Assess
    expect(ready).toBeUndefined();
  });

  it('gives nothing for a message with no record, a refused one, or one without anyone to reply to', async () => {
    // Prepare
    const reports = { 'reports/inventory/a.json': importReport('completed') };
    const { replyTo: _, ...noReply } = MAIL;

    // Act
    const missing = await reportsWhenAllFinal(bucketWith(undefined, reports).client, BUCKET, MESSAGE_ID);
    const refused = await reportsWhenAllFinal(
      bucketWith({ ...MAIL, status: 'refused', reason: 'spam', files: [] }, reports).client,
      BUCKET,
      MESSAGE_ID,
    );
    const unanswered = await reportsWhenAllFinal(bucketWith(noReply, reports).client, BUCKET, MESSAGE_ID);

    // Assess
    expect(missing).toBeUndefined();
    expect(refused).toBeUndefined();
    expect(unanswered).toBeUndefined();
  });

  it('lets any other S3 error through, for Lambda to retry', async () => {
    // Prepare
    const s3 = bucketWith(MAIL, {});
    s3.mock.on(GetObjectCommand).rejects(
      new S3ServiceException({
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'We encountered an internal error.',
      }),
    );

    // Act
    const outcome = reportsWhenAllFinal(s3.client, BUCKET, MESSAGE_ID);

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'InternalError' });
  });
});
