import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/types.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';
import { dynamoDbLocalPids } from '../support/npm-start.ts';

// DynamoDB Local's JVM killed while an import writes: the import fails (its writes retried
// only twice here, so that it cannot ride the outage out), its report says why,
// the event reaches the on-failure queue, the cloud restarts DynamoDB Local on its files,
// and the record's event, invoked again as a redrive does, converges to the whole file.

const ROWS = 20_000;
const KEY = 'inventory/outage.csv';
let cloud: LocalCloud;
let clients: TestClients;

beforeAll(async () => {
  cloud = await startTestCloud({
    inMemory: false,
    functions: ['importInventory'],
    environment: { importInventory: { INVENTORY_WRITE_MAX_ATTEMPTS: '2' } },
  });
  clients = clientsFor(cloud);
});

afterAll(async () => {
  await cloud?.stop();
});

async function storeCounts(store: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const pages = paginateQuery(
    { client: clients.documents },
    {
      TableName: cloud.tables.inventory,
      KeyConditionExpression: '#store = :store',
      ExpressionAttributeNames: { '#store': 'store' },
      ExpressionAttributeValues: { ':store': store },
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) counts.set(item.item, item.count);
  return counts;
}

async function report(): Promise<Record<string, unknown> | undefined> {
  try {
    const output = await clients.s3.send(
      new GetObjectCommand({ Bucket: cloud.endpoints.buckets.uploads, Key: `reports/inventory/${KEY}.json` }),
    );
    return JSON.parse((await output.Body?.transformToString()) ?? '');
  } catch {
    return undefined;
  }
}

describe('an import when DynamoDB Local dies under it', () => {
  it('fails with what it wrote, and its redrive after DynamoDB is back imports the whole file', async () => {
    // Prepare
    const rows = Array.from({ length: ROWS }, (_, i) => `outage,item-${i},${i % 11}`);
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: cloud.endpoints.buckets.uploads,
        Key: KEY,
        Body: `store,item,count\n${rows.join('\n')}\n`,
      }),
    );
    await eventually(async () => ((await storeCounts('outage')).size > 500 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the import to be writing',
    });
    const [jvm] = dynamoDbLocalPids(cloud.dataDir);

    // Act
    process.kill(jvm as number, 'SIGKILL');
    const failureQueue = cloud.queues.ImportFailuresQueue as string;
    const [failure] = await eventually(
      () => {
        const records = cloud.failures(failureQueue);
        return records.length > 0 ? records : undefined;
      },
      { timeoutMs: 60_000, what: 'the import in its on-failure queue' },
    );
    const health = await eventually(
      async () => {
        const services = await cloud.health();
        return services.dynamodb === 'ok' ? services : undefined;
      },
      { timeoutMs: 90_000, what: 'DynamoDB Local back' },
    );
    const failed = await report();
    const written = (await storeCounts('outage')).size;
    const record = failure?.body as {
      requestPayload: unknown;
      requestContext: { approximateInvokeCount: number };
    };
    await cloud.invoke('importInventory', record.requestPayload);

    // Assess: the failure says how far it got, and the redrive converged.
    expect(health.dynamodb).toBe('ok');
    expect(record.requestContext.approximateInvokeCount).toBe(3);
    // The last attempt's report: each attempt reports what it wrote itself (the first wrote
    // the rows in the table; Lambda does not tell a function which attempt it is).
    expect(failed).toMatchObject({ status: 'failed', reason: 'write_error' });
    expect(failed?.detail).toMatch(/ECONNREFUSED/);
    expect(failed?.rowsImported).toBeLessThanOrEqual(written);
    expect(written).toBeGreaterThan(500);
    expect(await report()).toMatchObject({ status: 'completed', rowsRead: ROWS, rowsImported: ROWS });
    const counts = await storeCounts('outage');
    expect(counts.size).toBe(ROWS);
    expect([counts.get('item-0'), counts.get('item-12345'), counts.get(`item-${ROWS - 1}`)]).toEqual([
      0,
      12345 % 11,
      (ROWS - 1) % 11,
    ]);
  }, 240_000);
});
