import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../local/cloud.ts';
import type { LocalCloud } from '../../local/types.ts';
import { queryAttention } from '../../shared/stock/attention-table.ts';
import { historyItemOf, queryItemHistory } from '../../shared/stock/history-table.ts';
import { chromiumExecutable } from '../support/chromium.ts';
import { clientsFor } from '../support/local-cloud.ts';

/**
 * The store manager's pages in a real browser, at a desk (1280×900) and on a phone (390×844),
 * against the whole local cloud: the inventory is written to the table, and the stream's
 * consumers build the history, the attention list and the summaries that the pages show.
 */

const NORTH = 'north';
const SOUTH = 'south';
const ARTIFACTS = join(process.cwd(), 'test-results', 'e2e');
const DESK = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const SIZES = { desk: DESK, phone: PHONE } as const;

let cloud: LocalCloud;
let dataDir: string;
let browser: Browser;
let documents: DynamoDBDocumentClient;
const cspViolations: string[] = [];

interface BrowserWindow {
  document: { documentElement: { scrollWidth: number } };
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function putCount(store: string, item: string, count: number): Promise<void> {
  await documents.send(
    new PutCommand({
      TableName: cloud.tables.inventory,
      Item: { store, item, count, updatedAt: new Date().toISOString(), source: { key: 'inventory/e2e.csv' } },
    }),
  );
}

/**
 * Each count in turn, each once the history has the change before it (a first count is kept
 * only when it is 0, so one point per change after the first).
 */
async function countsInTurn(store: string, item: string, counts: number[]): Promise<void> {
  for (const [index, count] of counts.entries()) {
    await putCount(store, item, count);
    const changes = index + (counts[0] === 0 ? 1 : 0);
    await poll(`change ${index + 1} of ${item}`, async () => {
      const history = await queryItemHistory(documents, cloud.tables.stockHistory, store, item, {
        limit: 50,
      });
      return history.length === changes ? true : undefined;
    });
  }
}

/**
 * A month of one item's history, written into the history table as the stream consumer
 * writes it: the stream's own timestamps cannot be set back, and a chart of a few seconds
 * shows little. (The consumer itself is tested against real stream records elsewhere.) The
 * item's first count, put just before, is not a change the history keeps; the month ends on it.
 */
async function monthOfHistory(store: string, item: string, now: Date): Promise<void> {
  const counts = [40, 34, 27, 19, 12, 6, 0, 0, 24, 18, 11, 4, 0, 30, 26, 21, 15, 9, 3];
  const items = counts.map((count, index) => {
    const previousCount = index === 0 ? 45 : counts[index - 1];
    const transition =
      count === 0 && previousCount !== 0 && previousCount !== undefined
        ? ('out_of_stock' as const)
        : previousCount === 0 && count > 0
          ? ('back_in_stock' as const)
          : undefined;
    const changedAt = new Date(
      now.getTime() - (counts.length - 1 - index) * 36 * 3600_000 - 60_000,
    ).toISOString();
    return historyItemOf(
      {
        store,
        item,
        sequence: String(index + 1).padStart(40, '0'),
        changedAt,
        count,
        ...(previousCount === undefined ? {} : { previousCount }),
        ...(transition ? { transition } : {}),
      },
      90,
    );
  });
  for (let start = 0; start < items.length; start += 25) {
    const chunk = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
    await documents.send(new BatchWriteCommand({ RequestItems: { [cloud.tables.stockHistory]: chunk } }));
  }
}

async function newPage(viewport: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
  const http = cloud.endpoints.endpoints.http;
  await page.goto(`${http}/`);
  await page.getByLabel('E-mail').fill('manager@stockroom.local');
  await page.getByLabel('Password').fill('stockroom-local');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${http}/`);
  return page;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'stock-e2e-'));
  cloud = await startLocalCloud({ dataDir, inMemory: true, verbose: false, auth: 'oidc' });
  documents = clientsFor(cloud).documents;
  await putCount(SOUTH, 'bolt', 4);
  await putCount(SOUTH, 'washer', 50);
  await putCount(NORTH, 'washer', 2);
  await countsInTurn(NORTH, 'bolt', [10, 2, 0]);
  await putCount(NORTH, 'sprocket', 3);
  await monthOfHistory(NORTH, 'sprocket', new Date());
  await poll('the attention list', async () => {
    const items = await queryAttention(documents, cloud.tables.stockAttention, { stores: 'all', limit: 20 });
    return items.length === 4 ? true : undefined;
  });
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
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const PAGES = {
  home: '/',
  store: `/stores/${NORTH}`,
  item: `/stores/${NORTH}/items/sprocket`,
  alerts: '/alerts',
  search: '/search?item=bolt',
  imports: '/imports',
};

/** How far each element reaches sideways, once scrolled into view. */
async function extents(page: Page, selector: string): Promise<{ left: number; right: number }[]> {
  const found = [];
  for (const element of await page.locator(selector).all()) {
    await element.scrollIntoViewIfNeeded();
    const box = await element.boundingBox();
    found.push(
      box ? { left: Math.floor(box.x), right: Math.ceil(box.x + box.width) } : { left: -1, right: -1 },
    );
  }
  return found;
}

describe.each(Object.entries(SIZES))('the stock pages at %s size', (size, viewport) => {
  it('have no accessibility violations and no CSP errors, and nothing runs off a phone', async () => {
    // Prepare
    const page = await newPage(viewport);
    const violations: Record<string, unknown[]> = {};
    const widths: Record<string, number> = {};
    const offScreen: Record<string, unknown[]> = {};

    // Act
    for (const [name, path] of Object.entries(PAGES)) {
      await page.goto(`${cloud.endpoints.endpoints.http}${path}`);
      violations[name] = (await new AxeBuilder({ page }).analyze()).violations;
      widths[name] = await page.evaluate(
        () => (globalThis as unknown as BrowserWindow).document.documentElement.scrollWidth,
      );
      const outside = (await extents(page, 'td.status .badge, td.out-count')).filter(
        (extent) => extent.left < 0 || extent.right > viewport.width,
      );
      offScreen[name] = outside;
      await page.screenshot({ path: join(ARTIFACTS, `${size}-${name}.png`), fullPage: true });
    }

    // Assess
    expect(violations).toEqual(Object.fromEntries(Object.keys(PAGES).map((name) => [name, []])));
    expect(offScreen).toEqual(Object.fromEntries(Object.keys(PAGES).map((name) => [name, []])));
    for (const width of Object.values(widths)) expect(width).toBeLessThanOrEqual(viewport.width);
    expect(cspViolations).toEqual([]);
    await page.context().close();
  });
});

describe('what a store manager sees', () => {
  it('lists what needs attention on the home page, newest first, with how long', async () => {
    // Prepare
    const page = await newPage(DESK);

    // Act
    const rows = page.locator('table.attention-list tbody tr');
    const items = await rows.locator('th').allInnerTexts();
    const bolt = await rows.filter({ hasText: 'bolt' }).first().locator('td').allInnerTexts();
    const totals = await page.locator('.attention-totals').innerText();

    // Assess
    expect(items.sort()).toEqual(['bolt', 'bolt', 'sprocket', 'washer']);
    expect(totals).toContain('1 item out of stock and 3 items low, in 2 stores.');
    expect(bolt[0]).toBe(NORTH);
    expect(bolt[1]).toContain('Out of stock');
    // Seconds or a minute: DynamoDB Local stamps stream records to the minute.
    expect(bolt[3]).toMatch(/^\d+ (s|min)$/);
    await page.context().close();
  });

  it('draws an item’s count over time, with a text alternative and the changes as a table', async () => {
    // Prepare
    const page = await newPage(DESK);

    // Act
    await page.goto(`${cloud.endpoints.endpoints.http}/stores/${NORTH}/items/bolt`);
    const chart = page.locator('.chart-wide svg[role="img"]');
    const chartBox = await chart.boundingBox();
    const description = await chart.locator('desc').textContent();
    const historyRows = await page.locator('table.history tbody tr').count();
    await page.goto(`${cloud.endpoints.endpoints.http}/stores/${NORTH}`);
    const sparklines = await page.locator('td.trend svg.sparkline').count();

    // Assess
    expect(chartBox?.width).toBeGreaterThan(600);
    expect(description, description ?? '').toContain('now 0');
    // 10 → 2 and 2 → 0: the first count, 10, leads the chart but is not a change.
    expect(historyRows).toBe(2);
    expect(sparklines).toBe(3);
    await page.context().close();
  });

  it('shows the alerts feed, filtered by store and type', async () => {
    // Prepare
    const page = await newPage(DESK);

    // Act
    await page.goto(`${cloud.endpoints.endpoints.http}/alerts`);
    await page.getByLabel('Store', { exact: true }).selectOption(NORTH);
    await page.getByLabel('Alert', { exact: true }).selectOption('out_of_stock');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/\/alerts\?store=north&type=out_of_stock/);
    const items = await page.locator('table.alerts tbody th').allInnerTexts();

    // Assess: bolt ran out once; sprocket twice in its month.
    expect(items.sort()).toEqual(['bolt', 'sprocket', 'sprocket']);
    await page.context().close();
  });

  it('finds an item in every store from the header’s search box', async () => {
    // Prepare
    const page = await newPage(PHONE);

    // Act
    await page.getByRole('searchbox', { name: 'Find an item in every store' }).fill('bolt');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(/\/search\?item=bolt/);
    const stores = await page.locator('table.search-results tbody th').allInnerTexts();
    const caption = await page.locator('#search-caption').innerText();

    // Assess
    expect(stores).toEqual([NORTH, SOUTH]);
    expect(caption).toContain('in stock at 1 of the 2 stores');
    await page.context().close();
  });

  it('follows an uploaded CSV’s import on the page until its report, without a reload', async () => {
    // Prepare
    const page = await newPage(DESK);
    const rows = Array.from({ length: 20_000 }, (_, index) => `watch,item-${index},${index % 7}`);
    const csv = Buffer.from(`store,item,count\n${rows.join('\n')}\n`);

    // Act
    await page.locator('#csv-file').setInputFiles({ name: 'watch.csv', mimeType: 'text/csv', buffer: csv });
    await page.getByRole('button', { name: 'Upload CSV' }).click();
    await page.waitForURL(/\/imports\?uploaded=inventory%2F/);
    await page.evaluate(() => {
      (globalThis as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true;
    });
    const refreshing = await page.locator('#imports-live').getAttribute('data-refresh');
    await page.locator('#imports-live .report .badge').waitFor({ timeout: 120_000 });
    const status = await page.locator('#imports-live .report .badge').innerText();
    const samePage = await page.evaluate(
      () => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage === true,
    );
    await page.waitForFunction('!document.querySelector("[data-refresh]")', undefined, { timeout: 10_000 });

    // Assess
    expect(refreshing).toBe('3');
    expect(status).toBe('Completed');
    expect(samePage).toBe(true);
    await page.context().close();
  }, 180_000);
});
