import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler, storeSummary } from '../helpers.ts';
import { cookiesSetBy, type FakeProvider, startFakeProvider, USERS } from './fake-provider.ts';

let provider: FakeProvider;

beforeAll(async () => {
  provider = await startFakeProvider();
});

afterEach(() => {
  provider.tokenLifetimeSeconds = 3600;
});

afterAll(async () => {
  await provider.close();
});

function signedInHandler() {
  const made = makeHandler({ config: { auth: provider.authConfig } });
  mockClient(made.clients.documentClient)
    .on(ScanCommand)
    .resolves({ Items: [storeSummary('Berlin', 3)] })
    .on(QueryCommand)
    .resolves({ Items: [] });
  return made;
}

/** Flips one character in the middle of a JWT's payload: the signature no longer matches. */
function tampered(token: string): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const middle = Math.floor(payload.length / 2);
  const flipped = payload[middle] === 'A' ? 'B' : 'A';
  return [header, `${payload.slice(0, middle)}${flipped}${payload.slice(middle + 1)}`, signature].join('.');
}

const refreshGrants = () =>
  provider.tokenRequests.filter((form) => form.get('grant_type') === 'refresh_token');

describe('the session cookies', () => {
  it('let a signed-in user in without asking the provider anything but its keys', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const before = provider.tokenRequests.length;

    // Act
    const response = await call(
      handler,
      httpEvent('GET', '/', { cookies: provider.sessionCookies(USERS.viewer) }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.cookies).toBeUndefined();
    expect(provider.tokenRequests.length).toBe(before);
  });

  it('refuse an edited ID token, clearing the session', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const [idCookie = '', ...rest] = provider.sessionCookies(USERS.viewer);
    const [name, token = ''] = idCookie.split('=');
    const otherIssuer = provider.idToken(USERS.viewer, { iss: 'https://evil.test' });

    // Act
    const edited = await call(
      handler,
      httpEvent('GET', '/', { cookies: [`${name}=${tampered(token)}`, ...rest] }),
    );
    const foreign = await call(
      handler,
      httpEvent('GET', '/', { cookies: [`${name}=${otherIssuer}`, ...rest] }),
    );
    const api = await call(
      handler,
      httpEvent('GET', '/api/stores', { cookies: [`${name}=${tampered(token)}`] }),
    );

    // Assess
    expect(edited.statusCode).toBe(302);
    expect(edited.headers.location).toBe('/auth/login?returnTo=%2F');
    expect(cookiesSetBy(edited).get('stockroom_refresh')?.attributes).toContain('Max-Age=0');
    expect(foreign.statusCode).toBe(302);
    expect(api.statusCode).toBe(401);
  });

  it('refuse an expired ID token when there is no refresh token', async () => {
    // Prepare
    const { handler } = signedInHandler();
    provider.tokenLifetimeSeconds = -60;
    const [idCookie = ''] = provider.sessionCookies(USERS.viewer);

    // Act
    const response = await call(handler, httpEvent('GET', '/stores/Berlin', { cookies: [idCookie] }));

    // Assess
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/auth/login?returnTo=%2Fstores%2FBerlin');
  });

  it('are refreshed shortly before the ID token expires, the new tokens set on the answer', async () => {
    // Prepare
    const { handler } = signedInHandler();
    provider.tokenLifetimeSeconds = 60;
    const session = provider.sessionCookies(USERS.viewer);
    provider.tokenLifetimeSeconds = 3600;
    const grants = refreshGrants().length;

    // Act
    const response = await call(handler, httpEvent('GET', '/api/stores', { cookies: session }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(refreshGrants().length).toBe(grants + 1);
    const cookies = cookiesSetBy(response);
    expect(cookies.get('stockroom_id')?.value).not.toBe(session[0]?.split('=')[1]);
    expect(cookies.get('stockroom_access')?.attributes).toEqual([
      'Path=/',
      'HttpOnly',
      'Secure',
      'SameSite=Lax',
    ]);
    // Like Cognito, the provider keeps the refresh token: its cookie is left as it is.
    expect(cookies.has('stockroom_refresh')).toBe(false);
  });

  it('are refreshed when the ID token has expired, and cleared when the provider refuses the refresh', async () => {
    // Prepare
    const { handler } = signedInHandler();
    provider.tokenLifetimeSeconds = -60;
    const [idCookie = '', accessCookie = '', refreshCookie = ''] = provider.sessionCookies(USERS.viewer);
    provider.tokenLifetimeSeconds = 3600;

    // Act
    const refreshed = await call(
      handler,
      httpEvent('GET', '/', { cookies: [idCookie, accessCookie, refreshCookie] }),
    );
    const revoked = await call(
      handler,
      httpEvent('GET', '/', { cookies: [idCookie, accessCookie, 'stockroom_refresh=not-a-known-token'] }),
    );

    // Assess
    expect(refreshed.statusCode).toBe(200);
    expect(cookiesSetBy(refreshed).has('stockroom_id')).toBe(true);
    expect(revoked.statusCode).toBe(302);
    expect(cookiesSetBy(revoked).get('stockroom_id')?.attributes).toContain('Max-Age=0');
  });
});

describe('a bearer token', () => {
  it('is accepted on the JSON API as the user it was issued to', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const token = provider.accessToken(USERS.viewer);

    // Act
    const response = await call(
      handler,
      httpEvent('GET', '/api/stores', { headers: { authorization: `Bearer ${token}` } }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).stores).toHaveLength(1);
    expect(response.headers['cache-control']).toBe('private, no-cache');
  });

  it('is refused when it is edited, expired, an ID token, or issued to another client', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const good = provider.accessToken(USERS.viewer);
    provider.tokenLifetimeSeconds = -60;
    const expired = provider.accessToken(USERS.viewer);
    provider.tokenLifetimeSeconds = 3600;
    const refused = [
      tampered(good),
      expired,
      provider.idToken(USERS.viewer),
      provider.accessToken(USERS.viewer, { client_id: 'another-client' }),
      'not-a-jwt',
    ];

    // Act
    const responses = await Promise.all(
      refused.map((token) =>
        call(handler, httpEvent('GET', '/api/stores', { headers: { authorization: `Bearer ${token}` } })),
      ),
    );

    // Assess
    for (const response of responses) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
  });
});
