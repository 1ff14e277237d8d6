import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controllers } from '../../functions/web/controllers.ts';
import { routeDefinitions } from '../../functions/web/routes.ts';
import type { LocalCloud } from '../../local/types.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';

/**
 * The sign-in through the local cloud with its OpenID provider (`auth: 'oidc'`, what `npm
 * start` runs): real redirects, the provider's own login page, its tokens verified by the web
 * function as Cognito's are on AWS. (A process runs one local cloud, so this is a file of
 * its own, apart from web.test.ts and its cloud without sign-in.)
 */

let cloud: LocalCloud;
let base: string;
let clients: TestClients;

async function writeItems(store: string, items: { item: string; count: number }[]): Promise<void> {
  const requests = items.map((item) => ({ PutRequest: { Item: { store, ...item } } }));
  await clients.documents.send(
    new BatchWriteCommand({ RequestItems: { [cloud.tables.inventory]: requests } }),
  );
}

/** Cookies by name, per site: enough of a browser's jar for the sign-in's redirects. */
type Jar = Map<string, string>;

function keep(jar: Jar, response: Response): void {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair = ''] = cookie.split(';');
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator);
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(cookie)) jar.delete(name);
    else jar.set(name, pair.slice(separator + 1));
  }
}

const cookieHeader = (jar: Jar) => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');

/**
 * Signs in as a browser would, through the local OpenID provider's login page: the dashboard
 * sends it to the provider, the form takes the e-mail and password, the provider sends it back
 * with a code. Returns the dashboard's cookies (the session) and where the sign-in landed.
 */
