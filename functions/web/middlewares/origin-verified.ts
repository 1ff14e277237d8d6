import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { HttpEvent, HttpResponse, WebRequest } from '../http-event.ts';
import { HttpProblemError } from '../problem.ts';

/** The header the distribution adds to every request it sends the HTTP API (serverless.yml). */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/** Equal-length digests, so the comparison takes the same time whatever the guess. */
function sameSecret(given: string, secret: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/**
 * The HTTP API behind the distribution only (`cdnOnly`): a request without the edge secret
 * in `X-Origin-Verify` did not come through CloudFront — so it skipped WAF — and is refused
 * with 403 before anything else runs. The header is then dropped from the event, so nothing
 * later can log or echo it. Off (`check: false`), the header is dropped all the same.
 */
export function originVerified(options: {
  check: boolean;
  secrets: readonly string[];
}): MiddlewareObj<HttpEvent, HttpResponse> {
  const verifyOrigin = async (request: WebRequest): Promise<void> => {
    const headers = request.event.headers ?? {};
    const given = headers[ORIGIN_VERIFY_HEADER];
    delete headers[ORIGIN_VERIFY_HEADER];
    if (!options.check) return;
    if (given !== undefined && options.secrets.some((secret) => sameSecret(given, secret))) return;
    throw new HttpProblemError(
      403,
      'Forbidden',
      'This API answers only through the dashboard’s own address.',
    );
  };
  return { before: verifyOrigin };
}
