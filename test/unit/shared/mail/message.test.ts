import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildMessage } from '../../../../scripts/mail-message.ts';
import { parseMailedInventory, safeFileName } from '../../../../shared/mail/message.ts';
import { judgeSender, mayReplyTo } from '../../../../shared/mail/policy.ts';

const LIMIT = 10 * 1024 * 1024;
const CSV = 'store,item,count\ns1,apples,3\n';
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const PASS = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' } as const;

describe('parseMailedInventory', () => {
  it('finds several attachments, .csv.gz and any case, decoded from base64', async () => {
    // Prepare
    const gz = gzipSync(CSV);
    const raw = buildMessage({
      from: 'Manager <Manager@Example.com>',
      to: 'inventory@stock.example',
      subject: 'Counts',
      files: [
        { name: 'a.csv', content: new TextEncoder().encode(CSV) },
        { name: 'B.CSV.GZ', content: gz, contentType: 'application/gzip' },
        { name: 'notes.txt', content: new TextEncoder().encode('hi'), contentType: 'text/plain' },
      ],
    });

    // Act
    const mail = await parseMailedInventory(raw, LIMIT);

    // Assess
    expect(mail.from).toBe('manager@example.com');
    expect(mail.files.map((file) => file.fileName)).toEqual(['a.csv', 'B.CSV.GZ']);
    expect(text(mail.files[0]?.content ?? new Uint8Array())).toBe(CSV);
    expect(Buffer.from(mail.files[1]?.content ?? []).equals(gz)).toBe(true);
  });

  it('decodes a quoted-printable attachment with a non-ASCII (RFC 2231) file name', async () => {
    // Prepare
    const raw = [
      'From: a@example.com',
      'Subject: =?UTF-8?Q?Z=C3=A4hlung?=',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/csv; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      "Content-Disposition: attachment; filename*=UTF-8''Z%C3%A4hlung%20K%C3%B6ln.csv",
      '',
      'store,item,count=0D',
      'K=C3=B6ln,=C3=84pfel,4=0D',
      '--b--',
      '',
    ].join('\r\n');

    // Act
    const mail = await parseMailedInventory(raw, LIMIT);

    // Assess
    expect(mail.subject).toBe('Zählung');
    expect(mail.files.map((file) => file.fileName)).toEqual(['Zählung Köln.csv']);
    expect(text(mail.files[0]?.content ?? new Uint8Array())).toBe('store,item,count\r\nKöln,Äpfel,4\r\n');
    expect(safeFileName('Zählung Köln.csv')).toBe('Zahlung_Koln.csv');
  });

  it('takes no file from a CSV pasted into the body', async () => {
    // Act
    const mail = await parseMailedInventory(`From: a@example.com\r\nSubject: s\r\n\r\n${CSV}`, LIMIT);

    // Assess
    expect(mail.files).toEqual([]);
    expect(mail.oversized).toEqual([]);
  });

  it('lists a 20 MB attachment as over the limit instead of taking it', async () => {
    // Prepare
    const big = new Uint8Array(20 * 1024 * 1024).fill(0x31);
    const raw = buildMessage({
      from: 'a@example.com',
      to: 'i@x.example',
      subject: 's',
      files: [{ name: 'big.csv', content: big }],
    });

    // Act
    const mail = await parseMailedInventory(raw, LIMIT);

    // Assess
    expect(mail.files).toEqual([]);
    expect(mail.oversized).toEqual([{ fileName: 'big.csv', bytes: big.byteLength }]);
  });
});

describe('judgeSender', () => {
  it('refuses a forged From with a failing DKIM verdict, and never replies to it', async () => {
    // Prepare
    const raw = buildMessage({ from: 'boss@example.com', to: 'i@x.example', subject: 's', files: [] });
    const mail = await parseMailedInventory(raw, LIMIT);

    // Act
    const judgement = judgeSender({ ...PASS, dkim: 'FAIL', dmarc: 'FAIL' }, mail.from, ['@example.com']);

    // Assess
    expect(judgement).toMatchObject({ accepted: false, reason: 'not_authenticated' });
    expect(mayReplyTo(judgement)).toBe(false);
  });

  it('accepts an authenticated, allowed sender, by address or by domain', () => {
    expect(judgeSender(PASS, 'a@example.com', ['a@example.com']).accepted).toBe(true);
    expect(judgeSender(PASS, 'b@example.com', ['@example.com']).accepted).toBe(true);
    expect(judgeSender(PASS, 'b@example.org', ['@example.com'])).toMatchObject({
      reason: 'sender_not_allowed',
    });
    expect(judgeSender({ ...PASS, spam: 'FAIL' }, 'a@example.com', ['@example.com'])).toMatchObject({
      reason: 'spam',
    });
  });
});
