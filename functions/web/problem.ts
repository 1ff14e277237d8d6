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

export function notFound(detail: string): HttpProblemError {
  return new HttpProblemError(404, 'Not Found', detail);
}
