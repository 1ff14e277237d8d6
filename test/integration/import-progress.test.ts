import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/types.ts';
import { getRunningImport, listRunningImports, type RunningImport } from '../../shared/inventory/progress.ts';
import { type InventoryImportReport, inventoryImportReportSchema } from '../../shared/inventory/report.ts';
import { INVENTORY_PROGRESS_PREFIX } from '../../shared/reports.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';

// A running import, watched as the dashboard watches it: through the local cloud, the real
// import function writes its progress object while it writes rows, and deletes it after the
// report.

let cloud: LocalCloud;
let clients: TestClients;
let bucket: string;

beforeAll(async () => {
  cloud = await startTestCloud({ functions: ['importInventory'] });
  clients = clientsFor(cloud);
  bucket = cloud.endpoints.buckets.uploads;
});

afterAll(async () => {
  await cloud?.stop();
});

async function readReport(key: string): Promise<InventoryImportReport | undefined> {
  try {
    const output = await clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `reports/inventory/${key}.json` }),
    );
    return inventoryImportReportSchema.parse(JSON.parse((await output.Body?.transformToString()) ?? ''));
  } catch {
    return undefined;
  }
}

/** 150,000 rows (~3.6 MB): long enough to import that it is seen under way. */
function bigCsv(rows: number): string {
  const lines = ['store,item,count'];
  for (let i = 0; i < rows; i += 1) lines.push(`s-progress-${i % 10},item-${i},${i % 7}`);
  return `${lines.join('\n')}\n`;
}

describe('watching an import (local cloud)', () => {
  it('shows rows and bytes rising while the import runs, and nothing once its report is written', async () => {
    // Prepare
    const key = 'inventory/progress/big.csv';
    const body = bigCsv(150_000);

    // Act
    const started = Date.now();
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const underWay = await eventually(
      async () => {
        const running = await getRunningImport(clients.s3, bucket, key, new Date());
        const { fraction = 0 } = running ?? {};
        return running && running.rowsSoFar > 0 && fraction > 0 && fraction < 1 ? running : undefined;
      },
      { what: 'the import under way', timeoutMs: 60_000, intervalMs: 250 },
    );
    const listed = await listRunningImports(clients.s3, bucket, new Date());
    const report = await eventually(() => readReport(key), {
      what: `the report for ${key}`,
      timeoutMs: 110_000,
      intervalMs: 500,
    });
    const tookMs = Date.now() - started;
    const afterReport = await getRunningImport(clients.s3, bucket, key, new Date());
    const left = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: INVENTORY_PROGRESS_PREFIX }),
    );

    // Assess
    expect(underWay).toMatchObject<Partial<RunningImport>>({
      source: expect.objectContaining({ bucket, key }),
      totalBytes: Buffer.byteLength(body),
      stalled: false,
    });
    expect(underWay.bytesRead).toBeGreaterThan(0);
    // The writing pass began after the check pass: its rate is the one the estimate uses.
    expect(Date.parse(underWay.writingSince ?? '')).toBeGreaterThanOrEqual(Date.parse(underWay.startedAt));
    expect(underWay.bytesRead).toBeLessThan(underWay.totalBytes);
    expect(listed.map((running) => running.source.key)).toContain(key);
    expect(report).toMatchObject({ status: 'completed', rowsImported: 150_000 });
    expect(afterReport).toBeUndefined();
    expect(left.Contents ?? []).toEqual([]);
    // The import ran long enough to be watched (the progress object is written every 2 s).
    expect(tookMs).toBeGreaterThan(2_000);
  });
});
