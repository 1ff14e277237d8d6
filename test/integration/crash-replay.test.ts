import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { Endpoints } from '../../local/types.ts';
import { clientsOfEndpoints, eventually } from '../support/local-cloud.ts';
import { freePorts, type NpmStart, npmStart } from '../support/npm-start.ts';

// `kill -9` of the whole local cloud (its Node process and DynamoDB Local's JVM) while S3
// events are being handled, then a restart: every event in flight is delivered again, as
// Lambda retries an invocation whose host died, so nothing uploaded is lost.

const IMAGES = 30;
// 40,000 rows: DynamoDB Local on disk writes 500 to 900 rows/s, so the kill, after about
// 3,000 rows, comes well before the end; after the restart the whole file is imported again.
const STORES = 10;
const ITEMS = 4_000;
let dataDir: string | undefined;
let running: NpmStart | undefined;

afterAll(async () => {
  running?.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function keys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    found.push(...(page.Contents ?? []).map((object) => object.Key as string));
    token = page.NextContinuationToken;
  } while (token);
  return found;
}

async function storeCounts(documents: DynamoDBDocumentClient, table: string, store: string) {
  const counts = new Map<string, number>();
  const pages = paginateQuery(
    { client: documents },
    {
      TableName: table,
      KeyConditionExpression: '#store = :store',
      ExpressionAttributeNames: { '#store': 'store', '#item': 'item', '#count': 'count' },
      ExpressionAttributeValues: { ':store': store },
      ProjectionExpression: '#item, #count',
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) counts.set(item.item, item.count);
  return counts;
}

const countOf = (store: number, item: number) => (store * 7 + item) % 50;

describe('the local cloud killed mid-way', () => {
  it('delivers every S3 event in flight again after a restart: thumbnails, reports and the whole import', async () => {
    // Prepare
    dataDir = await mkdtemp(join(tmpdir(), 'stockroom-crash-'));
    const ports = await freePorts();
    running = npmStart(dataDir, ports);
    await running.printed('Press Ctrl-C to stop.');
    const endpoints: Endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
    const { s3, documents } = clientsOfEndpoints(endpoints);
    const { uploads, thumbnails } = endpoints.buckets;
    const rows = ['store,item,count'];
    for (let item = 0; item < ITEMS; item += 1)
      for (let store = 0; store < STORES; store += 1)
        rows.push(`crash-${store},item-${item},${countOf(store, item)}`);
    await s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: 'inventory/crash.csv', Body: `${rows.join('\n')}\n` }),
    );
    for (let i = 0; i < IMAGES; i += 1) {
      const image = await sharp({
        create: { width: 1600, height: 1200, channels: 3, background: { r: i * 8, g: 90, b: 160 } },
      })
        .jpeg()
        .toBuffer();
      await s3.send(new PutObjectCommand({ Bucket: uploads, Key: `images/crash-${i}.jpg`, Body: image }));
    }

    // Act: killed while the import is part-way through.
    await eventually(
      async () =>
        (await storeCounts(documents, endpoints.tables.inventory, 'crash-9')).size > 300 ? true : undefined,
      {
        timeoutMs: 120_000,
        what: 'the import to be under way',
      },
    );
    // What a power cut does: SIGKILL to the cloud and to every process it started.
    running.kill();
    await running.exited;
    const journal = await readdir(join(dataDir, 'journal', 'importInventory'));
    running = npmStart(dataDir, ports);
    await running.printed('Press Ctrl-C to stop.');

    // Assess: the import was in the journal at the crash, and was run again to the end.
    expect(journal.filter((name) => name.endsWith('.json'))).toHaveLength(1);
    expect(running.output()).toMatch(/replaying \d+ S3 event\(s\) left unfinished by the last run/);
    const report = await eventually(
      async () => {
        const [key] = await keys(s3, uploads, 'reports/inventory/');
        if (!key) return undefined;
        const body = await s3.send(new GetObjectCommand({ Bucket: uploads, Key: key }));
        return JSON.parse(await (body.Body?.transformToString() ?? '{}'));
      },
      { timeoutMs: 600_000, what: 'the import report after the restart' },
    );
    expect(report).toMatchObject({ status: 'completed', rowsImported: STORES * ITEMS });
    for (let store = 0; store < STORES; store += 1) {
      const counts = await storeCounts(documents, endpoints.tables.inventory, `crash-${store}`);
      expect(counts.size).toBe(ITEMS);
      expect(counts.get('item-123')).toBe(countOf(store, 123));
    }
    await eventually(
      async () => {
        const made = await keys(s3, thumbnails, 'images/');
        const reports = await keys(s3, uploads, 'reports/images/');
        return made.length === IMAGES * 2 && reports.length === IMAGES ? true : undefined;
      },
      { timeoutMs: 120_000, what: 'every thumbnail and image report after the restart' },
    );
    expect(await readdir(join(dataDir, 'journal', 'importInventory'))).toEqual([]);
    // Every item that arrived at 0 raised its alert, once: the import run again raised none
    // (its rows change no count), and a redelivered stream record published nothing again,
    // except an alert whose delivery was cut between SNS and its idempotency record, which
    // the function names in its log (functions/stock-alerts/once.ts).
    const zeros = (STORES * ITEMS) / 50;
    const outbox = await eventually(
      async () => {
        const lines = (await readFile(join(dataDir as string, 'sns-outbox.jsonl'), 'utf8'))
          .trim()
          .split('\n');
        const alerts = lines.map((line) => {
          const { messageAttributes: a } = JSON.parse(line);
          return {
            change: `${a.store?.StringValue}/${a.item?.StringValue}/${a.type?.StringValue}`,
            eventId: a.eventId?.StringValue,
          };
        });
        return new Set(alerts.map((alert) => alert.change)).size === zeros ? alerts : undefined;
      },
      { timeoutMs: 120_000, what: `${zeros} distinct out-of-stock alerts` },
    );
    expect(new Set(outbox.map((alert) => alert.eventId)).size).toBe(zeros);
    const times = new Map<string, number>();
    for (const { eventId } of outbox) times.set(eventId, (times.get(eventId) ?? 0) + 1);
    const repeated = [...times].filter(([, count]) => count > 1).map(([eventId]) => eventId);
    const log = await readFile(join(dataDir, 'logs', 'functions.jsonl'), 'utf8');
    const tookOver = log
      .split('\n')
      .filter((line) => line.includes('it may have gone out twice'))
      .map((line) => JSON.parse(line).eventId);
    for (const eventId of repeated) expect(tookOver).toContain(eventId);
  }, 1_200_000);
});
