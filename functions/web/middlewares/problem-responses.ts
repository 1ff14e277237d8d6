import type { MiddlewareObj } from '@middy/core';
import {
  answersWithData,
  type HttpEvent,
  type HttpResponse,
  requestPath,
  type WebRequest,
} from '../http-event.ts';
import { HttpProblemError, HttpRedirect, type ParameterProblem } from '../problem.ts';
import { errorPageResponse, problemResponse, redirectResponse } from '../responses.ts';

export interface ErrorPage {
  status: number;
  title: string;
  detail: string;
  parameters: ParameterProblem[];
  requestId?: string;
}

export interface ProblemResponderOptions {
  /** Logs an unexpected error; the caller only ever sees a generic 500. */
  logError: (message: string, details: Record<string, unknown>) => void;
  renderErrorPage: (page: ErrorPage) => string;
}

const INTERNAL_ERROR_DETAIL = 'Something went wrong on our side. It has been logged; please try again.';

/** What the caller may see of an error: all of an `HttpProblemError`, nothing of the rest. */
function visibleProblem(error: unknown) {
  const known = error instanceof HttpProblemError ? error : undefined;
  return {
    type: known?.type ?? 'about:blank',
    title: known?.title ?? 'Internal Server Error',
    status: known?.status ?? 500,
    detail: known?.detail ?? INTERNAL_ERROR_DETAIL,
    headers: known?.headers ?? {},
    parameters: known?.parameters ?? [],
  };
}

/**
 * Turns errors into responses: `HttpRedirect` → 302; `HttpProblemError` → its status (problem+json
 * for the API, a page elsewhere); anything else → 500 with a generic body and the
 * request id, while the error itself goes to the logs only.
 */
export function problemResponses(options: ProblemResponderOptions): MiddlewareObj<HttpEvent, HttpResponse> {
  const respondWithProblem = async (request: WebRequest): Promise<void> => {
    if (request.response !== undefined) return;
    const error = request.error;
    if (error instanceof HttpRedirect) {
      request.response = redirectResponse(error.location);
      return;
    }
    const path = requestPath(request.event);
    const awsRequestId = request.context?.awsRequestId;
    // A 5xx of our own (the sign-in provider unreachable) is logged too: it is ours to look into.
    if (!(error instanceof HttpProblemError) || error.status >= 500) {
      options.logError('request failed', { error, path, requestId: awsRequestId });
    }
    const { type, title, status, detail, headers, parameters } = visibleProblem(error);
    // The request id lets a caller quote a 500 that the logs then explain.
    const requestId = status >= 500 && awsRequestId ? { requestId: awsRequestId } : {};
    request.response = answersWithData(path)
      ? problemResponse(
          {
            type,
            title,
            status,
            detail,
            instance: path,
            ...(parameters.length > 0 ? { errors: parameters } : {}),
            ...requestId,
          },
          headers,
        )
      : errorPageResponse(
          status,
          options.renderErrorPage({ status, title, detail, parameters, ...requestId }),
          headers,
        );
  };
  return { onError: respondWithProblem };
}
