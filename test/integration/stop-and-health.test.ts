import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../local/cloud.ts';
import type { Endpoints } from '../../local/types.ts';
import { eventually } from '../support/local-cloud.ts';
import {
  dynamoDbLocalPids,
  freePorts,
  groupAlive,
  type NpmStart,
  npmStart,
  type Ports,
  storedObject,
} from '../support/npm-start.ts';

// `npm start` in a child process, signalled as a terminal signals it (the whole process
// group), and DynamoDB Local's JVM killed under it.

const ROWS = 20_000;
let run: NpmStart | undefined;

afterEach(async () => {
  run?.kill();
  if (run) await rm(run.dataDir, { recursive: true, force: true });
  run = undefined;
});

async function started(env: Record<string, string> = {}, again?: { dataDir: string; ports: Ports }) {
  const dataDir = again?.dataDir ?? (await mkdtemp(join(tmpdir(), 'stockroom-stop-')));
  const ports = again?.ports ?? (await freePorts());
  run = npmStart(dataDir, ports, env);
  await run.printed('Press Ctrl-C to stop.');
  const endpoints: Endpoints = await run.endpoints();
  const [jvm] = dynamoDbLocalPids(dataDir);
  const common = { region: endpoints.region, credentials: LOCAL_CREDENTIALS };
  const s3 = new S3Client({ ...common, endpoint: endpoints.endpoints.s3, forcePathStyle: true });
  const dynamoDb = new DynamoDBClient({ ...common, endpoint: endpoints.endpoints.dynamodb });
  const documents = DynamoDBDocumentClient.from(dynamoDb);
  return { run, ports, endpoints, jvm: jvm as number, s3, documents };
}

type Cloud = Awaited<ReturnType<typeof started>>;

/** Uploads a 20,000-row CSV and resolves once its import is writing rows. */
async function importUnderWay({ s3, documents, endpoints }: Cloud, key: string): Promise<void> {
  const rows = Array.from({ length: ROWS }, (_, i) => `stop-store,item-${i},${i % 7}`);
  const body = `store,item,count\n${rows.join('\n')}\n`;
  await s3.send(new PutObjectCommand({ Bucket: endpoints.buckets.uploads, Key: key, Body: body }));
  const query = {
    TableName: endpoints.tables.inventory,
    KeyConditionExpression: '#store = :store',
    ExpressionAttributeNames: { '#store': 'store' },
    ExpressionAttributeValues: { ':store': 'stop-store' },
    Limit: 100,
  };
  await eventually(
    async () => ((await documents.send(new QueryCommand(query))).Count === 100 ? true : undefined),
    { timeoutMs: 60_000, what: 'the import to be writing rows' },
  );
}

const journalOf = async (dataDir: string) =>
  (await readdir(join(dataDir, 'journal', 'importInventory'))).filter((name) => name.endsWith('.json'));

describe('Ctrl-C on npm start', () => {
  it('lets a running import finish, answers 503 meanwhile, exits 0 and leaves no process', async () => {
    // Prepare
    const cloud = await started({ STOCKROOM_STOP_GRACE_SECONDS: '120' });
    const { http } = cloud.endpoints.endpoints;
    await importUnderWay(cloud, 'inventory/stop.csv');

    // Act: Ctrl-C, which a terminal sends to its whole foreground process group.
    cloud.run.terminal('SIGINT');
    await cloud.run.printed(/Waiting up to 120 s for [^\n]*importInventory ×1/);
    const page = await fetch(`${http}/`);
    const code = await cloud.run.exited;

    // Assess
    expect(page.status).toBe(503);
    expect(code).toBe(0);
    // The terminal's SIGINT did not reach DynamoDB Local: it ran until the cloud stopped it.
    expect(cloud.run.output()).not.toContain('DynamoDB Local exited');
    expect(cloud.run.output()).toContain('Stopped. State is kept in');
    const reportKey = 'reports/inventory/inventory/stop.csv.json';
    const report = JSON.parse(
      await storedObject(cloud.run.dataDir, cloud.endpoints.buckets.uploads, reportKey),
    );
    expect(report).toMatchObject({ status: 'completed', rowsImported: ROWS });
    // Finished, so nothing is left to replay; and DynamoDB Local's JVM (its own group) is gone.
    expect(await journalOf(cloud.run.dataDir)).toEqual([]);
    expect(cloud.jvm).toBeGreaterThan(0);
    expect(groupAlive(cloud.jvm)).toBe(false);
    expect(dynamoDbLocalPids(cloud.run.dataDir)).toEqual([]);
    expect(groupAlive(cloud.run.child.pid as number)).toBe(false);
  });

  it.each([
    { on: 'a second Ctrl-C', grace: '120', twice: true, why: 'SIGINT again' },
    { on: 'the end of the grace period', grace: '2', twice: false, why: 'The 2 s grace period is over' },
  ])(
    'stops at once on $on, leaving the import to be replayed, and no process',
    async ({ grace, twice, why }) => {
      // Prepare
      const cloud = await started({ STOCKROOM_STOP_GRACE_SECONDS: grace });
      await importUnderWay(cloud, 'inventory/at-once.csv');

      // Act
      cloud.run.terminal('SIGINT');
      await cloud.run.printed('Waiting up to');
      if (twice) cloud.run.terminal('SIGINT');
      const signalledAt = Date.now();
      const code = await cloud.run.exited;

      // Assess
      expect(code).toBe(1);
      expect(Date.now() - signalledAt).toBeLessThan(twice ? 5000 : 7000);
      expect(cloud.run.output()).toMatch(
        new RegExp(
          `${why}: stopped at once, cutting short [^\\n]*importInventory ×1[^\\n]*; unfinished S3 events and Step Functions executions go on at the next start\\.`,
        ),
      );
      expect(await journalOf(cloud.run.dataDir)).toHaveLength(1);
      await eventually(() => (groupAlive(cloud.jvm) ? undefined : true), { what: 'the JVM to be gone' });
      expect(dynamoDbLocalPids(cloud.run.dataDir)).toEqual([]);
    },
  );
});

