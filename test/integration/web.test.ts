import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THUMBNAIL_CACHE_CONTROL } from '#shared/images/objects.ts';
import { startLocalCloud } from '../../local/cloud.ts';
import type { LocalCloud } from '../../local/types.ts';
import { clientsFor } from '../support/local-cloud.ts';

/**
 * The web flow through the local cloud's HTTP API: real payload-2.0 events, DynamoDB Local
 * with the storeSummaries stream consumer, s3rver for reports, thumbnails and presigned POSTs.
 * The HTTP API stands in for the distribution too: it serves `/thumbnails/*` from the
 * thumbnails bucket through the distribution's own gate code and headers.
 */
const THUMBNAIL_KEY = 'images/item-001.png/200.webp';
/** A thumbnail deleted after the page linked it. */
const GONE_KEY = 'images/item-003.png/200.webp';
const THUMBNAIL_BYTES = Buffer.from('RIFF0000WEBPVP8 fake');

const HOSTILE_STORE = '<img src=x onerror=alert(1)>';
const STORE = 'store-a';
/** Names that contain percent-encoding themselves: they must not be decoded twice. */
const PERCENT_STORE = 'Sale 100%41';
const PERCENT_ITEM = 'tag 10%25 off';
const ITEMS = 120;

let cloud: LocalCloud;
let dataDir: string;
let base: string;
let documentClient: DynamoDBDocumentClient;
let s3: S3Client;

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function writeItems(store: string, items: { item: string; count: number }[]): Promise<void> {
  for (let start = 0; start < items.length; start += 25) {
    await documentClient.send(
      new BatchWriteCommand({
        RequestItems: {
          [cloud.tables.inventory]: items.slice(start, start + 25).map(({ item, count }) => ({
            PutRequest: {
              Item: {
                store,
                item,
                count,
                updatedAt: '2025-01-02T03:04:05.000Z',
                source: { bucket: cloud.endpoints.buckets.uploads, key: 'inventory/seed.csv', etag: '"x"' },
              },
            },
          })),
        },
      }),
    );
  }
}

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { headers, redirect: 'manual' });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'web-it-'));
  cloud = await startLocalCloud({ dataDir, inMemory: true, verbose: false, auth: 'none' });
  base = cloud.endpoints.endpoints.http;
  const clients = clientsFor(cloud);
  documentClient = clients.documents;
  s3 = clients.s3;
  await writeItems(
    STORE,
    Array.from({ length: ITEMS }, (_, index) => ({
      item: `item-${String(index).padStart(3, '0')}`,
      count: index % 10 === 0 ? 0 : index,
    })),
  );
  await writeItems(HOSTILE_STORE, [{ item: '=HYPERLINK("http://x","y")', count: 0 }]);
  await writeItems(PERCENT_STORE, [{ item: PERCENT_ITEM, count: 3 }]);
  // The summaries come from the stream consumer: wait until both stores are summarised.
  await poll('store summaries', async () => {
    const [a, b] = await Promise.all(
      [STORE, HOSTILE_STORE].map((store) =>
        documentClient.send(new GetCommand({ TableName: cloud.tables.storeSummaries, Key: { store } })),
      ),
    );
    return a?.Item?.itemCount === ITEMS && b?.Item ? true : undefined;
  });
  // As the thumbnails function writes them (shared/images/objects.ts).
  for (const key of [THUMBNAIL_KEY, GONE_KEY]) {
    await s3.send(
      new PutObjectCommand({
        Bucket: cloud.endpoints.buckets.thumbnails,
        Key: key,
        Body: THUMBNAIL_BYTES,
        ContentType: 'image/webp',
        CacheControl: THUMBNAIL_CACHE_CONTROL,
      }),
    );
  }
});

