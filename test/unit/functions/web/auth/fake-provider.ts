import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OidcConfig } from '../../../../../functions/web/config.ts';

/**
 * An OpenID provider in the test process, on 127.0.0.1 and a free port: discovery, JWKS, the
 * token endpoint (authorization code with PKCE S256, refresh) and revocation. Its tokens look
 * like Cognito's: RS256, `cognito:groups` in both, `token_use`, `client_id` on access tokens.
 * The authorization endpoint itself is never fetched: a test plays the browser and the
 * provider's login page by calling `issueCode` with what the login redirect asked for.
 */

export interface FakeUser {
  sub: string;
  email: string;
  groups: string[];
}

export const USERS = {
  manager: { sub: 'sub-manager', email: 'manager@stockroom.test', groups: ['manager'] },
  viewer: { sub: 'sub-viewer', email: 'viewer@stockroom.test', groups: ['viewer'] },
  berlin: { sub: 'sub-berlin', email: 'berlin@stockroom.test', groups: ['manager', 'store:Berlin'] },
  nobody: { sub: 'sub-nobody', email: 'nobody@stockroom.test', groups: [] },
} satisfies Record<string, FakeUser>;

export const CLIENT_ID = 'stockroom-test-dashboard';

interface PendingCode {
  user: FakeUser;
  nonce: string;
  codeChallenge: string;
  redirectUri: string;
}

export interface FakeProvider {
  readonly issuer: string;
  readonly authConfig: OidcConfig;
  /** Lifetime of the tokens it issues from now on (seconds; negative: already expired). */
  tokenLifetimeSeconds: number;
  /** Discovery names a revocation and an end-session endpoint (Cognito's names neither of the latter). */
  readonly options: { revocation: boolean; endSession: boolean };
  idToken(user: FakeUser, claims?: Record<string, unknown>): string;
  accessToken(user: FakeUser, claims?: Record<string, unknown>): string;
  refreshTokenFor(user: FakeUser): string;
  /** The session cookies of a freshly signed-in user, as the callback would set them. */
  sessionCookies(user: FakeUser): string[];
  issueCode(user: FakeUser, request: { nonce: string; codeChallenge: string; redirectUri: string }): string;
  /** Every form posted to the token endpoint, and every revoked token. */
  readonly tokenRequests: URLSearchParams[];
  readonly revoked: string[];
  close(): Promise<void>;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

async function formOf(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

export async function startFakeProvider(
  options: { revocation?: boolean; endSession?: boolean } = {},
): Promise<FakeProvider> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, FakeUser>();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const signed = (claims: Record<string, unknown>) => {
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
    const payload = base64url(JSON.stringify(claims));
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKey).toString(
      'base64url',
    );
    return `${header}.${payload}.${signature}`;
  };
  const times = () => {
    const now = Math.floor(Date.now() / 1000);
    return { iat: now, exp: now + provider.tokenLifetimeSeconds };
  };
  const common = (user: FakeUser) => ({
    iss: issuer,
    sub: user.sub,
    'cognito:groups': user.groups,
    ...times(),
  });

  const provider: FakeProvider = {
    issuer,
    authConfig: { mode: 'oidc', issuer, clientId: CLIENT_ID },
    tokenLifetimeSeconds: 3600,
    options: { revocation: options.revocation ?? true, endSession: options.endSession ?? true },
    idToken: (user, claims = {}) =>
      signed({ ...common(user), aud: CLIENT_ID, email: user.email, token_use: 'id', ...claims }),
    accessToken: (user, claims = {}) =>
      signed({
        ...common(user),
        client_id: CLIENT_ID,
        token_use: 'access',
        scope: 'openid email profile',
        username: user.email,
        ...claims,
      }),
    refreshTokenFor(user) {
      const token = randomBytes(24).toString('base64url');
      refreshTokens.set(token, user);
      return token;
    },
    sessionCookies: (user) => [
      `stockroom_id=${provider.idToken(user)}`,
      `stockroom_access=${provider.accessToken(user)}`,
      `stockroom_refresh=${provider.refreshTokenFor(user)}`,
    ],
    issueCode(user, request) {
      const code = randomBytes(16).toString('base64url');
      codes.set(code, { user, ...request });
      return code;
    },
    tokenRequests: [],
    revoked: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const tokenAnswer = (form: URLSearchParams) => {
    if (form.get('client_id') !== CLIENT_ID) return { status: 401, body: { error: 'invalid_client' } };
    if (form.get('grant_type') === 'refresh_token') {
      const user = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!user) return { status: 400, body: { error: 'invalid_grant' } };
      // Like Cognito: new ID and access tokens, no new refresh token.
      const tokens = { id_token: provider.idToken(user), access_token: provider.accessToken(user) };
      return {
        status: 200,
        body: { ...tokens, token_type: 'Bearer', expires_in: provider.tokenLifetimeSeconds },
      };
    }
    const pending = codes.get(form.get('code') ?? '');
    codes.delete(form.get('code') ?? '');
    const challenge = createHash('sha256')
      .update(form.get('code_verifier') ?? '')
      .digest('base64url');
    if (!pending || challenge !== pending.codeChallenge || form.get('redirect_uri') !== pending.redirectUri) {
      return { status: 400, body: { error: 'invalid_grant' } };
    }
    const body = {
      id_token: provider.idToken(pending.user, { nonce: pending.nonce }),
      access_token: provider.accessToken(pending.user),
      refresh_token: provider.refreshTokenFor(pending.user),
      token_type: 'Bearer',
      expires_in: provider.tokenLifetimeSeconds,
    };
    return { status: 200, body };
  };

  const discovery = () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    ...(provider.options.revocation ? { revocation_endpoint: `${issuer}/revoke` } : {}),
    ...(provider.options.endSession ? { end_session_endpoint: `${issuer}/session/end` } : {}),
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
  });

  server.on('request', async (request, response) => {
    const path = new URL(request.url ?? '/', issuer).pathname;
    if (path === '/.well-known/openid-configuration') return json(response, 200, discovery());
    if (path === '/jwks') return json(response, 200, { keys: [jwk] });
    if (path === '/token' && request.method === 'POST') {
      const form = await formOf(request);
      provider.tokenRequests.push(form);
      const answer = tokenAnswer(form);
      return json(response, answer.status, answer.body);
    }
    if (path === '/revoke' && request.method === 'POST') {
      const token = (await formOf(request)).get('token') ?? '';
      provider.revoked.push(token);
      refreshTokens.delete(token);
      response.writeHead(200).end();
      return;
    }
    json(response, 404, { error: 'not_found' });
  });
  return provider;
}

export interface SetCookie {
  value: string;
  attributes: string[];
}

/** The cookies an answer sets, by name: the value and the attributes (`HttpOnly`, `Path=/`…). */
export function cookiesSetBy(response: { cookies?: string[] }): Map<string, SetCookie> {
  const cookies = new Map<string, SetCookie>();
  for (const cookie of response.cookies ?? []) {
    const [pair = '', ...attributes] = cookie.split('; ');
    const separator = pair.indexOf('=');
    cookies.set(pair.slice(0, separator), {
      value: decodeURIComponent(pair.slice(separator + 1)),
      attributes,
    });
  }
  return cookies;
}

/** The request cookies a browser would send back after `response` (cleared ones left out). */
export function cookiesAfter(response: { cookies?: string[] }): string[] {
  return [...cookiesSetBy(response)]
    .filter(([, cookie]) => !cookie.attributes.includes('Max-Age=0'))
    .map(([name, cookie]) => `${name}=${encodeURIComponent(cookie.value)}`);
}
