import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, call, httpEvent, makeHandler, storeSummary } from '../helpers.ts';
import { type FakeProvider, startFakeProvider, USERS } from './fake-provider.ts';

/**
 * A user in `store:Berlin` sees Berlin only: on the dashboard, the store pages, the JSON API
 * and the thumbnails (of items Berlin has); a store outside the scope is a 404 exactly like a
 * store that does not exist. Import reports, which list every store's rows, are refused.
 */

let provider: FakeProvider;

beforeAll(async () => {
  provider = await startFakeProvider();
});

afterAll(async () => {
  await provider.close();
});

function scopedHandler() {
  const made = makeHandler({ config: { auth: provider.authConfig } });
  const dynamo = mockClient(made.clients.documentClient);
  dynamo.on(ScanCommand).resolves({ Items: [storeSummary('Berlin', 2), storeSummary('Paris', 5)] });
  dynamo.on(QueryCommand).resolves({ Items: [{ item: 'widget', count: 3 }] });
  // Berlin has the widget but not the gadget (a key lookup of (store, item)).
  dynamo
    .on(QueryCommand, { ExpressionAttributeValues: { ':store': 'Berlin', ':item': 'gadget' } })
    .resolves({ Items: [] });
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':store': 'Atlantis' } }).resolves({ Items: [] });
  const s3 = mockClient(made.clients.s3);
  s3.on(ListObjectsV2Command).resolves({});
  for (const item of ['widget', 'gadget']) {
    s3.on(ListObjectsV2Command, { Prefix: `images/${item}/` }).resolves({
      Contents: [{ Key: `images/${item}/200.webp`, Size: 4, ETag: '"e"' }],
    });
  }
  s3.on(GetObjectCommand).resolves({ Body: body(new Uint8Array([1, 2, 3, 4])), ContentType: 'image/webp' });
  return made;
}

const as = (user: keyof typeof USERS) => ({ cookies: provider.sessionCookies(USERS[user]) });

describe('store scoping', () => {
  it('hides other stores from the dashboard and the stores API', async () => {
    // Prepare
    const { handler } = scopedHandler();

    // Act
    const page = await call(handler, httpEvent('GET', '/', as('berlin')));
    const api = await call(handler, httpEvent('GET', '/api/stores', as('berlin')));
    const unscoped = await call(handler, httpEvent('GET', '/api/stores', as('viewer')));

    // Assess
    expect(page.body).toContain('href="/stores/Berlin"');
    expect(page.body).not.toContain('Paris');
    expect(JSON.parse(api.body).stores.map((s: { store: string }) => s.store)).toEqual(['Berlin']);
    expect(JSON.parse(unscoped.body).stores).toHaveLength(2);
  });

  it('answers a store outside the scope exactly like a store that does not exist', async () => {
    // Prepare
    const { handler } = scopedHandler();

    // Act
    const paris = await call(handler, httpEvent('GET', '/stores/Paris', as('berlin')));
    const atlantis = await call(handler, httpEvent('GET', '/stores/Atlantis', as('viewer')));
    const parisApi = await call(handler, httpEvent('GET', '/api/stores/Paris/items', as('berlin')));
    const berlin = await call(handler, httpEvent('GET', '/stores/Berlin', as('berlin')));

    // Assess
    expect(paris.statusCode).toBe(404);
    expect(paris.body.replaceAll('Paris', 'Atlantis')).toBe(atlantis.body);
    expect(parisApi.statusCode).toBe(404);
    expect(JSON.parse(parisApi.body).detail).toBe('There is no store named “Paris” with items.');
    expect(berlin.statusCode).toBe(200);
    expect(berlin.body).toContain('widget');
  });

  it('serves thumbnails only of items one of the user’s stores has', async () => {
    // Prepare
    const { handler } = scopedHandler();

    // Act
    const widget = await call(handler, httpEvent('GET', '/items/widget/thumbnail', as('berlin')));
    const gadget = await call(handler, httpEvent('GET', '/items/gadget/thumbnail', as('berlin')));
    const unscoped = await call(handler, httpEvent('GET', '/items/gadget/thumbnail', as('viewer')));

    // Assess
    expect(widget.statusCode).toBe(200);
    expect(gadget.statusCode).toBe(404);
    expect(gadget.headers['content-type']).toBe('application/problem+json');
    expect(unscoped.statusCode).toBe(200);
  });

  it('refuses import reports to a scoped user, and hides their link', async () => {
    // Prepare
    const { handler } = scopedHandler();

    // Act
    const page = await call(handler, httpEvent('GET', '/imports', as('berlin')));
    const api = await call(handler, httpEvent('GET', '/api/imports', as('berlin')));
    const dashboard = await call(handler, httpEvent('GET', '/', as('berlin')));

    // Assess
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Import reports list rows of every store');
    expect(api.statusCode).toBe(403);
    expect(dashboard.body).not.toContain('href="/imports"');
  });

  it('lets a scoped manager upload photos of their stores’ items, but no inventory CSV', async () => {
    // Prepare
    const { handler } = scopedHandler();
    const upload = (request: unknown) =>
      httpEvent('POST', '/api/uploads', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        ...as('berlin'),
      });

    // Act
    const csv = await call(handler, upload({ kind: 'inventory', filename: 'stock.csv' }));
    const widget = await call(handler, upload({ kind: 'image', item: 'widget', contentType: 'image/png' }));
    const gadget = await call(handler, upload({ kind: 'image', item: 'gadget', contentType: 'image/png' }));
    const page = await call(handler, httpEvent('GET', '/', as('berlin')));

    // Assess
    expect(csv.statusCode).toBe(403);
    expect(widget.statusCode).toBe(200);
    expect(gadget.statusCode).toBe(403);
    expect(page.body).toContain('data-upload="image"');
    expect(page.body).not.toContain('data-upload="inventory"');
  });
});
