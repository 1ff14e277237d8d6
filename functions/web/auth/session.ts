import { type HttpEvent, requestHeader } from '../http-event.ts';
import { type Access, accessFromClaims } from './access.ts';
import {
  clearedSessionCookies,
  requestCookies,
  type SessionTokens,
  sessionCookies,
  sessionTokensOf,
} from './cookies.ts';
import { type Provider, ProviderRefusedError } from './provider.ts';
import type { TokenCheck, TokenVerifiers } from './tokens.ts';

/** A session is refreshed when its ID token has less than this left (Cognito's last 5 minutes). */
export const REFRESH_BEFORE_EXPIRY_SECONDS = 300;

/** Who sent a request, and the cookies its answer must set (a refreshed or a cleared session). */
export interface Identification {
  access?: Access;
  /** A bearer token was sent and refused: the 401 says `error="invalid_token"` (RFC 6750 §3.1). */
  invalidToken?: boolean;
  cookies: string[];
}

export interface SessionDependencies {
  provider: Provider;
  verifiers: () => Promise<TokenVerifiers>;
  /** Seconds since the epoch (tests move it). */
  nowSeconds: () => number;
  logWarning: (message: string, details: Record<string, unknown>) => void;
}

/** `Authorization: Bearer <token>`, the way scripts and the page's upload script call the API. */
export function bearerToken(event: HttpEvent): string | undefined {
  const header = requestHeader(event, 'authorization');
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

async function fromBearer(token: string, dependencies: SessionDependencies): Promise<Identification> {
  const checked = await (await dependencies.verifiers()).accessToken(token);
  if (checked.status !== 'valid') return { invalidToken: true, cookies: [] };
  return { access: accessFromClaims(checked.claims, token), cookies: [] };
}

/**
 * Swaps the refresh token for new tokens, verified like any other. Cognito answers without a
 * new refresh token (the old one stays valid), so that cookie is only rewritten when the
 * provider rotates it. Undefined when the provider refuses (the refresh token expired or was
 * revoked); a provider that cannot be reached is an error.
 */
async function refreshed(
  tokens: SessionTokens & { refreshToken: string },
  dependencies: SessionDependencies,
): Promise<Identification | undefined> {
  let fresh: Awaited<ReturnType<Provider['refresh']>>;
  try {
    fresh = await dependencies.provider.refresh(tokens.refreshToken);
  } catch (error) {
    if (error instanceof ProviderRefusedError) return undefined;
    throw error;
  }
  const checked = await (await dependencies.verifiers()).idToken(fresh.idToken);
  if (checked.status !== 'valid') return undefined;
  return { access: accessFromClaims(checked.claims, fresh.accessToken), cookies: sessionCookies(fresh) };
}

function expiresSoon(checked: TokenCheck & { status: 'valid' }, nowSeconds: number): boolean {
  return checked.expiresAt - nowSeconds < REFRESH_BEFORE_EXPIRY_SECONDS;
}

/**
 * The session in the cookies: a verified ID token that is not about to expire is the user;
 * one about to expire, expired or missing is refreshed with the refresh token; an edited or
 * foreign token, or a refresh the provider refuses, ends the session (its cookies are cleared).
 * While the provider cannot be reached, a still-valid session goes on until it expires.
 */
async function fromCookies(
  tokens: SessionTokens,
  dependencies: SessionDependencies,
): Promise<Identification> {
  if (!tokens.idToken && !tokens.refreshToken) return { cookies: [] };
  const signedOut = { cookies: clearedSessionCookies() };
  const checked: TokenCheck = tokens.idToken
    ? await (await dependencies.verifiers()).idToken(tokens.idToken)
    : { status: 'expired' };
  if (checked.status === 'invalid') return signedOut;
  const current =
    checked.status === 'valid' ? accessFromClaims(checked.claims, tokens.accessToken) : undefined;
  if (current && checked.status === 'valid' && !expiresSoon(checked, dependencies.nowSeconds())) {
    return { access: current, cookies: [] };
  }
  if (!tokens.refreshToken) return current ? { access: current, cookies: [] } : signedOut;
  try {
    return (await refreshed({ ...tokens, refreshToken: tokens.refreshToken }, dependencies)) ?? signedOut;
  } catch (error) {
    if (!current) throw error;
    dependencies.logWarning('session refresh failed; the session goes on until it expires', { error });
    return { access: current, cookies: [] };
  }
}

/** Identifies the sender of a request: a bearer token if there is one, else the session cookies. */
export function createSessions(dependencies: SessionDependencies) {
  return {
    identify(event: HttpEvent): Promise<Identification> {
      const token = bearerToken(event);
      if (token) return fromBearer(token, dependencies);
      return fromCookies(sessionTokensOf(requestCookies(event)), dependencies);
    },
  };
}
