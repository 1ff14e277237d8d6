import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../local/cloud.ts';
import type { LocalCloud } from '../../local/types.ts';
import { clientsFor } from '../support/local-cloud.ts';

/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against the
 * whole local cloud: the thumbnail comes from the thumbnails function, the summaries from the
 * stream consumer, and the CSV upload goes from the form straight to the local S3 and through
 * the import.
 */

const STORE = 'e2e-store';
const ARTIFACTS = join(process.cwd(), 'test-results', 'e2e');

let cloud: LocalCloud;
let dataDir: string;
let browser: Browser;
let documentClient: DynamoDBDocumentClient;
let s3: S3Client;
const cspViolations: string[] = [];

/** The few browser APIs the assertions read (the project compiles without the DOM library). */
interface BrowserImage {
  complete: boolean;
  naturalWidth: number;
}
interface BrowserWindow {
  getComputedStyle(element: unknown): { backgroundColor: string };
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function summaryOf(store: string): Promise<Record<string, unknown> | undefined> {
  const found = await documentClient.send(
    new GetCommand({ TableName: cloud.tables.storeSummaries, Key: { store } }),
  );
  return found.Item;
}

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
  return page;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'web-e2e-'));
  cloud = await startLocalCloud({ dataDir, inMemory: true, verbose: false });
  const clients = clientsFor(cloud);
  documentClient = clients.documents;
  s3 = clients.s3;
  const updatedAt = new Date().toISOString();
  await documentClient.send(
    new BatchWriteCommand({
      RequestItems: {
        [cloud.tables.inventory]: [
          { item: 'gizmo', count: 0 },
          { item: 'widget', count: 12 },
          { item: 'sprocket', count: 3 },
        ].map(({ item, count }) => ({
          PutRequest: {
            Item: {
              store: STORE,
              item,
              count,
              updatedAt,
              source: { bucket: 'seed', key: 'inventory/seed.csv' },
            },
          },
        })),
      },
    }),
  );
  // A real photo through the thumbnails flow: the page must show what it produced.
  const photo = await sharp({
    create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 40, b: 40 } },
  })
    .png()
    .toBuffer();
  await s3.send(
    new PutObjectCommand({
      Bucket: cloud.endpoints.buckets.uploads,
      Key: 'images/widget.png',
      Body: photo,
      ContentType: 'image/png',
    }),
  );
  await poll('the widget thumbnail', async () => {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: cloud.endpoints.buckets.thumbnails, Prefix: 'images/widget.png/' }),
    );
    return (listed.Contents ?? []).length > 0 ? true : undefined;
  });
  await poll('the store summary', async () => ((await summaryOf(STORE))?.itemCount === 3 ? true : undefined));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('dashboard in a browser', () => {
  it('shows the store, an out-of-stock item highlighted and a thumbnail that loaded', async () => {
    // Prepare
    const page = await newPage();

    // Act
    await page.goto(cloud.endpoints.endpoints.http);
    const storeRow = page.locator('tbody tr', { has: page.getByRole('link', { name: STORE }) });
    const dashboardCells = await storeRow.locator('td').allInnerTexts();
    await page.getByRole('link', { name: STORE }).click();
    await page.waitForURL(`**/stores/${STORE}`);
    const gizmo = page.locator('tr', { has: page.getByRole('rowheader', { name: 'gizmo' }) });
    const widgetImage = page
      .locator('tr', { has: page.getByRole('rowheader', { name: 'widget' }) })
      .locator('img');
    await widgetImage.evaluate(
      (element) =>
        (element as unknown as BrowserImage).complete ||
        new Promise((resolve) => {
          element.addEventListener('load', resolve, { once: true });
          element.addEventListener('error', resolve, { once: true });
        }),
    );
    const naturalWidth = await widgetImage.evaluate(
      (element) => (element as unknown as BrowserImage).naturalWidth,
    );
    const backgroundOf = (element: unknown) =>
      (globalThis as unknown as BrowserWindow).getComputedStyle(element).backgroundColor;
    const gizmoBackground = await gizmo.evaluate(backgroundOf);
    const plainBackground = await page
      .locator('tr', { has: page.getByRole('rowheader', { name: 'widget' }) })
      .evaluate(backgroundOf);
    await page.screenshot({ path: join(ARTIFACTS, 'store-page.png'), fullPage: true });

    // Assess
    expect(dashboardCells.slice(0, 3)).toEqual(['3', '15', '1']);
    expect(await gizmo.getAttribute('class')).toBe('status-out');
    await expect(gizmo.locator('.badge').textContent()).resolves.toBe('Out of stock');
    expect(gizmoBackground).not.toBe(plainBackground);
    expect(naturalWidth).toBeGreaterThan(0);
    expect(cspViolations).toEqual([]);
    await page.close();
  });

  it('uploads a CSV through the form and shows the new counts', async () => {
    // Prepare
    const page = await newPage();
    await page.goto(cloud.endpoints.endpoints.http);
    const csv = `store,item,count\n${STORE},gizmo,9\n${STORE},bolt,0\n`;

    // Act
    await page
      .locator('#csv-file')
      .setInputFiles({ name: 'restock.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload CSV' }).click();
    await page.waitForURL(/\/imports\?uploaded=inventory%2F/);
    const notice = await page.locator('.notice').textContent();
    await poll('the new counts', async () => {
      const summary = await summaryOf(STORE);
      return summary?.itemCount === 4 && summary.totalUnits === 24 ? true : undefined;
    });
    // The dashboard reuses the summaries for up to a second: reload until it shows them.
    const cells = await poll('the dashboard to show the new counts', async () => {
      await page.goto(cloud.endpoints.endpoints.http);
      const shown = await page
        .locator('tbody tr', { has: page.getByRole('link', { name: STORE }) })
        .locator('td')
        .allInnerTexts();
      return shown[0] === '4' ? shown : undefined;
    });
    await page.goto(`${cloud.endpoints.endpoints.http}/stores/${STORE}?status=out`);
    const outOfStock = await page.getByRole('rowheader').allInnerTexts();
    await page.screenshot({ path: join(ARTIFACTS, 'after-upload.png'), fullPage: true });

    // Assess
    expect(notice ?? '').toContain('restock.csv');
    expect(cells.slice(0, 3)).toEqual(['4', '24', '1']);
    expect(outOfStock).toEqual(['bolt']);
    expect(cspViolations).toEqual([]);
    await page.close();
  });
});
