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

    // Act
    cloud = await startLocalCloud({ dataDir, verbose: false });
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
  });
});
