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
  // Each problem reads as a sentence, "page must be a whole number from 1 to 100,000".
  const detail = parameters.map((p) => `${p.parameter} ${p.detail}`).join('; ');
  return new HttpProblemError(400, 'Invalid request parameter', detail, {
    type: INVALID_PARAMETER_TYPE,
    parameters,
    cause,
  });
}

export function notFound(detail: string): HttpProblemError {
  return new HttpProblemError(404, 'Not Found', detail);
}

/** Import reports list every store's rows: users limited to some stores do not see them. */
export function importReportsRefused(): HttpProblemError {
  return new HttpProblemError(
    403,
    'Forbidden',
    'Import reports list rows of every store, so they are shown only to users who see every store.',
  );
}

/**
 * Ends a request with a redirect instead of an answer: a signed-out visitor asking for a page
 * is sent to the sign-in (302). Thrown from a middleware's `before`, it goes through the same
 * after-chain (security headers, cookies) as any error.
 */
export class HttpRedirect extends Error {
  override name = 'HttpRedirect';
  readonly location: string;

  constructor(location: string) {
    super(`redirect to ${location}`);
    this.location = location;
  }
}
