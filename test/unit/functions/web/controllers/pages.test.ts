import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedThumbnailLink } from '../../../../../functions/web/thumbnail-links.ts';
import { type FakeProvider, startFakeProvider, USERS } from '../auth/fake-provider.ts';
import { body, call, httpEvent, makeHandler, TEST_EDGE_SECRET } from '../helpers.ts';

let provider: FakeProvider;

beforeAll(async () => {
  provider = await startFakeProvider();
});

afterAll(async () => {
  await provider.close();
});

const HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '=HYPERLINK("http://x","y")'];

function summary(store: string) {
  return { store, itemCount: 2, totalUnits: 7, outOfStockCount: 1, computedAt: '2025-01-01T00:00:00.000Z' };
}

describe('the pages', () => {
  it('renders hostile store names on the dashboard as text', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient)
      .on(ScanCommand)
      .resolves({ Items: HOSTILE.map(summary) })
      .on(QueryCommand)
      .resolves({ Items: [] });

    // Act
    const response = await call(handler, httpEvent('GET', '/'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('<script>alert(1)</script>');
    expect(response.body).not.toContain('<img src=x');
    expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(response.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(response.body).toContain('=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)');
    // Links to the store page encode the name as one path segment.
    expect(response.body).toContain(`href="/stores/${encodeURIComponent(HOSTILE[0] as string)}"`);
  });

  it('renders hostile store and item names and sources on the store page as text', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient)
      .on(QueryCommand)
      .resolves({
        Items: HOSTILE.map((item, index) => ({
          item,
          count: index,
          updatedAt: '2025-01-02T03:04:05.000Z',
          source: { bucket: 'uploads', key: `inventory/${item}.csv` },
        })),
      });
    mockClient(clients.s3).on(ListObjectsV2Command).resolves({});

    // Act
    const response = await call(handler, httpEvent('GET', `/stores/${encodeURIComponent('<script>x')}`));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Store <span class="name">&lt;script&gt;x</span>');
    expect(response.body).not.toMatch(/<script>(alert|x)/);
    expect(response.body).not.toContain('<img src=x');
    expect(response.body).toContain('=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)');
  });

  it('links the thumbnails of the items on the page, signed, by their path on the distribution', async () => {
    // Prepare
    const now = new Date('2025-03-04T05:06:07Z');
    const { handler, clients } = makeHandler({ now: () => now });
    mockClient(clients.documentClient)
      .on(QueryCommand, { TableName: 'history' })
      .resolves({ Items: [] })
      .on(QueryCommand, { TableName: 'inventory' })
      .resolves({
        Items: Array.from({ length: 60 }, (_, index) => ({
          item: `item-${String(index).padStart(2, '0')}`,
          count: 1,
        })),
      });
    mockClient(clients.s3)
      .on(ListObjectsV2Command)
      .resolves({
        Contents: [
          { Key: 'images/item-01.png/200.webp' },
          { Key: 'images/item-01.png/400.webp' },
          { Key: 'images/item-02/100.webp' },
          // On the second page: no link to it on the first.
          { Key: 'images/item-55.png/200.webp' },
        ],
      });

    // Act
    const response = await call(handler, httpEvent('GET', '/stores/s1'));
    const links = [...response.body.matchAll(/<img src="([^"]+)"/g)].map((match) =>
      match[1]?.replaceAll('&amp;', '&'),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(links).toEqual([
      signedThumbnailLink('images/item-01.png/200.webp', TEST_EDGE_SECRET, now),
      // The widest there is when none is 200 px wide.
      signedThumbnailLink('images/item-02/100.webp', TEST_EDGE_SECRET, now),
    ]);
    expect(response.body).not.toContain('item-55.png');
    // No image is served through the function (item links go to item pages, not to images).
    expect(response.body).not.toMatch(/<img src="[^"]*\/items\//);
  });

  it('shows the upload forms to managers only, carrying the session’s access token when signed in', async () => {
    // Prepare
    const open = makeHandler();
    const signedIn = makeHandler({ config: { auth: provider.authConfig } });
    mockClient(open.clients.documentClient).on(ScanCommand).resolves({ Items: [] });
    mockClient(signedIn.clients.documentClient).on(ScanCommand).resolves({ Items: [] });
    const manager = provider.sessionCookies(USERS.manager);
    const managerAccessToken = manager[1]?.split('=')[1];

    // Act
    const openPage = await call(open.handler, httpEvent('GET', '/'));
    const managerPage = await call(signedIn.handler, httpEvent('GET', '/', { cookies: manager }));
    const viewerPage = await call(
      signedIn.handler,
      httpEvent('GET', '/', { cookies: provider.sessionCookies(USERS.viewer) }),
    );

    // Assess
    expect(openPage.body).toContain('data-upload="inventory"');
    expect(openPage.body).not.toContain('data-access-token');
    expect(openPage.body).toContain('Sign-in is off (local)');
    expect(managerPage.body).toContain('data-upload="inventory"');
    expect(managerPage.body).toContain(`data-access-token="${managerAccessToken}"`);
    expect(managerPage.body).toContain('<form method="post" action="/auth/logout">');
    expect(managerPage.headers['cache-control']).toBe('private, no-cache');
    expect(viewerPage.statusCode).toBe(200);
    expect(viewerPage.body).toContain('Signed in as <strong>viewer@stockroom.test</strong>');
    expect(viewerPage.body).not.toContain('data-upload');
  });

  it('shows rejected rows of an import report readably and a malformed report as unreadable', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    const s3 = mockClient(clients.s3);
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'reports/inventory/inventory/a.csv.json', LastModified: new Date('2025-01-02T00:00:00Z') },
        { Key: 'reports/inventory/inventory/b.csv.json', LastModified: new Date('2025-01-01T00:00:00Z') },
      ],
    });
    s3.on(GetObjectCommand, { Key: 'reports/inventory/inventory/a.csv.json' }).resolves({
      Body: body(
        JSON.stringify({
          source: { bucket: 'uploads', key: 'inventory/a.csv' },
          status: 'completed_with_errors',
          rowsRead: 3,
          rowsImported: 1,
          rowsRejected: 2,
          duplicates: 0,
          errors: [
            { line: 2, reason: 'count must be a whole number ≥ 0, got "<b>-1</b>"' },
            { line: 3, reason: 'store is empty' },
          ],
          errorsTotal: 2,
          errorsTruncated: false,
          somethingNew: true,
        }),
      ),
    });
    s3.on(GetObjectCommand, { Key: 'reports/inventory/inventory/b.csv.json' }).resolves({
      Body: body('{"status":'),
    });

    // Act
    const page = await call(handler, httpEvent('GET', '/imports'));
    const api = await call(handler, httpEvent('GET', '/api/imports'));

    // Assess
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Completed with rejected rows');
    expect(page.body).toContain('count must be a whole number ≥ 0, got &quot;&lt;b&gt;-1&lt;/b&gt;&quot;');
    expect(page.body).toMatch(/<td class="num">3<\/td><td>store is empty<\/td>/);
    expect(page.body).toContain('Unreadable report');
    const reports = JSON.parse(api.body).reports;
    expect(reports.map((r: { readable: boolean }) => r.readable)).toEqual([true, false]);
  });
});
