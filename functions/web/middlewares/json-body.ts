import type { MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { HttpEvent, HttpResponse, WebRequest } from '../http-event.ts';
import { HttpProblemError, invalidParameters } from '../problem.ts';

export interface JsonBodyOptions {
  /** A larger body is refused (413) before it is parsed. */
  maxBytes: number;
  /** Says what the body is, in the 415 answer to a body that is not JSON. */
  what: string;
}

function bodyByteLength(event: HttpEvent): number {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(raw, 'base64').byteLength : Buffer.byteLength(raw);
}

/**
 * @middy/http-json-body-parser (v6) throws an `HttpError` with status 415 both for another
 * Content-Type and for a body that is missing or not JSON; only the message tells them apart,
 * so the status is not relied on. A body that is not JSON is the caller's bad parameter: a 400
 * naming `body`, as before the library was used.
 */
function problemOf(error: unknown, what: string): unknown {
  const thrownByParser =
    error instanceof Error &&
    (error.cause as { package?: unknown } | undefined)?.package === '@middy/http-json-body-parser';
  if (!thrownByParser) return error;
  if (error.message === 'Unsupported Media Type') {
    return new HttpProblemError(415, 'Unsupported Media Type', `Send the ${what} as application/json.`, {
      cause: error,
    });
  }
  return invalidParameters([{ parameter: 'body', detail: 'is not valid JSON' }], error);
}

/**
 * Parses a JSON request body into `event.body` with @middy/http-json-body-parser, answering
 * a body too large with 413, another Content-Type with 415 and a malformed body with 400
 * (all as problem details, see problemResponses).
 */
export function jsonBody(options: JsonBodyOptions): MiddlewareObj<HttpEvent, HttpResponse> {
  const parser = httpJsonBodyParser<HttpEvent>();
  const parseJsonBody = async (request: WebRequest): Promise<void> => {
    if (bodyByteLength(request.event) > options.maxBytes) {
      throw new HttpProblemError(413, 'Content Too Large', `The ${options.what} is too large.`);
    }
    // Media types are case-insensitive (RFC 9110 §8.3.1); the library's check is not.
    const headers = request.event.headers;
    const contentType = headers?.['content-type'];
    if (headers && contentType) headers['content-type'] = contentType.toLowerCase();
    try {
      await parser.before?.(request);
    } catch (error) {
      throw problemOf(error, options.what);
    }
  };
  return { before: parseJsonBody };
}