afterAll(async () => {
  await cloud?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('web through the local HTTP API, sign-in off', () => {
  it('answers /healthz', async () => {
    // Act
    const response = await get('/healthz');

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('renders the dashboard from the summaries, hostile names escaped, with security headers', async () => {
    // Act
    const response = await get('/');
    const html = await response.text();

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain(
      `form-action 'self' ${cloud.endpoints.endpoints.s3}`,
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toBeNull();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain(HOSTILE_STORE);
    expect(html).toMatch(/<a href="\/stores\/store-a">store-a<\/a><\/th>\s*<td class="num">120<\/td>/);
  });

  it('serves the stores as JSON with an ETag, and 304 when unchanged', async () => {
    // Act
    const first = await get('/api/stores');
    const body = (await first.json()) as { stores: unknown[] };
    const second = await get('/api/stores', { 'if-none-match': first.headers.get('etag') ?? '' });

    // Assess
    expect(first.status).toBe(200);
    expect(body.stores).toContainEqual(
      expect.objectContaining({ store: STORE, itemCount: ITEMS, outOfStockCount: 12 }),
    );
    expect(second.status).toBe(304);
    expect(await second.text()).toBe('');
  });

  it('filters, sorts and pages a store page through the query string', async () => {
    // Act
    const out = await get('/stores/store-a?status=out&sort=count');
    const outHtml = await out.text();
    const page3 = await (await get('/stores/store-a?page=3')).text();

    // Assess
    expect(out.status).toBe(200);
    expect(outHtml.match(/<tr class="status-out">/g)).toHaveLength(12);
    expect(outHtml).not.toContain('status-in');
    expect(page3).toContain('Page 3 of 3');
    expect(page3).toContain('<th scope="row"><a href="/stores/store-a/items/item-100">item-100</a></th>');
  });

  it('links an item’s thumbnail by its signed /thumbnails/ path, served from the bucket, not the function', async () => {
    // Prepare
    const page = await get('/stores/store-a');
    const html = await page.text();
    const link = html.match(/<img src="(\/thumbnails\/[^"]+)"/)?.[1]?.replaceAll('&amp;', '&') ?? '';
    const webCallsBefore = cloud.invocations('web').length;

    // Act
    const thumbnail = await get(link);
    const bytes = Buffer.from(await thumbnail.arrayBuffer());
    const again = await get(link, { 'if-none-match': thumbnail.headers.get('etag') ?? '' });
    const head = await fetch(`${base}${link}`, { method: 'HEAD' });

    // Assess
    expect(link).toMatch(/^\/thumbnails\/images\/item-001\.png\/200\.webp\?expires=\d+&signature=[\w-]+$/);
    expect(html).not.toContain('item-002.png');
    expect(page.headers.get('content-security-policy')).toContain(
      `img-src ${base}/thumbnails/ ${base}/assets/favicon.svg;`,
    );
    expect(thumbnail.status).toBe(200);
    expect(bytes.equals(THUMBNAIL_BYTES)).toBe(true);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    expect(thumbnail.headers.get('cache-control')).toBe(THUMBNAIL_CACHE_CONTROL);
    expect(thumbnail.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
    // The distribution's response headers policy.
    expect(thumbnail.headers.get('x-content-type-options')).toBe('nosniff');
    expect(thumbnail.headers.get('x-frame-options')).toBe('DENY');
    expect(thumbnail.headers.get('referrer-policy')).toBe('same-origin');
    expect(thumbnail.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(thumbnail.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(again.status).toBe(304);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/webp');
    // No image bytes through the web function: it was not even invoked.
    expect(cloud.invocations('web')).toHaveLength(webCallsBefore);
  });

  it('refuses a thumbnail link that is not one the web function signed', async () => {
    // Prepare
    const html = await (await get('/stores/store-a')).text();
    const [link, gone] = [...html.matchAll(/<img src="([^"]+)"/g)].map(
      (match) => new URL(match[1]?.replaceAll('&amp;', '&') ?? '', base),
    );
    if (!link || !gone) throw new Error('the store page links two thumbnails');
    const expires = Number(link.searchParams.get('expires'));
    const signature = link.searchParams.get('signature') ?? '';
    const variant = (path: string, query: string) => get(`${path}?${query}`);
    await s3.send(new DeleteObjectCommand({ Bucket: cloud.endpoints.buckets.thumbnails, Key: GONE_KEY }));

    // Act
    const refused = await Promise.all([
      get(link.pathname),
      variant(link.pathname, `expires=${expires}&signature=${signature.slice(1)}x`),
      variant(link.pathname, `expires=${expires + 3600}&signature=${signature}`),
      variant('/thumbnails/images/item-002.png/200.webp', `expires=${expires}&signature=${signature}`),
      variant(link.pathname, `expires=${Math.floor(Date.now() / 1000) - 1}&signature=${signature}`),
      fetch(`${base}${link.pathname}${link.search}`, { method: 'POST', headers: { origin: base } }),
      // Signed, but no longer there: S3 answers CloudFront's origin access 403, not 404.
      get(`${gone.pathname}${gone.search}`),
    ]);

    // Assess
    expect(gone.pathname).toBe(`/thumbnails/${GONE_KEY}`);
    for (const response of refused) {
      expect(response.status, response.url).toBe(403);
      expect(response.headers.get('cache-control') ?? '', response.url).not.toContain('max-age');
      expect(response.headers.get('content-type') ?? '', response.url).not.toMatch(/^image\//);
    }
  });

  it('pages the items API with opaque cursors and rejects a tampered one', async () => {
    // Prepare
    const seen: string[] = [];
    let cursor: string | null = null;

    // Act
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const response = await get(`/api/stores/store-a/items?limit=50&sort=count&order=desc${query}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { items: { item: string }[]; nextCursor: string | null };
      seen.push(...body.items.map((item) => item.item));
      cursor = body.nextCursor;
    } while (cursor);
    const tampered = await get('/api/stores/store-a/items?cursor=abc.def');

    // Assess
    expect(seen).toHaveLength(ITEMS);
    expect(new Set(seen).size).toBe(ITEMS);
    expect(tampered.status).toBe(400);
    expect(tampered.headers.get('content-type')).toBe('application/problem+json');
  });

  it('finds a store whose name needs percent-encoding', async () => {
    // Act
    const response = await get(`/api/stores/${encodeURIComponent(HOSTILE_STORE)}/items`);
    const body = (await response.json()) as { store: string; items: unknown[] };

    // Assess
    expect(response.status).toBe(200);
    expect(body.store).toBe(HOSTILE_STORE);
    expect(body.items[0]).toMatchObject({ item: '=HYPERLINK("http://x","y")', status: 'out' });
  });

  it('decodes a name once: a store named with a percent sign and two hex digits is found', async () => {
    // Act
    const api = await get(`/api/stores/${encodeURIComponent(PERCENT_STORE)}/items`);
    const body = (await api.json()) as { store: string; items: { item: string }[] };
    const page = await get(`/stores/${encodeURIComponent(PERCENT_STORE)}`);

    // Assess
    expect(api.status).toBe(200);
    expect(body.store).toBe(PERCENT_STORE);
    expect(body.items.map((item) => item.item)).toEqual([PERCENT_ITEM]);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(PERCENT_ITEM);
  });

  it('answers 400, 404, 405 and HEAD as specified', async () => {
    // Act
    const badPage = await get('/stores/store-a?status=nope');
    const missing = await get('/api/stores/nobody/items');
    // A browser sends Origin with a DELETE; without it the CSRF check would answer 403 first.
    const wrongMethod = await fetch(`${base}/api/stores`, { method: 'DELETE', headers: { origin: base } });
    const head = await fetch(`${base}/`, { method: 'HEAD' });

    // Assess
    expect(badPage.status).toBe(400);
    expect(badPage.headers.get('content-type')).toMatch(/^text\/html/);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('presigns an upload that lands in S3, triggers the import and shows its report', async () => {
    // Prepare
    const presign = await fetch(`${base}/api/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ kind: 'inventory', filename: 'web upload.csv', returnTo: '/imports' }),
    });
    const answer = (await presign.json()) as { url: string; fields: Record<string, string>; key: string };
    const form = new FormData();
    for (const [name, value] of Object.entries(answer.fields)) form.append(name, value);
    form.append(
      'file',
      new Blob(['store,item,count\nstore-web,bolt,7\nstore-web,nut,0\n']),
      'web upload.csv',
    );

    // Act
    const uploaded = await fetch(answer.url, { method: 'POST', body: form, redirect: 'manual' });

    // Assess
    expect(presign.status).toBe(200);
    expect(uploaded.status).toBe(303);
    // S3 appends bucket, key and etag to the redirect, as the real service does.
    expect(uploaded.headers.get('location')).toMatch(
      new RegExp(`^${base}/imports\\?uploaded=${encodeURIComponent(answer.key)}&bucket=`),
    );
    const item = await poll('the imported row', async () => {
      const found = await documentClient.send(
        new GetCommand({ TableName: cloud.tables.inventory, Key: { store: 'store-web', item: 'bolt' } }),
      );
      return found.Item;
    });
    expect(item.count).toBe(7);
    const report = await poll('the import report', async () => {
      const response = await get(`/api/imports?source=${encodeURIComponent(answer.key)}`);
      const body = (await response.json()) as {
        reports: { readable: boolean; report?: { status: string } }[];
      };
      return body.reports[0];
    });
    expect(report.readable).toBe(true);
    const imports = await (await get('/imports')).text();
    expect(imports).toContain(answer.key);
  });
});
