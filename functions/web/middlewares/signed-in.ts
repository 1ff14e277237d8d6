import type { MiddlewareObj } from '@middy/core';
import type { WebConfig } from '../config.ts';
import { type HttpEvent, type HttpResponse, jwtClaims, type WebRequest } from '../http-event.ts';
import { HttpProblemError } from '../problem.ts';

/**
 * In JWT mode, refuses a request without the authorizer's claims (401). API Gateway's JWT
 * authorizer guards such routes on AWS; checking its claims here too means a routing mistake
 * cannot open writes.
 */
export function signedIn(
  authMode: WebConfig['authMode'],
  detail: string,
): MiddlewareObj<HttpEvent, HttpResponse> {
  const requireClaims = async (request: WebRequest): Promise<void> => {
    if (authMode === 'jwt' && !jwtClaims(request.event)) {
      throw new HttpProblemError(401, 'Unauthorized', detail, { headers: { 'www-authenticate': 'Bearer' } });
    }
  };
  return { before: requireClaims };
}
