import { createHash } from 'node:crypto';
import type { MiddlewareObj, Request } from '@middy/core';
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

/** One problem with one request parameter, listed in a 400 response. */
export interface ParameterProblem {
  parameter: string;
  detail: string;
}

/**
 * An error that is the caller's to see: it becomes a 4xx (RFC 9457 problem details for the
 * API, a friendly page for the dashboard). Anything else that escapes a controller is a 500
 * with a generic body.
 */
export class HttpProblemError extends Error {
  override name = 'HttpProblemError';
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly headers: Record<string, string>;
  readonly parameters: ParameterProblem[];

  constructor(
    status: number,
    title: string,
    detail: string,
    options: {
      type?: string;
      headers?: Record<string, string>;
      parameters?: ParameterProblem[];
      cause?: unknown;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.status = status;
    this.title = title;
    this.detail = detail;
    // `about:blank` means "the status code says it all" (RFC 9457 §4.2.1).
    this.type = options.type ?? 'about:blank';
    this.headers = options.headers ?? {};
    this.parameters = options.parameters ?? [];
  }
}

export const INVALID_PARAMETER_TYPE = 'urn:stockroom:problem:invalid-parameter';

export function invalidParameters(parameters: ParameterProblem[], cause?: unknown): HttpProblemError {
  const detail = parameters.map((p) => `${p.parameter}: ${p.detail}`).join('; ');
  return new HttpProblemError(400, 'Invalid request parameter', detail, {
    type: INVALID_PARAMETER_TYPE,
    parameters,
    cause,
  });
}

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

const NO_STORE = 'no-store';
// Pages and API answers may change at any moment: caches must revalidate (ETag → 304).
export const REVALIDATE = 'no-cache';

export function htmlResponse(
  body: string,
  statusCode = 200,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': REVALIDATE, ...headers },
    body,
  };
}

export function jsonResponse(
  value: unknown,
  statusCode = 200,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': REVALIDATE, ...headers },
    body: JSON.stringify(value),
  };
}

export function problemResponse(
  problem: {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance: string;
    [extension: string]: unknown;
  },
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': NO_STORE, ...headers },
    body: JSON.stringify(problem),
  };
}

/** A strong validator for a representation: the hash of its exact bytes. */
export function entityTag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`, and `*`
 * matches any current representation.
 */
export function ifNoneMatchSatisfied(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (tag: string): string => tag.trim().replace(/^W\//, '');
  const wanted = strip(etag);
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || strip(tag) === wanted;
  });
}

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

export interface ProblemResponderOptions {
  /** Logs an unexpected error; the caller only ever sees a generic 500. */
  logError: (message: string, details: Record<string, unknown>) => void;
  renderErrorPage: (page: {
    status: number;
    title: string;
    detail: string;
    parameters: ParameterProblem[];
    requestId?: string;
  }) => string;
}

/**
 * Turns errors into responses: `HttpProblemError` → its status; anything else → 500 with a
 * generic body and the request id, while the error itself goes to the logs only.
 */
export function problemResponses(options: ProblemResponderOptions): MiddlewareObj<HttpEvent, HttpResponse> {
  const respondWithProblem = async (request: WebRequest): Promise<void> => {
    if (request.response !== undefined) return;
    const error = request.error;
    const path = requestPath(request.event);
    const requestId = request.context?.awsRequestId;
    const known = error instanceof HttpProblemError ? error : undefined;
    if (!known) {
      options.logError('request failed', { error, path, requestId });
    }
    const status = known?.status ?? 500;
    const title = known?.title ?? 'Internal Server Error';
    const detail = known?.detail ?? 'Something went wrong on our side. It has been logged; please try again.';
    const headers = known?.headers ?? {};
    const parameters = known?.parameters ?? [];
    if (isApiPath(path)) {
      request.response = problemResponse(
        {
          type: known?.type ?? 'about:blank',
          title,
          status,
          detail,
          instance: path,
          ...(parameters.length > 0 ? { errors: parameters } : {}),
          ...(status >= 500 && requestId ? { requestId } : {}),
        },
        headers,
      );
    } else {
      request.response = {
        statusCode: status,
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': NO_STORE, ...headers },
        body: options.renderErrorPage({
          status,
          title,
          detail,
          parameters,
          ...(status >= 500 && requestId ? { requestId } : {}),
        }),
      };
    }
  };
  return { onError: respondWithProblem };
}
