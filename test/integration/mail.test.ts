import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/types.ts';
import { buildMessage, sendMail } from '../../scripts/mail-message.ts';
import { mailReportSchema } from '../../shared/mail/report.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';

/** Mail-in inventory through the local SMTP server: SES's event, the import, one reply. */
let cloud: LocalCloud;
let clients: TestClients;
const RECIPIENT = 'inventory@stockroom.local';

beforeAll(async () => {
  cloud = await startTestCloud({ functions: ['importInventory', 'mailInventory'] });
  clients = clientsFor(cloud);
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

const smtpPort = () => Number(new URL(cloud.endpoints.endpoints.smtp ?? '').port);
const csv = (text: string) => new TextEncoder().encode(text);

async function outbox(): Promise<string[]> {
  const dir = join(cloud.dataDir, 'mail-outbox');
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
}

async function mailReports() {
  const bucket = cloud.endpoints.buckets.uploads;
  const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'reports/mail/' }));
  return Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      return mailReportSchema.parse(JSON.parse((await object.Body?.transformToString()) ?? ''));
    }),
  );
}

async function storeItems(store: string) {
  const scanned = await clients.documents.send(new ScanCommand({ TableName: cloud.tables.inventory }));
  return (scanned.Items ?? [])
    .filter((item) => item.store === store)
    .map((item) => `${item.item}=${item.count}`)
    .sort();
}

describe('mail-in inventory through the local SMTP server', () => {
  it('imports both attached CSVs exactly and replies once, listing both reports', async () => {
    // Prepare
    const from = 'manager@stockroom.local';
    const raw = buildMessage({
      from,
      to: RECIPIENT,
      subject: 'Counts for mail-north',
      files: [
        { name: 'north.csv', content: csv('store,item,count\nmail-north,apples,3\nmail-north,pears,0\n') },
        { name: 'Nörd Lager.CSV', content: csv('store,item,count\nmail-north,plums,7\nmail-north,figs,x\n') },
      ],
    });

    // Act
    await sendMail({ port: smtpPort(), from, to: RECIPIENT, raw });
    const [reply] = await eventually(async () => ((await outbox()).length > 0 ? outbox() : undefined), {
      what: 'a reply in the outbox',
      timeoutMs: 30_000,
    });
    await cloud.waitForIdle(60_000);

    // Assess
    expect(await storeItems('mail-north')).toEqual(['apples=3', 'pears=0', 'plums=7']);
    expect(await outbox()).toHaveLength(1);
    expect(reply).toContain(`To: ${from}`);
    expect(reply).toContain(`From: ${RECIPIENT}`);
    expect(reply).toContain('north.csv: completed');
    expect(reply).toContain('Nörd Lager.CSV: completed_with_errors');
    expect(reply).toContain('rows imported: 2, rows rejected: 0');
    expect(reply).toContain('rows imported: 1, rows rejected: 1');
    expect(reply).toMatch(/line 3: count must be a whole number/);
    expect(reply).toContain('/imports');
  }, 90_000);

  it('refuses a sender not on the list: a report, no import, no reply', async () => {
    // Prepare
    const from = 'stranger@elsewhere.example';
    const before = (await outbox()).length;
    const raw = buildMessage({
      from,
      to: RECIPIENT,
      subject: 'Counts for mail-south',
      files: [{ name: 'south.csv', content: csv('store,item,count\nmail-south,apples,3\n') }],
    });

    // Act
    await sendMail({ port: smtpPort(), from, to: RECIPIENT, raw });
    const refused = await eventually(
      async () => (await mailReports()).find((report) => report.subject === 'Counts for mail-south'),
      { what: 'the refused message’s report' },
    );
    await cloud.waitForIdle(60_000);

    // Assess
    expect(refused.status).toBe('refused');
    expect(refused.reason).toBe('sender_not_allowed');
    expect(refused.files).toEqual([]);
    expect(refused.replyTo).toBeUndefined();
    expect(await storeItems('mail-south')).toEqual([]);
    expect(await outbox()).toHaveLength(before);
  }, 60_000);

  it('refuses mail for any other recipient at RCPT TO, as SES does', async () => {
    // Act
    const sent = sendMail({
      port: smtpPort(),
      from: 'manager@stockroom.local',
      to: 'other@stockroom.local',
      raw: 'Subject: x\r\n\r\nx',
    });

    // Assess
    await expect(sent).rejects.toThrow(/550/);
  });
});
