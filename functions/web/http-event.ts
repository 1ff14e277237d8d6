import type { Request } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/** The HTTP API (payload 2.0) event, possibly carrying a JWT authorizer's claims on AWS. */
export type HttpEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { jwt?: { claims?: Record<string, unknown>; scopes?: string[] | null } };
  };
};

/** Every response this function builds: always structured, with lower-case header names. */
export interface HttpResponse extends APIGatewayProxyStructuredResultV2 {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type WebRequest = Request<HttpEvent, HttpResponse, Error, Context>;

/** Paths under /api/ are the JSON API. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

/**
 * The JSON API is fetched by scripts, not navigated to: it answers errors with problem+json
 * and a missing sign-in with 401, never a page or a redirect. Everything else is a page.
 * (Thumbnails are not this function's: the distribution serves them from S3.)
 */
export function answersWithData(path: string): boolean {
  return isApiPath(path);
}

export function requestPath(event: HttpEvent): string {
  return event.requestContext?.http?.path ?? event.rawPath ?? '/';
}

export function requestMethod(event: HttpEvent): string {
  return (event.requestContext?.http?.method ?? 'GET').toUpperCase();
}

/** A header's value (httpHeaderNormalizer has lower-cased the names). */
export function requestHeader(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name];
}

/** `http://127.0.0.1[:port]…`: the local cloud's own services, the only plain-HTTP peers allowed. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && parsed.hostname === '127.0.0.1';
  } catch {
    return false;
  }
}

/**
 * The dashboard's origin: `PUBLIC_ORIGIN` when set (the local cloud, a custom domain), else
 * the domain the request came in on — API Gateway's `requestContext.domainName`, always HTTPS.
 */
export function dashboardOrigin(event: HttpEvent, publicOrigin: string | undefined): string {
  return publicOrigin ?? `https://${event.requestContext.domainName}`;
}
