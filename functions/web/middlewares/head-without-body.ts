import type { MiddlewareObj } from '@middy/core';
import { type HttpEvent, type HttpResponse, requestMethod, type WebRequest } from '../http-event.ts';

/** HEAD answers exactly like GET, without the body (RFC 9110 §9.3.2). */
export function headWithoutBody(): MiddlewareObj<HttpEvent, HttpResponse> {
  const stripBody = async (request: WebRequest): Promise<void> => {
    if (request.response && requestMethod(request.event) === 'HEAD') {
      request.response.body = '';
      request.response.isBase64Encoded = false;
    }
  };
  return { after: stripBody, onError: stripBody };
}