describe('health', () => {
  it('says when DynamoDB Local is killed, restarts it on its data, and says when all is well again', async () => {
    // Prepare: an item written, and summarised through the stream, before the JVM dies.
    const cloud = await started();
    const { http } = cloud.endpoints.endpoints;
    const table = cloud.endpoints.tables.inventory;
    const item = (store: string, count: number) => ({
      store,
      item: 'an-item',
      count,
      updatedAt: new Date().toISOString(),
    });
    await cloud.documents.send(new PutCommand({ TableName: table, Item: item('before-kill', 3) }));
    const stores = async () =>
      ((await (await fetch(`${http}/api/stores`)).json()) as { stores: { store: string }[] }).stores;
    await eventually(
      async () => ((await stores()).some((s) => s.store === 'before-kill') ? true : undefined),
      {
        what: 'the summary of the first store',
      },
    );

    // Act
    process.kill(cloud.jvm, 'SIGKILL');
    const degraded = await eventually(async () => {
      const response = await fetch(`${http}/healthz`);
      return response.status === 503 ? response : undefined;
    });
    const during = (await degraded.json()) as { status: string; services: Record<string, string> };
    const healthy = await eventually(
      async () => {
        const response = await fetch(`${http}/healthz`);
        return response.status === 200 ? response : undefined;
      },
      { timeoutMs: 90_000, what: '/healthz to answer 200 again' },
    );

    // Assess: what /healthz said during the outage, and the terminal once.
    expect(during.status).toBe('degraded');
    expect(during.services.dynamodb).toMatch(/^DynamoDB Local exited \(signal SIGKILL\)/);
    expect(during.services.s3).toBe('ok');
    expect(await healthy.json()).toEqual({ status: 'ok' });
    const output = cloud.run.output();
    expect(output).toContain('DynamoDB Local exited (signal SIGKILL) unexpectedly; restarting it on port');
    expect(output).toContain('DynamoDB Local is running again on port');
    // One line per stream mapping for the outage, not ten a second.
    expect(output.match(/stream poll failed/g)?.length ?? 0).toBeLessThanOrEqual(2);
    // Restarted on the same files: the item is there, and a new write goes through the stream.
    const [restarted] = dynamoDbLocalPids(cloud.run.dataDir);
    expect(restarted).not.toBe(cloud.jvm);
    const items = await fetch(`${http}/api/stores/before-kill/items`);
    expect(items.status).toBe(200);
    expect(((await items.json()) as { items: { count: number }[] }).items).toMatchObject([{ count: 3 }]);
    await cloud.documents.send(new PutCommand({ TableName: table, Item: item('after-restart', 0) }));
    await eventually(
      async () => ((await stores()).some((s) => s.store === 'after-restart') ? true : undefined),
      {
        timeoutMs: 30_000,
        what: 'the summary of a store written after the restart',
      },
    );
    cloud.run.terminal('SIGINT');
    expect(await cloud.run.exited).toBe(0);
    expect(dynamoDbLocalPids(cloud.run.dataDir)).toEqual([]);
  });
});

describe('a start after the cloud was killed outright', () => {
  it('stops the DynamoDB Local the killed cloud left on its data, and starts', async () => {
    // Prepare: `kill -9` of the cloud alone leaves its JVM (a process group of its own).
    const first = await started();
    first.run.child.kill('SIGKILL');
    await first.run.exited;
    expect(dynamoDbLocalPids(first.run.dataDir)).toEqual([first.jvm]);

    // Act: the same data and ports.
    const second = await started({}, { dataDir: first.run.dataDir, ports: first.ports });
    const health = await fetch(`${second.endpoints.endpoints.http}/healthz`);

    // Assess
    expect(second.run.output()).toContain(`DynamoDB Local (pid ${first.jvm}) was left running on`);
    expect(health.status).toBe(200);
    expect(groupAlive(first.jvm)).toBe(false);
    expect(dynamoDbLocalPids(second.run.dataDir)).toEqual([second.jvm]);
    second.run.terminal('SIGINT');
    expect(await second.run.exited).toBe(0);
    expect(dynamoDbLocalPids(second.run.dataDir)).toEqual([]);
  });
});
