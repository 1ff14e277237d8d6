import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../local/cloud.ts';
import type { LocalCloud } from '../../local/types.ts';
import { clientsFor } from '../support/local-cloud.ts';

let dataDir: string | undefined;
let cloud: LocalCloud | undefined;

afterAll(async () => {
  await cloud?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the local cloud across a restart', () => {
  it('keeps objects, items and SNS messages, and does not deliver stream records twice', async () => {
    // Prepare: a first run writes an object and an item that becomes out of stock.
    dataDir = await mkdtemp(join(tmpdir(), 'stockroom-restart-'));
    cloud = await startLocalCloud({ dataDir, verbose: false });
    let clients = clientsFor(cloud);
    await clients.s3.send(
      new PutObjectCommand({ Bucket: cloud.endpoints.buckets.uploads, Key: 'notes/kept.txt', Body: 'kept' }),
    );
    await clients.documents.send(
      new PutCommand({
        TableName: cloud.endpoints.tables.inventory,
        Item: { store: 'restart-store', item: 'restart-item', count: 0, updatedAt: new Date().toISOString() },
      }),
    );
    await cloud.waitForIdle();
    const messagesBefore = cloud.snsMessages().length;
    const summariesBefore = cloud.invocations('storeSummaries').length;
    expect(summariesBefore).toBeGreaterThan(0);
    await cloud.stop();

    // Act: a restart, on the same ports as `npm start` would use.
    const port = (url: string) => Number(new URL(url).port);
    const { endpoints } = cloud.endpoints;
    const ports = {
      s3: port(endpoints.s3),
      dynamodb: port(endpoints.dynamodb),
      aws: port(endpoints.sns),
      http: port(endpoints.http),
      smtp: port(endpoints.smtp ?? ''),
    };
    cloud = await startLocalCloud({ dataDir, verbose: false, ports });
    clients = clientsFor(cloud);
    await cloud.waitForIdle();

    // Assess
    const object = await clients.s3.send(
      new GetObjectCommand({ Bucket: cloud.endpoints.buckets.uploads, Key: 'notes/kept.txt' }),
    );
    expect(await object.Body?.transformToString()).toBe('kept');
    const { Item } = await clients.documents.send(
      new GetCommand({
        TableName: cloud.endpoints.tables.inventory,
        Key: { store: 'restart-store', item: 'restart-item' },
      }),
    );
    expect(Item?.count).toBe(0);
    expect(cloud.snsMessages()).toHaveLength(messagesBefore);
    // The stream position was checkpointed: the second run delivers nothing old again.
    expect(cloud.invocations('storeSummaries')).toHaveLength(0);
    expect(cloud.invocations('stockAlerts')).toHaveLength(0);

    // And the handlers, loaded once in this process, work against the restarted cloud.
    await clients.documents.send(
      new PutCommand({
        TableName: cloud.endpoints.tables.inventory,
        Item: { store: 'restart-store', item: 'restart-item', count: 3, updatedAt: new Date().toISOString() },
      }),
    );
    await cloud.waitForIdle();
    expect(cloud.invocations('stockAlerts').map((record) => record.outcome)).toEqual(['success']);
    expect(cloud.snsMessages().at(-1)?.messageAttributes.type?.StringValue).toBe('back_in_stock');

    // A cloud on other ports in this process is refused: its handlers would talk to the old one.
    await expect(startLocalCloud({ dataDir, verbose: false })).rejects.toThrow(/already ran in this process/);
  });
});
