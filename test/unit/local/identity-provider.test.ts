import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IdentityProvider,
  LOCAL_CLIENT_ID,
  LOCAL_PASSWORD,
  startIdentityProvider,
} from '../../../local/identity-provider.ts';

/** The dashboard's origin: nothing listens there, the browser below stops when sent back to it. */
const DASHBOARD = 'http://127.0.0.1:3999';
const CALLBACK = `${DASHBOARD}/auth/callback`;

let provider: IdentityProvider;
let config: oidc.Configuration;

beforeAll(async () => {
  provider = await startIdentityProvider({ port: 0, dashboardOrigin: DASHBOARD, log: () => undefined });
  config = await oidc.discovery(new URL(provider.url), LOCAL_CLIENT_ID, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
});

afterAll(async () => {
  await provider?.stop();
});

/**
 * A browser, cut to what a sign-in needs: it follows redirects, keeps cookies and, on the
 * login page, fills in the labelled fields and submits the form. It stops when sent back
 * to the dashboard (the callback) or on a page it has nothing to do on.
 */
async function browse(
  start: URL | { url: URL; form: URLSearchParams },
  credentials?: { login: string; password: string },
  cookies = new Map<string, string>(),
) {
  let request: { url: URL; form?: URLSearchParams } = start instanceof URL ? { url: start } : start;
  for (let step = 0; step < 10; step += 1) {
    const response = await fetch(request.url, {
      method: request.form ? 'POST' : 'GET',
      body: request.form,
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [name = '', value = ''] = (cookie.split(';')[0] ?? '').split(/=(.*)/s);
      if (value) cookies.set(name, value);
      else cookies.delete(name);
    }
    const location = response.headers.get('location');
    if (location) {
      request = { url: new URL(location, request.url) };
      if (request.url.origin === DASHBOARD) return { landed: request.url };
      continue;
    }
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const labelled = /<label for="login">/.test(html) && /<label for="password">/.test(html);
    if (!credentials || request.form || !action || !labelled) return { status: response.status, html };
    request = { url: new URL(action, request.url), form: new URLSearchParams(credentials) };
  }
  throw new Error('Too many redirects');
}

async function authorizationRequest() {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  return { url, checks: { pkceCodeVerifier: verifier, expectedState: state } };
}

async function signIn(login: string, cookies = new Map<string, string>()) {
  const { url, checks } = await authorizationRequest();
  const { landed } = await browse(url, { login, password: LOCAL_PASSWORD }, cookies);
  if (!landed) throw new Error(`${login} was not sent back to the dashboard`);
  return oidc.authorizationCodeGrant(config, landed, checks);
}

function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe('the local OpenID provider', () => {
  it('publishes discovery with the endpoints the web function uses', () => {
    // Act
    const metadata = config.serverMetadata();

    // Assess
    expect(metadata.issuer).toBe(provider.url);
    expect(provider.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metadata.end_session_endpoint).toBe(`${provider.url}/session/end`);
    expect(metadata.revocation_endpoint).toBe(`${provider.url}/token/revocation`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.id_token_signing_alg_values_supported).toContain('RS256');
  });

  it('signs a manager in with code + PKCE: Cognito-like claims in RS256 ID and access tokens', async () => {
    // Act
    const tokens = await signIn('manager@stockroom.local');

    // Assess
    expect(tokens.claims()).toMatchObject({
      iss: provider.url,
      aud: LOCAL_CLIENT_ID,
      email: 'manager@stockroom.local',
      'cognito:groups': ['manager'],
      token_use: 'id',
    });
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(payloadOf(tokens.access_token)).toMatchObject({
      iss: provider.url,
      client_id: LOCAL_CLIENT_ID,
      scope: 'openid email profile',
      'cognito:groups': ['manager'],
      token_use: 'access',
      sub: tokens.claims()?.sub,
    });
    // The same verifier as on AWS, its JWKS fetched over plain HTTP locally.
    const jwksCache = new SimpleJwksCache({
      fetcher: { fetch: async (uri) => (await fetch(uri)).arrayBuffer() },
    });
    const issuer = { issuer: provider.url, jwksUri: config.serverMetadata().jwks_uri ?? '' };
    const idVerifier = JwtRsaVerifier.create({ ...issuer, audience: LOCAL_CLIENT_ID }, { jwksCache });
    const accessVerifier = JwtRsaVerifier.create({ ...issuer, audience: null }, { jwksCache });
    await expect(idVerifier.verify(tokens.id_token ?? '')).resolves.toMatchObject({ token_use: 'id' });
    await expect(accessVerifier.verify(tokens.access_token)).resolves.toMatchObject({ token_use: 'access' });
  });

  it('gives each seeded user their groups, and none at all to a user in no group (as Cognito)', async () => {
    // Act
    const berlin = await signIn('Berlin@stockroom.local');
    const nobody = await signIn('nobody@stockroom.local');
    const viewer = await signIn('viewer@stockroom.local');

    // Assess
    expect(berlin.claims()?.['cognito:groups']).toEqual(['manager', 'store:Berlin']);
    expect(viewer.claims()?.['cognito:groups']).toEqual(['viewer']);
    expect(nobody.claims()).not.toHaveProperty('cognito:groups');
    expect(payloadOf(nobody.access_token)).not.toHaveProperty('cognito:groups');
    expect(nobody.claims()?.email).toBe('nobody@stockroom.local');
  });

  it('refuses a wrong password and an unknown user on its login page', async () => {
    // Prepare
    const attempts = [
      { login: 'manager@stockroom.local', password: 'wrong' },
      { login: 'stranger@stockroom.local', password: LOCAL_PASSWORD },
    ];

    for (const credentials of attempts) {
      // Act
      const { url } = await authorizationRequest();
      const outcome = await browse(url, credentials);

      // Assess
      expect(outcome.landed).toBeUndefined();
      expect(outcome.status).toBe(401);
      expect(outcome.html).toContain('<p role="alert">Incorrect e-mail or password.</p>');
      expect(outcome.html).toContain('<input id="login" name="login"');
    }
  });

  it('refuses an authorization request without PKCE', async () => {
    // Prepare
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid' });

    // Act
    const outcome = await browse(url);

    // Assess
    expect(outcome.landed?.searchParams.get('error')).toBe('invalid_request');
    expect(outcome.landed?.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refreshes the tokens with the refresh token, until it is revoked', async () => {
    // Prepare
    const { refresh_token: refreshToken = '' } = await signIn('viewer@stockroom.local');

    // Act
    const refreshed = await oidc.refreshTokenGrant(config, refreshToken);
    await oidc.tokenRevocation(config, refreshToken);
    const afterRevocation = oidc.refreshTokenGrant(config, refreshToken);

    // Assess
    expect(refreshed.claims()).toMatchObject({ 'cognito:groups': ['viewer'], token_use: 'id' });
    // Not rotated, as on Cognito (which sends none back): the same refresh token goes on working.
    expect(refreshed.refresh_token).toBe(refreshToken);
    expect(payloadOf(refreshed.access_token)).toMatchObject({
      'cognito:groups': ['viewer'],
      token_use: 'access',
    });
    await expect(afterRevocation).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('keeps the browser signed in until it signs out, then signs out at once and returns to the dashboard', async () => {
    // Prepare
    const browser = new Map<string, string>();
    const { id_token: idToken = '' } = await signIn('manager@stockroom.local', browser);
    const again = await authorizationRequest();
    const signedIn = await browse(again.url, undefined, browser);
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: `${DASHBOARD}/`,
    });

    // Act
    const page = await browse(url, undefined, browser);
    const action =
      /<form id="op.logoutForm" method="post" action="([^"]+)">/.exec(page.html ?? '')?.[1] ?? '';
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.html ?? '')?.[1] ?? '';
    const submitted = await browse(
      { url: new URL(action), form: new URLSearchParams({ xsrf, logout: 'yes' }) },
      undefined,
      browser,
    );
    const afterwards = await browse((await authorizationRequest()).url, undefined, browser);

    // Assess: signed in, the browser goes straight back; the sign-out page submits its own
    // form (logout=yes) as it loads; then the login page is shown again.
    expect(signedIn.landed?.searchParams.get('code')).toEqual(expect.any(String));
    expect(page.status).toBe(200);
    expect(page.html).toContain('<input type="hidden" name="logout" value="yes"></form>');
    expect(page.html).toContain('<script>document.forms[0].submit()</script>');
    expect(submitted.landed?.href).toBe(`${DASHBOARD}/`);
    expect(afterwards.status).toBe(200);
    expect(afterwards.html).toContain('<label for="password">Password</label>');
  });
});
