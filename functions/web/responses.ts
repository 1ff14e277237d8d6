import type { HttpResponse } from './http-event.ts';

/** Errors are never cached: the next request may well succeed. */
export const NO_STORE = 'no-store';
// Pages and API answers may change at any moment: caches must revalidate (ETag → 304).
export const REVALIDATE = 'no-cache';

const HTML = 'text/html; charset=utf-8';

function response(
  statusCode: number,
  type: { 'content-type': string; 'cache-control': string },
  body: string,
  headers: Record<string, string>,
): HttpResponse {
  return { statusCode, headers: { ...type, ...headers }, body };
}

export function htmlResponse(
  body: string,
  statusCode = 200,
  headers: Record<string, string> = {},
): HttpResponse {
  return response(statusCode, { 'content-type': HTML, 'cache-control': REVALIDATE }, body, headers);
}

export function jsonResponse(
  value: unknown,
  statusCode = 200,
  headers: Record<string, string> = {},
): HttpResponse {
  const type = { 'content-type': 'application/json; charset=utf-8', 'cache-control': REVALIDATE };
  return response(statusCode, type, JSON.stringify(value), headers);
}

/** RFC 9457 problem details. */
export function problemResponse(
  problem: {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance: string;
    [extension: string]: unknown;
  },
  headers: Record<string, string> = {},
): HttpResponse {
  const type = { 'content-type': 'application/problem+json', 'cache-control': NO_STORE };
  return response(problem.status, type, JSON.stringify(problem), headers);
}

/** The friendly HTML page a browser gets instead of problem details. */
export function errorPageResponse(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return response(status, { 'content-type': HTML, 'cache-control': NO_STORE }, body, headers);
}

/** A 302 to `location`, never cached (it depends on who asks). */
export function redirectResponse(location: string): HttpResponse {
  return {
    statusCode: 302,
    headers: { location, 'cache-control': NO_STORE, 'content-type': 'text/plain; charset=utf-8' },
    body: `Redirecting to ${location}`,
  };
}
