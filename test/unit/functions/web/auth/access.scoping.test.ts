import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler, storeSummary } from '../helpers.ts';
import { type FakeProvider, startFakeProvider, USERS } from './fake-provider.ts';

/**
 * A user in `store:Berlin` sees Berlin only: on the dashboard, the store pages, the JSON API
 * and the thumbnail links (of items on Berlin's pages); a store outside the scope is a 404 exactly like a
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
  // Thumbnails of both items; only the widget is on a Berlin page.
  mockClient(made.clients.s3)
    .on(ListObjectsV2Command)
    .resolves({ Contents: [{ Key: 'images/widget/200.webp' }, { Key: 'images/gadget/200.webp' }] });
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

  it('links thumbnails only of the items on a store page the user may see', async () => {
    // Prepare
    const { handler } = scopedHandler();

    // Act
    const berlin = await call(handler, httpEvent('GET', '/stores/Berlin', as('berlin')));
    const paris = await call(handler, httpEvent('GET', '/stores/Paris', as('berlin')));
    const thumbnailLinks = (html: string) =>
      [...html.matchAll(/src="(\/thumbnails\/[^"?]+)/g)].map((m) => m[1]);

    // Assess
    expect(thumbnailLinks(berlin.body)).toEqual(['/thumbnails/images/widget/200.webp']);
    expect(paris.statusCode).toBe(404);
    expect(thumbnailLinks(paris.body)).toEqual([]);
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
