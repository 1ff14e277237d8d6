import type { MiddlewareObj } from '@middy/core';
import type { HttpEvent, HttpResponse, WebRequest } from '../http-event.ts';

export interface SecurityHeaderOptions {
  /** Origin the upload forms post to (S3). */
  uploadsOrigin: string;
  /** Origins the sign-out form is redirected to (the provider's sign-out page). */
  signInOrigins?: string[];
  strictTransportSecurity: boolean;
}

export function contentSecurityPolicy(uploadsOrigin: string, signInOrigins: string[] = []): string {
  return [
    "default-src 'none'",
    // Thumbnails are served by this function (same origin), so no S3 origin is needed here.
    "img-src 'self'",
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

/** Security headers on every response, errors included. */
export function securityHeaders(options: SecurityHeaderOptions): MiddlewareObj<HttpEvent, HttpResponse> {
  const policy = contentSecurityPolicy(options.uploadsOrigin, options.signInOrigins);
  const addSecurityHeaders = async (request: WebRequest): Promise<void> => {
    const response = request.response;
    if (!response) return;
    response.headers = {
      ...response.headers,
      'content-security-policy': policy,
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
