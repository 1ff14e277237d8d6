import { describe, expect, it } from 'vitest';
import type { MailConfig } from '../../../../functions/mail-inventory/config.ts';
import type { SesRecord } from '../../../../functions/mail-inventory/events.ts';
import { receiveMail } from '../../../../functions/mail-inventory/receive.ts';
import { buildMessage } from '../../../../scripts/mail-message.ts';
import type { VerdictStatus } from '../../../../shared/mail/policy.ts';
import { memoryS3 } from './memory-s3.ts';

const BUCKET = 'uploads';
const MESSAGE_ID = 'o3vrnil0e2ic28trm7dfhrc2v0cnbeccl4nbp0g1';
const CSV = new TextEncoder().encode('store,item,count\ns1,apples,3\n');
const CONFIG: MailConfig = {
  uploadsBucket: BUCKET,
  recipient: 'inventory@stock.example',
  allowedSenders: ['@example.com'],
  maxFileBytes: 1024,
  repliesTable: 'replies',
  importsUrl: 'https://stock.example/imports',
};
const DAY = `inventory/mail/2026-03-14/${MESSAGE_ID}`;

function sesRecord(
  verdicts: Partial<Record<'spf' | 'dkim' | 'dmarc' | 'spam' | 'virus', VerdictStatus>> = {},
) {
  const status = (name: keyof typeof verdicts) => ({ status: verdicts[name] ?? 'PASS' });
  return {
    eventSource: 'aws:ses',
    ses: {
      mail: { messageId: MESSAGE_ID, timestamp: '2026-03-14T09:26:53.589Z', source: 'clerk@example.com' },
      receipt: {
        recipients: ['inventory@stock.example'],
        spfVerdict: status('spf'),
        dkimVerdict: status('dkim'),
        dmarcVerdict: status('dmarc'),
        spamVerdict: status('spam'),
        virusVerdict: status('virus'),
      },
    },
  } satisfies SesRecord;
}

function storedMessage(files: { name: string; content: Uint8Array }[], from = 'Clerk <Clerk@Example.com>') {
  const s3 = memoryS3();
  s3.put(
    BUCKET,
    `mail/${MESSAGE_ID}`,
    buildMessage({ from, to: 'inventory@stock.example', subject: 'Week 12 – Nord', files }),
  );
  return s3;
}

describe('receiveMail', () => {
  it('records an accepted message first, then stages each CSV with the sender and subject as metadata', async () => {
    // Prepare
    const s3 = storedMessage([
      { name: 'north.csv', content: CSV },
      { name: 'Süd Lager.CSV', content: CSV },
    ]);

    // Act
    const { report, replyNow } = await receiveMail(s3.client, CONFIG, sesRecord());

    // Assess
    expect(replyNow).toBe(false);
    expect(s3.writes).toEqual([
      `${BUCKET}/reports/mail/${MESSAGE_ID}.json`,
      `${BUCKET}/${DAY}/1-north.csv`,
      `${BUCKET}/${DAY}/2-Sud_Lager.csv`,
    ]);
    expect(s3.json(BUCKET, `reports/mail/${MESSAGE_ID}.json`)).toEqual(report);
    expect(report).toEqual({
      messageId: MESSAGE_ID,
      receivedAt: '2026-03-14T09:26:53.589Z',
      from: 'clerk@example.com',
      subject: 'Week 12 – Nord',
      status: 'accepted',
      files: [
        {
          fileName: 'north.csv',
          key: `${DAY}/1-north.csv`,
          reportKey: `reports/inventory/${DAY}/1-north.csv.json`,
        },
        {
          fileName: 'Süd Lager.CSV',
          key: `${DAY}/2-Sud_Lager.csv`,
          reportKey: `reports/inventory/${DAY}/2-Sud_Lager.csv.json`,
        },
      ],
      replyTo: 'clerk@example.com',
    });
    const staged = s3.get(BUCKET, `${DAY}/1-north.csv`);
    expect(new TextDecoder().decode(staged?.body)).toBe(new TextDecoder().decode(CSV));
    expect(staged?.metadata).toEqual({
      'mail-from': 'clerk%40example.com',
      'mail-subject': encodeURIComponent('Week 12 – Nord'),
      'mail-message-id': MESSAGE_ID,
    });
  });

  it('refuses a sender not on the list: a report, nothing staged, no one to reply to', async () => {
    // Prepare
    const s3 = storedMessage([{ name: 'north.csv', content: CSV }], 'stranger@elsewhere.test');

    // Act
    const { report, replyNow } = await receiveMail(s3.client, CONFIG, sesRecord());

    // Assess
    expect(replyNow).toBe(false);
    expect(s3.writes).toEqual([`${BUCKET}/reports/mail/${MESSAGE_ID}.json`]);
    expect(report).toMatchObject({ status: 'refused', reason: 'sender_not_allowed', files: [] });
    expect(report.replyTo).toBeUndefined();
  });

  it('refuses a failing DKIM verdict without a reply, however allowed the From looks', async () => {
    // Prepare
    const s3 = storedMessage([{ name: 'north.csv', content: CSV }]);

    // Act
    const { report, replyNow } = await receiveMail(
      s3.client,
      CONFIG,
      sesRecord({ dkim: 'FAIL', dmarc: 'FAIL' }),
    );

    // Assess
    expect(replyNow).toBe(false);
    expect(report).toMatchObject({ status: 'refused', reason: 'not_authenticated', files: [] });
    expect(report.replyTo).toBeUndefined();
    expect(s3.writes).toHaveLength(1);
  });

  it('tells an allowed sender at once that the message had no CSV attached', async () => {
    // Prepare
    const s3 = storedMessage([{ name: 'notes.txt', content: CSV }]);

    // Act
    const { report, replyNow } = await receiveMail(s3.client, CONFIG, sesRecord());

    // Assess
    expect(replyNow).toBe(true);
    expect(report).toMatchObject({
      status: 'refused',
      reason: 'no_csv_attachment',
      replyTo: 'clerk@example.com',
      files: [],
    });
    expect(s3.writes).toEqual([`${BUCKET}/reports/mail/${MESSAGE_ID}.json`]);
  });

  it('refuses the whole message when one file is over the limit, staging none of them', async () => {
    // Prepare
    const s3 = storedMessage([
      { name: 'small.csv', content: CSV },
      { name: 'big.csv', content: new Uint8Array(CONFIG.maxFileBytes + 1).fill(0x31) },
    ]);

    // Act
    const { report, replyNow } = await receiveMail(s3.client, CONFIG, sesRecord());

    // Assess
    expect(replyNow).toBe(true);
    expect(report).toMatchObject({ status: 'refused', reason: 'attachment_too_large', files: [] });
    expect(report.detail).toBe(
      `big.csv is ${CONFIG.maxFileBytes + 1} bytes, over the limit for a mailed file.`,
    );
    expect(s3.writes).toHaveLength(1);
  });

  it('reads nothing for a message id that could not have come from SES', async () => {
    // Prepare
    const s3 = memoryS3();
    const record = sesRecord();
    record.ses.mail.messageId = '../reports/x';

    // Act
    const outcome = receiveMail(s3.client, CONFIG, record);

    // Assess
    await expect(outcome).rejects.toThrow('not an SES message id: ../reports/x');
    expect(s3.reads).toEqual([]);
  });

  it('fails (for Lambda to retry) when the stored message is not there yet', async () => {
    // Prepare
    const s3 = memoryS3();

    // Act
    const outcome = receiveMail(s3.client, CONFIG, sesRecord());

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(s3.writes).toEqual([]);
  });
});
