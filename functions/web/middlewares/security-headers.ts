import type { MiddlewareObj } from '@middy/core';
import { FAVICON_PATH } from '../assets.ts';
import { dashboardOrigin, type HttpEvent, type HttpResponse, type WebRequest } from '../http-event.ts';
import { THUMBNAILS_PATH } from '../thumbnail-links.ts';

export interface SecurityHeaderOptions {
  /** Origin the upload forms post to (S3). */
  uploadsOrigin: string;
  /** Origins the sign-out form is redirected to (the provider's sign-out page). */
  signInOrigins?: string[];
  /** The dashboard's origin when configured; else each request's (see dashboardOrigin). */
  publicOrigin?: string | undefined;
  strictTransportSecurity: boolean;
}

/**
 * The pages' policy. Images come only from the distribution's `/thumbnails/` path (the S3
 * thumbnails, on the dashboard's own origin) and the favicon (a browser checks a page's icon
 * against img-src): a path needs the host spelled out, `'self'` cannot carry one. (https://www.w3.org/TR/CSP3/#match-paths)
 */
export function contentSecurityPolicy(
  dashboardOrigin: string,
  uploadsOrigin: string,
  signInOrigins: string[] = [],
): string {
  return [
    "default-src 'none'",
    `img-src ${dashboardOrigin}${THUMBNAILS_PATH} ${dashboardOrigin}${FAVICON_PATH}`,
    "style-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    // The upload form is submitted to S3 (a presigned POST), which redirects back here; the
    // sign-out form is redirected to the provider's sign-out page, which form-action covers too.
    `form-action ${["'self'", uploadsOrigin, ...signInOrigins].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * Security headers on every response, errors included. The distribution adds the same ones
 * (its response headers policy in serverless.yml) to what it serves without this function.
 */
export function securityHeaders(options: SecurityHeaderOptions): MiddlewareObj<HttpEvent, HttpResponse> {
  const addSecurityHeaders = async (request: WebRequest): Promise<void> => {
    const response = request.response;
    if (!response) return;
    const origin = dashboardOrigin(request.event, options.publicOrigin);
    response.headers = {
      ...response.headers,
      'content-security-policy': contentSecurityPolicy(origin, options.uploadsOrigin, options.signInOrigins),
      'x-content-type-options': 'nosniff',
      // Not `no-referrer`: with it a browser sends `Origin: null` on a form POST (Fetch §3.1),
      // and the CSRF check needs the dashboard's own origin. Other sites still get no Referer.
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      ...(options.strictTransportSecurity
        ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' }
        : {}),
    };
  };
  return { after: addSecurityHeaders, onError: addSecurityHeaders };
}
