import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider, USERS } from '../auth/fake-provider.ts';
import { call, httpEvent, makeHandler } from '../helpers.ts';

let provider: FakeProvider;

beforeAll(async () => {
  provider = await startFakeProvider();
});

afterAll(async () => {
  await provider.close();
});

const uploadBody = JSON.stringify({ kind: 'inventory', filename: 'stock.csv' });

function post(path: string, headers: Record<string, string>, cookies: string[] = []) {
  return httpEvent('POST', path, {
    headers: { 'content-type': 'application/json', ...headers },
    body: uploadBody,
    withoutOrigin: true,
    cookies,
  });
}

describe('the CSRF check on every POST', () => {
  it('refuses a POST from another site, or one that names no origin at all', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const crossSite = await call(handler, post('/api/uploads', { origin: 'https://evil.test' }));
    const nullOrigin = await call(handler, post('/api/uploads', { origin: 'null' }));
    const noOrigin = await call(handler, post('/api/uploads', {}));
    const foreignReferer = await call(handler, post('/api/uploads', { referer: 'https://evil.test/page' }));

    // Assess
    for (const response of [crossSite, nullOrigin, noOrigin, foreignReferer]) {
      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
  });

  it('accepts the dashboard’s own origin, or its Referer when a browser sends no Origin', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const sameOrigin = await call(handler, post('/api/uploads', { origin: 'https://dashboard.test' }));
    const sameReferer = await call(
      handler,
      post('/api/uploads', { referer: 'https://dashboard.test/stores/a' }),
    );

    // Assess
    expect(sameOrigin.statusCode).toBe(200);
    expect(sameReferer.statusCode).toBe(200);
  });

  it('compares with PUBLIC_ORIGIN when it is set, not with the request’s domain', async () => {
    // Prepare
    const { handler } = makeHandler({ config: { publicOrigin: 'http://127.0.0.1:3000' } });

    // Act
    const local = await call(handler, post('/api/uploads', { origin: 'http://127.0.0.1:3000' }));
    const domain = await call(handler, post('/api/uploads', { origin: 'https://dashboard.test' }));

    // Assess
    expect(local.statusCode).toBe(200);
    expect(domain.statusCode).toBe(403);
  });

  it('refuses a cross-site sign-out, leaving the session alone', async () => {
    // Prepare
    const { handler } = makeHandler({ config: { auth: provider.authConfig } });
    const session = provider.sessionCookies(USERS.viewer);

    // Act
    const response = await call(handler, post('/auth/logout', { origin: 'https://evil.test' }, session));

    // Assess
    expect(response.statusCode).toBe(403);
    expect(response.cookies).toBeUndefined();
    expect(provider.revoked).toEqual([]);
  });

  it('does not check a request that carries a bearer token (no browser adds one by itself)', async () => {
    // Prepare
    const { handler } = makeHandler({ config: { auth: provider.authConfig } });
    const token = provider.accessToken(USERS.manager);

    // Act
    const script = await call(handler, post('/api/uploads', { authorization: `Bearer ${token}` }));

    // Assess
    expect(script.statusCode).toBe(200);
  });
});
