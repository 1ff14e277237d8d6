import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../local/cloud.ts';
import type { LocalCloud } from '../../local/types.ts';
import { chromiumExecutable } from '../support/chromium.ts';
import { clientsFor } from '../support/local-cloud.ts';

/**
 * The dashboard in a real browser (Chromium driven by playwright-core) against the
 * whole local cloud: the thumbnail comes from the thumbnails function (and reaches the page
 * through the HTTP API's stand-in for the distribution), the summaries from the
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
  document: { documentElement: { scrollWidth: number } };
}

const PHONE = { width: 390, height: 844 };

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

/** A page in a browser context of its own (its own cookies), signed in as `email` unless null. */
async function newPage(email: string | null = 'manager@stockroom.local', viewport = PHONE): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
  if (email) await signIn(page, email);
  return page;
}

/** Through the local OpenID provider's own login page, as a person does. */
async function signIn(page: Page, email: string, path = '/'): Promise<void> {
  await page.goto(`${cloud.endpoints.endpoints.http}${path}`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('stockroom-local');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${cloud.endpoints.endpoints.http}${path}`);
}

async function closePage(page: Page): Promise<void> {
  await page.context().close();
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'web-e2e-'));
  cloud = await startLocalCloud({ dataDir, inMemory: true, verbose: false, auth: 'oidc' });
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
    executablePath: chromiumExecutable(),
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
    const storeRow = page.locator('table.stores tbody tr', { has: page.getByRole('link', { name: STORE }) });
    const dashboardCells = await storeRow.locator('td').allInnerTexts();
    const thumbnailResponse = page.waitForResponse((response) => response.url().includes('/thumbnails/'));
    await page.locator('table.stores').getByRole('link', { name: STORE }).click();
    await page.waitForURL(`**/stores/${STORE}`);
    const thumbnail = await thumbnailResponse;
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
    await expect(gizmo.locator('.badge').innerText()).resolves.toBe('● Out of stock');
    await expect(gizmo.locator('.badge .icon').getAttribute('aria-hidden')).resolves.toBe('true');
    expect(gizmoBackground).not.toBe(plainBackground);
    expect(naturalWidth).toBeGreaterThan(0);
    // The image came from the distribution's path for the thumbnails bucket, not the function.
    expect(new URL((await widgetImage.getAttribute('src')) ?? '', thumbnail.url()).pathname).toBe(
      '/thumbnails/images/widget.png/200.webp',
    );
    expect(thumbnail.status()).toBe(200);
    expect(await thumbnail.headerValue('content-type')).toBe('image/webp');
    expect(await thumbnail.headerValue('cache-control')).toBe('public, max-age=86400');
    expect(await thumbnail.headerValue('x-content-type-options')).toBe('nosniff');
    const webPaths = cloud
      .invocations('web')
      .map((invocation) => (invocation.event as { rawPath?: string } | undefined)?.rawPath ?? '');
    expect(webPaths.filter((path) => path.startsWith('/thumbnails/'))).toEqual([]);
    expect(cspViolations).toEqual([]);
    await closePage(page);
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
        .locator('table.stores tbody tr', { has: page.getByRole('link', { name: STORE }) })
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
    await closePage(page);
  });
});

/** How far each element reaches sideways: all must lie within a phone's width, and be shown. */
async function horizontalExtents(page: Page, selector: string): Promise<{ left: number; right: number }[]> {
  const extents = [];
  for (const element of await page.locator(selector).all()) {
    await element.scrollIntoViewIfNeeded();
    const box = await element.boundingBox();
    extents.push(
      box ? { left: Math.floor(box.x), right: Math.ceil(box.x + box.width) } : { left: -1, right: -1 },
    );
  }
  return extents;
}

const pageWidth = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as BrowserWindow).document.documentElement.scrollWidth);

describe('dashboard on a phone (390×844)', () => {
  const inView = (extent: { left: number; right: number }) => extent.left >= 0 && extent.right <= PHONE.width;

  it('shows every store’s out-of-stock count and every item’s status without sideways scrolling', async () => {
    // Prepare
    const page = await newPage('manager@stockroom.local', PHONE);
    const http = cloud.endpoints.endpoints.http;

    // Act
    await page.goto(http);
    const homeCounts = await horizontalExtents(page, 'tbody td.out-count');
    const homeWidth = await pageWidth(page);
    const homeAxe = (await new AxeBuilder({ page }).analyze()).violations;
    const uploadLink = await page.getByRole('link', { name: 'Upload' }).getAttribute('href');
    await page.screenshot({ path: join(ARTIFACTS, 'phone-home.png'), fullPage: true });
    await page.goto(`${http}/stores/${STORE}`);
    const itemNames = await page.getByRole('rowheader').allInnerTexts();
    const statuses = await horizontalExtents(page, 'tbody td.status .badge');
    const statusTexts = await page.locator('tbody td.status .badge').allInnerTexts();
    const storeWidth = await pageWidth(page);
    const storeAxe = (await new AxeBuilder({ page }).analyze()).violations;
    await page.getByRole('link', { name: 'Upload' }).click();
    const uploadsInView = await page.locator('#uploads').isVisible();
    await page.screenshot({ path: join(ARTIFACTS, 'phone-store-page.png'), fullPage: true });

    // Assess
    expect(homeCounts.length).toBeGreaterThan(0);
    expect(homeCounts.filter((extent) => !inView(extent))).toEqual([]);
    expect(homeWidth).toBeLessThanOrEqual(PHONE.width);
    expect(homeAxe).toEqual([]);
    expect(uploadLink).toBe('#uploads');
    expect(statuses).toHaveLength(itemNames.length);
    expect(statuses.filter((extent) => !inView(extent))).toEqual([]);
    expect(statusTexts).toContain('● Out of stock');
    expect(storeWidth).toBeLessThanOrEqual(PHONE.width);
    expect(storeAxe).toEqual([]);
    expect(uploadsInView).toBe(true);
    expect(cspViolations).toEqual([]);
    await closePage(page);
  });
});

describe('sign-in in a browser', () => {
  const http = () => cloud.endpoints.endpoints.http;

  it('sends a signed-out visit to the sign-in page and back to the page asked for', async () => {
    // Prepare
    const page = await newPage(null);

    // Act
    await page.goto(`${http()}/stores/${STORE}?status=low`);
    const signInUrl = page.url();
    const axeOnSignIn = await new AxeBuilder({ page }).analyze();
    await page.getByLabel('E-mail').fill('viewer@stockroom.local');
    await page.getByLabel('Password').fill('stockroom-local');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${http()}/stores/${STORE}?status=low`);

    // Assess
    expect(signInUrl.startsWith(cloud.endpoints.endpoints.oidc ?? 'no provider')).toBe(true);
    expect(axeOnSignIn.violations).toEqual([]);
    expect(await page.getByText('Signed in as').isVisible()).toBe(true);
    expect(await page.getByRole('rowheader').allInnerTexts()).toEqual(['sprocket']);
    await closePage(page);
  });

  it('shows a viewer no upload forms and refuses a viewer’s upload with 403', async () => {
    // Prepare
    const page = await newPage('viewer@stockroom.local');

    // Act
    const forms = await page.locator('form[data-upload]').count();
    const status = await page.evaluate(async () => {
      const response = await fetch('/api/uploads', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'inventory', filename: 'a.csv' }),
      });
      return response.status;
    });

    // Assess
    expect(forms).toBe(0);
    expect(status).toBe(403);
    await closePage(page);
  });

  it('has no accessibility violations on the pages a manager uses', async () => {
    // Prepare
    const page = await newPage();
    const results: Record<string, unknown[]> = {};

    // Act
    for (const path of ['/', `/stores/${STORE}`, '/imports']) {
      await page.goto(`${http()}${path}`);
      results[path] = (await new AxeBuilder({ page }).analyze()).violations;
    }

    // Assess
    expect(results).toEqual({ '/': [], [`/stores/${STORE}`]: [], '/imports': [] });
    await closePage(page);
  });

  it('ends the session on sign-out, and refuses a tampered session cookie', async () => {
    // Prepare
    const page = await newPage();
    const context = page.context();
    const cookies = await context.cookies(http());
    const idToken = cookies.find((cookie) => cookie.name === 'stockroom_id');

    // Act
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => !url.href.includes('/auth/logout'));
    const afterSignOut = await page.request.get(`${http()}/api/stores`, { maxRedirects: 0 });
    const forged = `${idToken?.value.slice(0, -4)}AAAA`;
    await context.addCookies([{ ...(idToken ?? { name: 'stockroom_id', value: '' }), value: forged }]);
    const withForgery = await page.request.get(`${http()}/api/stores`, { maxRedirects: 0 });

    // Assess
    expect(idToken).toBeDefined();
    expect(idToken?.httpOnly).toBe(true);
    expect(afterSignOut.status()).toBe(401);
    expect(withForgery.status()).toBe(401);
    await closePage(page);
  });

  it('refuses a cross-origin POST that carries the session', async () => {
    // Prepare: the same request, with the session's cookies, from the dashboard's origin and
    // from another one (the provider's: both are 127.0.0.1, so SameSite alone would let a
    // request from it through).
    const page = await newPage();
    const request = (origin: string) =>
      page.request.post(`${http()}/api/uploads`, {
        headers: { origin, 'content-type': 'application/json' },
        data: JSON.stringify({ kind: 'image', item: 'gizmo', contentType: 'image/png' }),
        maxRedirects: 0,
      });

    // Act
    const sameOrigin = await request(new URL(http()).origin);
    const crossOrigin = await request(new URL(cloud.endpoints.endpoints.oidc ?? 'http://x').origin);

    // Assess
    expect(sameOrigin.status()).toBe(200);
    expect(crossOrigin.status()).toBe(403);
    await closePage(page);
  });
});
