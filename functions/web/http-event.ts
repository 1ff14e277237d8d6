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

/** Paths under /api/ speak JSON (problem+json on errors); everything else is a page. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

export function requestPath(event: HttpEvent): string {
  return event.requestContext?.http?.path ?? event.rawPath ?? '/';
}

export function requestMethod(event: HttpEvent): string {
  return (event.requestContext?.http?.method ?? 'GET').toUpperCase();
}

/** The claims API Gateway's JWT authorizer verified, if the route has one (AWS only). */
export function jwtClaims(event: HttpEvent): Record<string, unknown> | undefined {
  return event.requestContext.authorizer?.jwt?.claims;
}
