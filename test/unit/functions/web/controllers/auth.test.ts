import { describe, expect, it } from 'vitest';
import { CLIENT_ID, cookiesAfter, cookiesSetBy, startFakeProvider, USERS } from '../auth/fake-provider.ts';
import { useFakeProvider } from '../auth/signed-in-handler.ts';
import { type Captured, call, DASHBOARD_ORIGIN, httpEvent, makeHandler } from '../helpers.ts';

const fake = useFakeProvider();
const { signedInHandler } = fake;

/** Plays the provider's login page: the user signs in and is sent back with a code. */
async function signInThroughProvider(handler: ReturnType<typeof makeHandler>['handler'], returnTo: string) {
  const login = await call(handler, httpEvent('GET', `/auth/login?returnTo=${encodeURIComponent(returnTo)}`));
  const authorize = new URL(login.headers.location ?? '');
  const code = fake.provider().issueCode(USERS.manager, {
    nonce: authorize.searchParams.get('nonce') ?? '',
    codeChallenge: authorize.searchParams.get('code_challenge') ?? '',
    redirectUri: authorize.searchParams.get('redirect_uri') ?? '',
  });
  const state = authorize.searchParams.get('state') ?? '';
  const callback = await call(
    handler,
    httpEvent('GET', `/auth/callback?code=${code}&state=${state}`, { cookies: cookiesAfter(login) }),
  );
  return { login, authorize, callback };
}

describe('GET /auth/login', () => {
  it('sends the browser to the provider with state, nonce and a PKCE challenge kept in a short cookie', async () => {
    // Prepare
    const { handler } = signedInHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/auth/login?returnTo=%2Fstores%2FBerlin'));

    // Assess
    expect(response.statusCode).toBe(302);
    const location = new URL(response.headers.location ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${fake.provider().issuer}/authorize`);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${DASHBOARD_ORIGIN}/auth/callback`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    for (const name of ['state', 'nonce', 'code_challenge']) {
      expect(location.searchParams.get(name)).toMatch(/^[\w-]{43,}$/);
    }
    const cookie = cookiesSetBy(response).get('stockroom_signin');
    expect(cookie?.attributes).toEqual(['Path=/auth', 'HttpOnly', 'Secure', 'SameSite=Lax', 'Max-Age=600']);
    // The verifier stays with the browser: only its hash goes to the provider.
    expect(cookie?.value).not.toContain(location.searchParams.get('code_challenge'));
  });
});

describe('a provider that cannot be reached', () => {
  it('makes the sign-in a 503 that asks to try again, logged, and keeps signed-out pages redirecting', async () => {
    // Prepare: port 9 (discard) on the loopback has nothing listening.
    const captured: Captured = { errors: [] };
    const auth = { mode: 'oidc' as const, issuer: 'http://127.0.0.1:9', clientId: CLIENT_ID };
    const { handler } = makeHandler({ config: { auth }, captured });

    // Act
    const login = await call(handler, httpEvent('GET', '/auth/login'));
    const page = await call(handler, httpEvent('GET', '/'));

    // Assess
    expect(login.statusCode).toBe(503);
    expect(login.headers['retry-after']).toBe('5');
    expect(login.body).toContain('The sign-in service cannot be reached right now');
    expect(captured.errors).toHaveLength(1);
    expect(page.statusCode).toBe(302);
  });
});

describe('GET /auth/callback', () => {
  it('exchanges the code, sets the session cookies and lands on the page asked for', async () => {
    // Prepare
    const { handler } = signedInHandler();

    // Act
    const { callback } = await signInThroughProvider(handler, '/stores/Berlin?status=out');
    const dashboard = await call(handler, httpEvent('GET', '/', { cookies: cookiesAfter(callback) }));

    // Assess
    expect(callback.statusCode).toBe(302);
    expect(callback.headers.location).toBe('/stores/Berlin?status=out');
    const cookies = cookiesSetBy(callback);
    for (const name of ['stockroom_id', 'stockroom_access', 'stockroom_refresh']) {
      expect(cookies.get(name)?.attributes).toEqual(['Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']);
      expect(cookies.get(name)?.value.length).toBeGreaterThan(10);
    }
    expect(cookies.get('stockroom_signin')?.attributes).toContain('Max-Age=0');
    for (const cookie of callback.cookies ?? []) expect(Buffer.byteLength(cookie)).toBeLessThan(4096);
    const exchange = fake.provider().tokenRequests.at(-1);
    expect(exchange?.get('grant_type')).toBe('authorization_code');
    expect(exchange?.get('code_verifier')).toMatch(/^[\w-]{43,}$/);
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('Signed in as <strong>manager@stockroom.test</strong>');
  });

  it('leads back only to a path on this site', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const elsewhere = ['https://evil.test/', '//evil.test/x', '/\\evil.test', 'javascript:alert(1)'];

    // Act
    const landings = [];
    for (const returnTo of elsewhere)
      landings.push((await signInThroughProvider(handler, returnTo)).callback);

    // Assess
    expect(landings.map((landing) => landing.headers.location)).toEqual(['/', '/', '/', '/']);
  });

  it('refuses a callback whose state is not the one the sign-in started with, or without its cookie', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const login = await call(handler, httpEvent('GET', '/auth/login'));

    // Act
    const forged = await call(
      handler,
      httpEvent('GET', '/auth/callback?code=abc&state=forged', { cookies: cookiesAfter(login) }),
    );
    const withoutCookie = await call(handler, httpEvent('GET', '/auth/callback?code=abc&state=x'));

    // Assess
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain('Sign-in failed');
    expect(cookiesSetBy(forged).has('stockroom_id')).toBe(false);
    expect(withoutCookie.statusCode).toBe(400);
    expect(withoutCookie.body).toContain('Sign-in expired');
  });
});

