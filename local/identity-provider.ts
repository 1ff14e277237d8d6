import { generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import { readBody, serverService } from './service.ts';

/**
 * Cognito's part, locally: oidc-provider (an OpenID Certified implementation) with the
 * dashboard as its one public client (code flow with PKCE S256) and seeded users. Its
 * tokens carry what the web function reads in Cognito's: `cognito:groups` and `token_use`
 * in the ID token and in the access token (a JWT, with `client_id` and `scope`)
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-with-identity-providers.html).
 * Its sessions, refresh tokens and signing key live in memory: a restart signs everyone out.
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
const ID = { token_use: 'id' };
const [HOUR, DAY] = [3600, 86_400];
const JWT_ACCESS_TOKENS = { accessTokenFormat: 'jwt', accessTokenTTL: HOUR } as const;

/** A user's claims as Cognito writes them: no `cognito:groups` at all for a user in no group. */
function claimsOf(sub: string | undefined) {
  const user = LOCAL_USERS.find((candidate) => candidate.sub === sub);
  const groups = user?.groups.length ? { 'cognito:groups': user.groups } : {};
  return user && { sub: user.sub, email: user.email, email_verified: true, ...groups };
}

/** What does not depend on where the dashboard is. */
const SETTINGS = {
  // The default store under another name: its warning is for deployments, and memory is what is wanted here.
  adapter: class extends MemoryAdapter {},
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub', 'cognito:groups', 'token_use'], email: ['email', 'email_verified'], profile: [] },
  // Cognito puts the e-mail in the ID token of a code flow too.
  conformIdTokenClaims: false,
  findAccount: (_ctx, sub) => {
    const claims = claimsOf(sub);
    return (
      claims && { accountId: sub, claims: async (use) => ({ ...claims, ...(use === 'id_token' && ID) }) }
    );
  },
  extraTokenClaims: (_ctx, token) => {
    const { sub, 'cognito:groups': groups } =
      claimsOf('accountId' in token ? token.accountId : undefined) ?? {};
    return sub ? { 'cognito:groups': groups, username: sub, token_use: 'access' } : undefined;
  },
  // The code flow only (no implicit); refresh tokens without `offline_access`, not rotated: as on Cognito.
  responseTypes: ['code'],
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: false,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: HOUR, IdToken: HOUR, Interaction: HOUR, RefreshToken: DAY, Session: DAY, Grant: DAY },
} satisfies Partial<Configuration>;

function configuration(dashboardOrigin: string, key: JsonWebKey): Configuration {
  const client = {
    client_id: LOCAL_CLIENT_ID,
    token_endpoint_auth_method: 'none' as const,
    response_types: ['code' as const],
  };
  const grantTypes = { grant_types: ['authorization_code', 'refresh_token'] };
  const callback = { redirect_uris: [`${dashboardOrigin}/auth/callback`] };
  return {
    ...SETTINGS,
    clients: [{ ...client, ...grantTypes, ...callback, post_logout_redirect_uris: [`${dashboardOrigin}/`] }],
    jwks: { keys: [{ ...key, use: 'sig', alg: 'RS256' }] },
    // The dashboard is the one, first-party client: granted without a consent screen, as on Cognito.
    loadExistingGrant: async ({ oidc }) => {
      const grant = new oidc.provider.Grant({
        accountId: oidc.session?.accountId,
        clientId: LOCAL_CLIENT_ID,
      });
      grant.addOIDCScope(SCOPES);
      grant.addResourceScope(dashboardOrigin, SCOPES);
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      // A resource (the dashboard) is what makes oidc-provider issue access tokens as JWTs.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => dashboardOrigin,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: SCOPES, audience: dashboardOrigin, ...JWT_ACCESS_TOKENS }),
      },
      // Cognito's /logout does not ask; this page signs out as it loads (its button is for no-JS browsers).
      rpInitiatedLogout: {
        logoutSource: (ctx, form) => {
          const signOut = form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>');
          ctx.body = page('Signing out', `<h1>Signing out…</h1>${signOut}${SIGN_OUT_NOW}`);
        },
      },
    },
  };
}

/** The issuer, `url`, has its discovery at `<url>/.well-known/openid-configuration`. */
export type IdentityProvider = Awaited<ReturnType<typeof startIdentityProvider>>;

type Options = { port: number; dashboardOrigin: string; log: (line: string) => void };

/** `dashboardOrigin`: where its callback and sign-out URLs are, and its access tokens' audience. */
export async function startIdentityProvider({ port, dashboardOrigin, log }: Options) {
  // A new key each start: sessions and refresh tokens are in memory, so they would not outlive it anyway.
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const server = createServer();
  const service = await serverService(server, 'The local OpenID provider', 'oidc', port);
  // The issuer names the port: the provider is made once the server listens (before any request).
  const provider = new Provider(service.url, configuration(dashboardOrigin, key));
  provider.on('server_error', (_ctx, error) => log(`oidc: ${error.message}`));
  const answer = provider.callback();
  const expired = `<h1>This sign-in has expired</h1><p><a href="${dashboardOrigin}/">Back to the dashboard</a></p>`;
  server.on('request', (request, response) => {
    if (!/^\/interaction\/[\w-]+$/.test(request.url ?? '')) return answer(request, response);
    signIn(provider, request, response).catch(() => {
      if (!response.headersSent) send(response, 400, page('Sign-in expired', expired));
    });
  });
  return service;
}

/** The login page: GET shows it, POST checks the e-mail and password. */
async function signIn(provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { uid } = await provider.interactionDetails(request, response);
  const body = request.method === 'POST' ? await readBody(request, 65_536) : undefined;
  const form = new URLSearchParams(body?.toString());
  const user = LOCAL_USERS.find((candidate) => candidate.email === form.get('login')?.trim().toLowerCase());
  if (user && form.get('password') === LOCAL_PASSWORD) {
    const result = { login: { accountId: user.sub } };
    return provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false });
  }
  const failed = body ? '<p role="alert">Incorrect e-mail or password.</p>' : '';
  send(
    response,
    failed ? 401 : 200,
    page('Sign in', LOGIN.replace('{failed}', failed).replace('{uid}', uid)),
  );
}

const SIGN_OUT_NOW = `<noscript><button form="op.logoutForm">Sign out</button></noscript>
<script>document.forms[0].submit()</script>`;

const LOGIN = `<h1>Sign in to Stockroom</h1>{failed}<form method="post" action="/interaction/{uid}">
<p><label for="login">E-mail</label><br><input id="login" name="login" type="email" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p></form>
<p>The local identity provider: every seeded user's password is <code>${LOCAL_PASSWORD}</code>.</p>`;

function page(title: string, body: string): string {
  const head = `<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Stockroom (local)</title>`;
  return `<!doctype html><html lang="en"><head>${head}</head><body><main>${body}</main></body></html>`;
}

const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };

function send(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, HTML).end(html);
}
