import type { MiddlewareObj } from '@middy/core';
import type { HttpEvent, HttpResponse, WebRequest } from '../http-event.ts';

export interface SecurityHeaderOptions {
  /** Origin the upload forms post to (S3). */
  uploadsOrigin: string;
  strictTransportSecurity: boolean;
}

export function contentSecurityPolicy(uploadsOrigin: string): string {
  return [
    "default-src 'none'",
    // Thumbnails are served by this function (same origin), so no S3 origin is needed here.
    "img-src 'self'",
    "style-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    // The upload form is submitted to S3 (a presigned POST), which redirects back here.
    `form-action 'self' ${uploadsOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Security headers on every response, errors included. */
export function securityHeaders(options: SecurityHeaderOptions): MiddlewareObj<HttpEvent, HttpResponse> {
  const policy = contentSecurityPolicy(options.uploadsOrigin);
  const addSecurityHeaders = async (request: WebRequest): Promise<void> => {
    const response = request.response;
    if (!response) return;
    response.headers = {
      ...response.headers,
      'content-security-policy': policy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      ...(options.strictTransportSecurity
        ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' }
        : {}),
    };
  };
  return { after: addSecurityHeaders, onError: addSecurityHeaders };
}
