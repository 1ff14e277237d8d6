import { generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import Provider, { type Configuration } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import { closeServer, type LocalService, listen, listening, readBody } from './service.ts';

/**
 * Cognito's part, locally: oidc-provider (an OpenID Certified implementation) with the
 * dashboard as its one public client (code flow with PKCE S256) and seeded users. Its
 * tokens carry what the web function reads in Cognito's: `cognito:groups` and `token_use`
 * in the ID token and in the access token (a JWT, with `client_id` and `scope`)
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-with-identity-providers.html).
 * Sessions and refresh tokens live in memory; the signing key is kept with the state, so
 * a dashboard session outlives a restart until its tokens need refreshing.
 */
export const LOCAL_CLIENT_ID = 'stockroom-local-dashboard';
export const LOCAL_PASSWORD = 'stockroom-local';
export const LOCAL_USERS = [
  { email: 'manager@stockroom.local', groups: ['manager'] },
  { email: 'viewer@stockroom.local', groups: ['viewer'] },
  { email: 'berlin@stockroom.local', groups: ['manager', 'store:Berlin'] },
  { email: 'nobody@stockroom.local', groups: [] },
].map((user, index) => ({ ...user, sub: `00000000-0000-4000-8000-00000000000${index + 1}` }));

const SCOPES = 'openid email profile';
const HOUR = 3600;

/** Like Cognito, no `cognito:groups` claim at all for a user in no group. */
function groupsClaim(sub: string | undefined) {
  const user = LOCAL_USERS.find((candidate) => candidate.sub === sub);
  return user && { user, claim: user.groups.length > 0 ? { 'cognito:groups': user.groups } : {} };
}

export interface IdentityProviderOptions {
  port: number;
  /** The dashboard's origin: its callback and sign-out URLs, and its access tokens' audience. */
  dashboardOrigin: string;
  /** Where the signing key is kept; undefined makes a new one each start. */
  stateDir: string | undefined;
  log: (line: string) => void;
}

export interface IdentityProvider extends LocalService {
  /** The issuer: discovery is at `<url>/.well-known/openid-configuration`. */
  url: string;
}

export async function startIdentityProvider(options: IdentityProviderOptions): Promise<IdentityProvider> {
  // The issuer names the port, so the provider is made once the server listens.
  let provider: Provider | undefined;
  let answer: ReturnType<Provider['callback']> | undefined;
  const server = createServer((request, response) => {
    if (!provider || !answer) return void response.writeHead(503).end();
    if (!/^\/interaction\/[\w-]+$/.test(request.url ?? '')) return answer(request, response);
    signIn(provider, request, response).catch(() => {
      const expired = EXPIRED.replace('{origin}', options.dashboardOrigin);
      if (!response.headersSent) send(response, 400, page('Sign-in expired', expired));
    });
  });
  const port = await listen(server, options.port, 'The local OpenID provider', 'oidc');
  const url = `http://127.0.0.1:${port}`;
  provider = new Provider(url, configuration(options, await signingKey(options.stateDir)));
  provider.on('server_error', (_ctx, error) => options.log(`oidc: ${error.message}`));
  answer = provider.callback();
  return {
    name: 'oidc',
    url,
    ports: { oidc: port },
    health: () => listening(server, 'The local OpenID provider'),
    stop: () => closeServer(server),
  };
}

function configuration(options: IdentityProviderOptions, key: JsonWebKey): Configuration {
  const origin = options.dashboardOrigin;
  return {
    // The default store, under another name: its warning is for deployments, and memory is what a local provider wants.
    adapter: class extends MemoryAdapter {},
    clients: [
      {
        client_id: LOCAL_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${origin}/auth/callback`],
        post_logout_redirect_uris: [`${origin}/`],
      },
    ],
    jwks: { keys: [{ ...key, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub', 'cognito:groups', 'token_use'],
      email: ['email', 'email_verified'],
      profile: [],
    },
    // Cognito puts the e-mail in the ID token of a code flow too.
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => {
      const found = groupsClaim(sub);
      return (
        found && {
          accountId: sub,
          claims: async (use) => ({
            sub,
            email: found.user.email,
            email_verified: true,
            ...found.claim,
            ...(use === 'id_token' ? { token_use: 'id' } : {}),
          }),
        }
      );
    },
    extraTokenClaims: (_ctx, token) => {
      const found = groupsClaim(token.accountId);
      return found && { ...found.claim, username: found.user.sub, token_use: 'access' };
    },
    // The dashboard is the one, first-party client: granted without a consent screen, as on Cognito.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        accountId: ctx.oidc.session?.accountId,
        clientId: ctx.oidc.client?.clientId,
      });
      grant.addOIDCScope(SCOPES);
      grant.addResourceScope(origin, SCOPES);
      await grant.save();
      return grant;
    },
    // Refresh tokens without `offline_access`, and not rotated: Cognito's defaults.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: false,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      // A resource (the dashboard) is what makes oidc-provider issue access tokens as JWTs.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => origin,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: SCOPES,
          audience: origin,
          accessTokenFormat: 'jwt',
          accessTokenTTL: HOUR,
        }),
      },
      // Cognito's /logout does not ask; this page signs out at once (its button is for no-JS browsers).
      rpInitiatedLogout: {
        logoutSource: (ctx, form) => {
          const signOut = form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>');
          ctx.body = page(
            'Signing out',
            `<h1>Signing out…</h1>${signOut}<noscript><button form="op.logoutForm">Sign out</button></noscript><script>document.forms[0].submit()</script>`,
          );
        },
      },
    },
    ttl: {
      AccessToken: HOUR,
      IdToken: HOUR,
      RefreshToken: 24 * HOUR,
      Session: 24 * HOUR,
      Grant: 24 * HOUR,
      Interaction: HOUR,
      AuthorizationCode: 60,
    },
  };
}

/** The login page: GET shows it, POST checks the e-mail and password. */
async function signIn(provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { uid } = await provider.interactionDetails(request, response);
  if (request.method === 'POST') {
    const form = new URLSearchParams((await readBody(request, 64 * 1024))?.toString());
    const user = LOCAL_USERS.find((candidate) => candidate.email === form.get('login')?.trim().toLowerCase());
    if (user && form.get('password') === LOCAL_PASSWORD) {
      const result = { login: { accountId: user.sub } };
      return provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false });
    }
  }
  const failed = request.method === 'POST' ? '<p role="alert">Incorrect e-mail or password.</p>' : '';
  send(
    response,
    failed ? 401 : 200,
    page('Sign in', LOGIN.replace('{failed}', failed).replace('{action}', `/interaction/${uid}`)),
  );
}

const LOGIN = `<h1>Sign in to Stockroom</h1>{failed}<form method="post" action="{action}">
<p><label for="login">E-mail</label><br><input id="login" name="login" type="email" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p></form>
<p>The local identity provider: every seeded user's password is <code>${LOCAL_PASSWORD}</code>.</p>`;
const EXPIRED = `<h1>This sign-in has expired</h1><p><a href="{origin}/">Back to the dashboard</a> to sign in again.</p>`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Stockroom (local)</title></head><body><main>${body}</main></body></html>`;
}

function send(response: ServerResponse, status: number, html: string): void {
  response
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(html);
}

async function signingKey(stateDir: string | undefined): Promise<JsonWebKey> {
  const file = stateDir && join(stateDir, 'oidc-signing-key.json');
  const kept = file && (await readFile(file, 'utf8').catch(() => undefined));
  if (kept) return JSON.parse(kept) as JsonWebKey;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  if (file) await writeFile(file, JSON.stringify(key), { mode: 0o600 });
  return key;
}