async function signInAs(email: string, returnTo = '/'): Promise<{ session: Jar; landing: string }> {
  const session: Jar = new Map();
  const providerJar: Jar = new Map();
  const visit = async (url: string, init: RequestInit = {}) => {
    const jar = url.startsWith(base) ? session : providerJar;
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader(jar) },
    });
    keep(jar, response);
    return response;
  };
  let response = await visit(`${base}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  let url = '';
  for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
    url = new URL(response.headers.get('location') ?? '', url || base).href;
    if (url.startsWith(`${base}/`) && !url.startsWith(`${base}/auth/`)) return { session, landing: url };
    response = await visit(url);
    if (response.status === 200 && url.includes('/interaction/')) {
      const form = new URLSearchParams({ login: email, password: 'stockroom-local' });
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      response = await visit(url, { method: 'POST', body: form.toString(), headers });
    }
  }
  throw new Error(
    `the sign-in of ${email} did not come back to the dashboard (last: ${response.status} ${url})`,
  );
}

/** Every route of the router: the controllers are not called, any function will do. */
const ROUTES = routeDefinitions(
  new Proxy({}, { get: () => async () => ({ statusCode: 200, headers: {}, body: '' }) }) as Controllers,
);

describe('web through the local HTTP API, signed in with the local OpenID provider', () => {
  const PARIS_ONLY = 'paris-lamp';

  beforeAll(async () => {
    cloud = await startTestCloud({ auth: 'oidc' });
    base = cloud.endpoints.endpoints.http;
    clients = clientsFor(cloud);
    await writeItems('Berlin', [{ item: 'bolt', count: 4 }]);
    await writeItems('Paris', [{ item: PARIS_ONLY, count: 2 }]);
    await eventually(
      async () => {
        const found = await Promise.all(
          ['Berlin', 'Paris'].map((store) =>
            clients.documents.send(
              new GetCommand({ TableName: cloud.tables.storeSummaries, Key: { store } }),
            ),
          ),
        );
        return found.every((summary) => summary.Item) ? true : undefined;
      },
      { what: 'store summaries' },
    );
    for (const item of ['bolt', PARIS_ONLY]) {
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: cloud.endpoints.buckets.thumbnails,
          Key: `images/${item}.png/200.webp`,
          Body: Buffer.from('RIFF0000WEBPVP8 fake'),
          ContentType: 'image/webp',
        }),
      );
    }
  });

  afterAll(async () => {
    await cloud?.stop();
  });

  it('answers every route of the router, signed out, with 302 to the sign-in or 401, but the public ones', async () => {
    for (const route of ROUTES) {
      // Prepare
      const path = route.path.replace('{store}', 'Berlin').replace('{item}', 'bolt');
      const init =
        route.method === 'POST'
          ? { headers: { origin: base, 'content-type': 'application/json' }, body: '{}' }
          : {};

      // Act
      const response = await fetch(`${base}${path}`, { method: route.method, redirect: 'manual', ...init });

      // Assess
      const what = `${route.method} ${route.path}`;
      expect(route.access, `${what} has no rule`).toBeDefined();
      if (route.access === 'anyone') {
        expect(response.status, what).not.toBe(401);
        expect(response.headers.get('location') ?? '', what).not.toMatch(/^\/auth\/login/);
      } else if (path.startsWith('/api/')) {
        expect(response.status, what).toBe(401);
        expect(response.headers.get('www-authenticate'), what).toBe('Bearer');
      } else {
        expect(response.status, what).toBe(302);
        expect(response.headers.get('location'), what).toBe(
          `/auth/login?returnTo=${encodeURIComponent(path)}`,
        );
      }
    }
  });

  it('signs a viewer in through the provider’s login page, back on the page asked for, read-only', async () => {
    // Act
    const { session, landing } = await signInAs('viewer@stockroom.local', '/stores/Berlin');
    const page = await fetch(landing, { headers: { cookie: cookieHeader(session) }, redirect: 'manual' });
    const html = await page.text();
    const upload = await fetch(`${base}/api/uploads`, {
      method: 'POST',
      headers: { cookie: cookieHeader(session), origin: base, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'inventory', filename: 'a.csv' }),
    });

    // Assess
    expect(landing).toBe(`${base}/stores/Berlin`);
    expect(page.status).toBe(200);
    expect(html).toContain('Signed in as <strong>viewer@stockroom.local</strong>');
    expect(html).not.toContain('data-upload');
    expect(upload.status).toBe(403);
  });

  it('lets a manager upload with the access token the page hands its script, and an API call with it', async () => {
    // Prepare
    const { session } = await signInAs('manager@stockroom.local');
    const html = await (await fetch(`${base}/`, { headers: { cookie: cookieHeader(session) } })).text();
    const token = html.match(/data-access-token="([^"]+)"/)?.[1] ?? '';

    // Act
    const upload = await fetch(`${base}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'inventory', filename: 'a.csv' }),
    });
    const stores = await fetch(`${base}/api/stores`, { headers: { authorization: `Bearer ${token}` } });

    // Assess
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(upload.status).toBe(200);
    expect(stores.status).toBe(200);
  });

  it('hides other stores from a store-scoped user on pages, the API and thumbnail links', async () => {
    // Prepare
    const { session } = await signInAs('berlin@stockroom.local');
    const as = { headers: { cookie: cookieHeader(session) }, redirect: 'manual' as const };

    // Act
    const dashboard = await (await fetch(`${base}/`, as)).text();
    const berlin = await (await fetch(`${base}/stores/Berlin`, as)).text();
    const paris = await fetch(`${base}/stores/Paris`, as);
    const api = (await (await fetch(`${base}/api/stores`, as)).json()) as { stores: { store: string }[] };
    const parisItems = await fetch(`${base}/api/stores/Paris/items`, as);
    const links = [...berlin.matchAll(/<img src="([^"]+)"/g)].map(
      (m) => m[1]?.replaceAll('&amp;', '&') ?? '',
    );
    const bolt = await fetch(`${base}${links[0]}`);
    // The bolt's signature does not open the lamp's thumbnail, signed in or not.
    const lamp = await fetch(`${base}${links[0]?.replace('bolt', PARIS_ONLY)}`, as);

    // Assess
    expect(dashboard).toContain('href="/stores/Berlin"');
    expect(dashboard).not.toContain('Paris');
    expect(paris.status).toBe(404);
    expect(api.stores.map((store) => store.store)).toEqual(['Berlin']);
    expect(parisItems.status).toBe(404);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^\/thumbnails\/images\/bolt\.png\/200\.webp\?/);
    expect(berlin).not.toContain(PARIS_ONLY);
    expect(bolt.status).toBe(200);
    expect(lamp.status).toBe(403);
  });

  it('refuses /thumbnails/* without a signed link, whatever the session', async () => {
    // Prepare
    const { session } = await signInAs('manager@stockroom.local');

    // Act
    const signedIn = await fetch(`${base}/thumbnails/images/bolt.png/200.webp`, {
      headers: { cookie: cookieHeader(session) },
    });
    const signedOut = await fetch(`${base}/thumbnails/images/bolt.png/200.webp`);

    // Assess
    expect(signedIn.status).toBe(403);
    expect(signedOut.status).toBe(403);
  });

  it('signs out: the refresh token is revoked, the cookies cleared, the provider’s session ended', async () => {
    // Prepare
    const { session } = await signInAs('viewer@stockroom.local');
    const refreshOnly = `stockroom_refresh=${session.get('stockroom_refresh')}`;

    // Act
    const signOut = await fetch(`${base}/auth/logout`, {
      method: 'POST',
      headers: { cookie: cookieHeader(session), origin: base },
      redirect: 'manual',
    });
    const cleared: Jar = new Map(session);
    keep(cleared, signOut);
    const withRevokedToken = await fetch(`${base}/`, {
      headers: { cookie: refreshOnly },
      redirect: 'manual',
    });

    // Assess
    expect(signOut.status).toBe(302);
    expect(signOut.headers.get('location')).toMatch(new RegExp(`^${cloud.endpoints.endpoints.oidc}/`));
    expect([...cleared.keys()].filter((name) => name.startsWith('stockroom_'))).toEqual([]);
    expect(withRevokedToken.status).toBe(302);
  });
});
