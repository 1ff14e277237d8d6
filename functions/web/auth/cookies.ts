import type { HttpEvent } from '../http-event.ts';

/**
 * The sign-in cookies. The session is the provider's own tokens, one cookie each, so that
 * nothing needs a server-side store or a secret of ours: every request verifies the ID token's
 * signature (tokens.ts), so an edited cookie is worth nothing.
 */
export const SESSION_COOKIES = {
  idToken: 'stockroom_id',
  accessToken: 'stockroom_access',
  refreshToken: 'stockroom_refresh',
} as const;

/** The state, nonce and PKCE verifier of one sign-in in progress, for the callback only. */
export const SIGN_IN_COOKIE = 'stockroom_signin';
export const SIGN_IN_COOKIE_PATH = '/auth';

/**
 * Browsers keep at least 4,096 bytes of a cookie's name, value and attributes
 * (https://www.rfc-editor.org/rfc/rfc6265#section-6.1); a larger one would be dropped silently.
 */
export const MAX_COOKIE_BYTES = 4096;

export class CookieTooLargeError extends Error {
  override name = 'CookieTooLargeError';
}

/**
 * The request's cookies by name. API Gateway's payload 2.0 hands them over in `event.cookies`
 * (`name=value` each) and not in the `cookie` header; the header is read too, for other callers.
 * Of two cookies with one name the first wins (the browser sends the most specific path first).
 */
export function requestCookies(event: HttpEvent): Map<string, string> {
  const pairs = [...(event.cookies ?? []), ...(event.headers?.cookie?.split(';') ?? [])];
  const cookies = new Map<string, string>();
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const name = pair.slice(0, separator).trim();
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(pair.slice(separator + 1).trim()));
    } catch {
      // A value that is not valid percent-encoding is not one of ours.
    }
  }
  return cookies;
}

/**
 * A `Set-Cookie` value: HttpOnly (no script reads it), Secure, SameSite=Lax (sent on top-level
 * navigations from elsewhere, such as the provider's redirect back, but not on cross-site
 * POSTs). No Max-Age unless given: the session ends with the browser; the tokens' own expiry
 * limits it further.
 */
export function setCookie(
  name: string,
  value: string,
  options: { path?: string; maxAgeSeconds?: number } = {},
): string {
  const maxAge = options.maxAgeSeconds === undefined ? '' : `; Max-Age=${options.maxAgeSeconds}`;
  const cookie = `${name}=${encodeURIComponent(value)}; Path=${options.path ?? '/'}; HttpOnly; Secure; SameSite=Lax${maxAge}`;
  const bytes = Buffer.byteLength(cookie);
  if (bytes > MAX_COOKIE_BYTES) {
    throw new CookieTooLargeError(
      `The cookie ${name} would be ${bytes} bytes, more than the ${MAX_COOKIE_BYTES} a browser keeps.`,
    );
  }
  return cookie;
}

export function clearCookie(name: string, path = '/'): string {
  return `${name}=; Path=${path}; HttpOnly; Secure; SameSite=Lax; Max-Age=0`;
}

export interface SessionTokens {
  idToken?: string;
  accessToken?: string;
  refreshToken?: string;
}

export function sessionTokensOf(cookies: Map<string, string>): SessionTokens {
  const tokens: SessionTokens = {};
  for (const [kind, name] of Object.entries(SESSION_COOKIES) as [keyof SessionTokens, string][]) {
    const value = cookies.get(name);
    if (value) tokens[kind] = value;
  }
  return tokens;
}

/** The cookies that store `tokens`; a token left out keeps its cookie as it is. */
export function sessionCookies(tokens: SessionTokens): string[] {
  return (Object.entries(SESSION_COOKIES) as [keyof SessionTokens, string][]).flatMap(([kind, name]) => {
    const value = tokens[kind];
    return value ? [setCookie(name, value)] : [];
  });
}

export function clearedSessionCookies(): string[] {
  return Object.values(SESSION_COOKIES).map((name) => clearCookie(name));
}
