import type { MiddlewareObj } from '@middy/core';
import { entityTag, ifNoneMatchSatisfied } from '../etag.ts';
import { type HttpEvent, type HttpResponse, requestMethod, type WebRequest } from '../http-event.ts';

/** Adds an ETag to successful GET/HEAD answers and turns a matching If-None-Match into a 304. */
export function conditionalGet(): MiddlewareObj<HttpEvent, HttpResponse> {
  const conditionalGetAfter = async (request: WebRequest): Promise<void> => {
    const response = request.response;
    const method = requestMethod(request.event);
    if (response?.statusCode !== 200) return;
    if (method !== 'GET' && method !== 'HEAD') return;
    if (response.isBase64Encoded && !response.headers.etag) return;
    const etag = response.headers.etag ?? entityTag(response.body);
    response.headers.etag = etag;
    if (ifNoneMatchSatisfied(request.event.headers?.['if-none-match'], etag)) {
      // A 304 carries the validators and caching headers but no content (RFC 9110 §15.4.5).
      const { 'content-type': _type, 'content-length': _length, ...kept } = response.headers;
      request.response = { statusCode: 304, headers: kept, body: '' };
    }
  };
  return { after: conditionalGetAfter };
}