describe('POST /auth/logout', () => {
  it('revokes the refresh token, clears the session and ends the provider’s session', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const session = fake.provider().sessionCookies(USERS.viewer);
    const refreshToken = session[2]?.split('=')[1];

    // Act
    const response = await call(handler, httpEvent('POST', '/auth/logout', { cookies: session }));

    // Assess
    expect(response.statusCode).toBe(302);
    const location = new URL(response.headers.location ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${fake.provider().issuer}/session/end`);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${DASHBOARD_ORIGIN}/`);
    expect(location.searchParams.get('id_token_hint')).toBe(session[0]?.split('=')[1]);
    expect(fake.provider().revoked).toContain(refreshToken);
    const cookies = cookiesSetBy(response);
    for (const name of ['stockroom_id', 'stockroom_access', 'stockroom_refresh']) {
      expect(cookies.get(name)?.attributes).toContain('Max-Age=0');
    }
  });

  it('uses the configured logout URL when discovery has no end-session endpoint (Cognito)', async () => {
    // Prepare
    const cognitoLike = await startFakeProvider({ revocation: false, endSession: false });
    const logoutUrl = 'https://stockroom.auth.eu-west-1.amazoncognito.com/logout';
    const { handler } = makeHandler({ config: { auth: { ...cognitoLike.authConfig, logoutUrl } } });

    // Act
    const response = await call(
      handler,
      httpEvent('POST', '/auth/logout', { cookies: cognitoLike.sessionCookies(USERS.viewer) }),
    );
    await cognitoLike.close();

    // Assess
    expect(response.headers.location).toBe(
      `${logoutUrl}?client_id=${CLIENT_ID}&logout_uri=${encodeURIComponent(`${DASHBOARD_ORIGIN}/`)}`,
    );
    expect(cognitoLike.revoked).toEqual([]);
    expect(response.headers['content-security-policy']).toContain(
      'https://stockroom.auth.eu-west-1.amazoncognito.com',
    );
  });
});

describe('the sign-in routes with AUTH_MODE=none', () => {
  it('only lead back: to the page asked for, or to the dashboard', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const login = await call(handler, httpEvent('GET', '/auth/login?returnTo=%2Fimports'));
    const callback = await call(handler, httpEvent('GET', '/auth/callback?code=x&state=y'));
    const logout = await call(handler, httpEvent('POST', '/auth/logout'));

    // Assess
    expect([login, callback, logout].map((response) => response.statusCode)).toEqual([302, 302, 302]);
    expect([login, callback, logout].map((response) => response.headers.location)).toEqual([
      '/imports',
      '/',
      '/',
    ]);
    expect(logout.cookies).toBeUndefined();
  });
});
