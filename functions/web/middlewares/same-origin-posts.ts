import type { MiddlewareObj } from '@middy/core';
import { bearerToken } from '../auth/session.ts';
import {
  dashboardOrigin,
  type HttpEvent,
  type HttpResponse,
  requestHeader,
  requestMethod,
  type WebRequest,
} from '../http-event.ts';
import { HttpProblemError } from '../problem.ts';

/** Methods that change nothing (RFC 9110 §9.2.1); every other one is checked. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string | undefined): string | undefined {
  if (!value || value === 'null') return undefined;
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}

/**
 * Cross-site request forgery: a state-changing request must say it comes from the dashboard
 * itself — its `Origin` (or, when a browser sends none, its `Referer`) must be the dashboard's
 * origin — else 403. Browsers send `Origin` on every POST and a page cannot forge it; the
 * session cookies are also `SameSite=Lax`, so a cross-site POST does not carry them anyway.
 * A request with `Authorization: Bearer` is not checked: a browser never adds that header on
 * its own, so such a request was made by a script holding the token (the CLI, the page's own
 * upload script), and it is authenticated by the token alone, never by cookies.
 */
export function sameOriginPosts(publicOrigin: string | undefined): MiddlewareObj<HttpEvent, HttpResponse> {
  const checkOrigin = async (request: WebRequest): Promise<void> => {
    const { event } = request;
    if (SAFE_METHODS.has(requestMethod(event)) || bearerToken(event)) return;
    const expected = dashboardOrigin(event, publicOrigin);
    const origin = requestHeader(event, 'origin');
    const claimed =
      origin !== undefined && origin !== 'null'
        ? originOf(origin)
        : originOf(requestHeader(event, 'referer'));
    if (claimed !== expected) {
      throw new HttpProblemError(
        403,
        'Forbidden',
        'This request does not come from the dashboard (its Origin is missing or another site’s).',
      );
    }
  };
  return { before: checkOrigin };
}
