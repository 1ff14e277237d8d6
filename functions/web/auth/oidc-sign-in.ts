import { randomBytes } from 'node:crypto';
import type { OidcConfig } from '../config.ts';
import { dashboardOrigin, type HttpEvent, isLoopbackUrl } from '../http-event.ts';
import { HttpProblemError } from '../problem.ts';
import {
  clearCookie,
  clearedSessionCookies,
  requestCookies,
  SIGN_IN_COOKIE,
  SIGN_IN_COOKIE_PATH,
  sessionCookies,
  sessionTokensOf,
  setCookie,
} from './cookies.ts';
import { createProvider, type Provider, ProviderRefusedError, ProviderUnavailableError } from './provider.ts';
import { safeReturnTo } from './return-to.ts';
import { createSessions } from './session.ts';
import type { SignIn, SignInDependencies } from './sign-in.ts';
import { createTokenVerifiers, type TokenVerifiers } from './tokens.ts';

/** A sign-in left half-way (the provider's page never submitted) is forgotten after this. */
const SIGN_IN_COOKIE_SECONDS = 600;

/** What the callback needs to check the provider's answer: kept in the sign-in cookie. */
interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

/** 32 random bytes, base64url: the state, the nonce and the PKCE verifier (RFC 7636 §4.1). */
const randomValue = () => randomBytes(32).toString('base64url');

function pendingSignInOf(event: HttpEvent): PendingSignIn | undefined {
  const value = requestCookies(event).get(SIGN_IN_COOKIE);
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    const { state, nonce, codeVerifier, returnTo } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof state !== 'string' || typeof nonce !== 'string' || typeof codeVerifier !== 'string')
      return undefined;
    return {
      state,
      nonce,
      codeVerifier,
      returnTo: safeReturnTo(typeof returnTo === 'string' ? returnTo : '/'),
    };
  } catch {
    return undefined;
  }
}

const signInExpired = () =>
  new HttpProblemError(
    400,
    'Sign-in expired',
    'This sign-in was started too long ago, or in another browser. Open the dashboard to sign in again.',
  );

/** The provider's refusals are the caller's (400); a provider that is not there is a 503. */
function providerProblem(error: unknown): unknown {
  if (error instanceof ProviderRefusedError) {
    return new HttpProblemError(
      400,
      'Sign-in failed',
      'The sign-in did not complete. Please sign in again.',
      {
        cause: error,
      },
    );
  }
  if (error instanceof ProviderUnavailableError) {
    return new HttpProblemError(
      503,
      'Service Unavailable',
      'The sign-in service cannot be reached right now. Please try again in a moment.',
      { cause: error, headers: { 'retry-after': '5' } },
    );
  }
  return error;
}

async function orProblem<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw providerProblem(error);
  }
}

/**
 * The token verifiers, made once the provider's discovery has named its JWKS URI and issuer;
 * made again after a failure, so a provider down at cold start does not stay down for us.
 */
function lazyTokenVerifiers(config: OidcConfig, provider: Provider): () => Promise<TokenVerifiers> {
  let verifiers: Promise<TokenVerifiers> | undefined;
  return () => {
    verifiers ??= provider
      .metadata()
      .then((metadata) => {
        if (!metadata.jwks_uri)
          throw new ProviderUnavailableError('The provider’s discovery names no jwks_uri.');
        const { issuer } = metadata;
        const loopback = isLoopbackUrl(config.issuer);
        return createTokenVerifiers({
          issuer,
          clientId: config.clientId,
          jwksUri: metadata.jwks_uri,
          loopback,
        });
      })
      .catch((error: unknown) => {
        verifiers = undefined;
        throw error;
      });
    return verifiers;
  };
}

export function createOidcSignIn(
  config: OidcConfig,
  dependencies: SignInDependencies & { nowSeconds: () => number },
): SignIn {
  const provider = createProvider(config);
  const verifiersOnce = lazyTokenVerifiers(config, provider);
  const sessions = createSessions({ provider, verifiers: verifiersOnce, ...dependencies });
  const origin = (event: HttpEvent) => dashboardOrigin(event, dependencies.publicOrigin);
  const callbackUri = (event: HttpEvent) => `${origin(event)}/auth/callback`;

  return {
    mode: 'oidc',
    identify: (event) => orProblem(() => sessions.identify(event)),
    async begin(event, returnTo) {
      const pending: PendingSignIn = {
        state: randomValue(),
        nonce: randomValue(),
        codeVerifier: randomValue(),
        returnTo,
      };
      const location = await orProblem(() =>
        provider.authorizationUrl({ redirectUri: callbackUri(event), ...pending }),
      );
      const value = Buffer.from(JSON.stringify(pending)).toString('base64url');
      const cookie = setCookie(SIGN_IN_COOKIE, value, {
        path: SIGN_IN_COOKIE_PATH,
        maxAgeSeconds: SIGN_IN_COOKIE_SECONDS,
      });
      return { location, cookies: [cookie] };
    },
    async complete(event) {
      const pending = pendingSignInOf(event);
      if (!pending) throw signInExpired();
      const callbackUrl = new URL(
        `${callbackUri(event)}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`,
      );
      const tokens = await orProblem(() => provider.exchangeCode(callbackUrl, pending));
      const checked = await orProblem(async () => (await verifiersOnce()).idToken(tokens.idToken));
      if (checked.status !== 'valid')
        throw providerProblem(new ProviderRefusedError('The ID token does not verify.'));
      return {
        location: pending.returnTo,
        cookies: [...sessionCookies(tokens), clearCookie(SIGN_IN_COOKIE, SIGN_IN_COOKIE_PATH)],
      };
    },
    async end(event) {
      const { idToken, refreshToken } = sessionTokensOf(requestCookies(event));
      if (refreshToken) {
        // Signing out must not fail because the provider is down: the cookies go regardless.
        await provider.revoke(refreshToken).catch((error: unknown) => {
          dependencies.logWarning('the refresh token could not be revoked', { error });
        });
      }
      const location = await provider.signOutUrl({
        returnTo: `${origin(event)}/`,
        ...(idToken ? { idToken } : {}),
      });
      return { location, cookies: clearedSessionCookies() };
    },
  };
}
