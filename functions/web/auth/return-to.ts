import { type HttpEvent, requestPath } from '../http-event.ts';

const RETURN_TO_LIMIT = 2048;

/**
 * Where a sign-in may lead back to: a path on this site only (`/…`, not `//host` nor `/\host`,
 * which browsers read as another host), so the sign-in cannot bounce anyone elsewhere.
 */
export function safeReturnTo(value: string | undefined): string {
  if (!value || value.length > RETURN_TO_LIMIT) return '/';
  return /^\/(?![/\\])[^\\\s]*$/.test(value) ? value : '/';
}

/**
 * `/auth/login?returnTo=<the page asked for>`. The HTTP API hands the path over decoded, so
 * each segment is encoded again: a store named `a?b#c` comes back as the same store.
 */
export function signInLocation(event: HttpEvent): string {
  const path = requestPath(event).split('/').map(encodeURIComponent).join('/');
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  return `/auth/login?returnTo=${encodeURIComponent(`${path}${query}`)}`;
}
