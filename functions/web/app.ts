import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler from '@middy/http-router';
import { createControllers, type WebDependencies } from './controllers.ts';
import type { HttpEvent, HttpResponse } from './http-event.ts';
import { conditionalGet } from './middlewares/conditional-get.ts';
import { headWithoutBody } from './middlewares/head-without-body.ts';
import { problemResponses } from './middlewares/problem-responses.ts';
import { securityHeaders } from './middlewares/security-headers.ts';
import { renderErrorPage } from './render.ts';
import { routeDefinitions, routeNotFound, routesFor } from './routes.ts';

/**
 * The web function's middy chain, built from its dependencies so tests can run it with fakes.
 * After-middlewares run in reverse order of `use`: the problem responder turns errors into
 * responses first, then ETag/304, then HEAD strips bodies, then security headers go on all.
 */
export function createWebHandler(dependencies: WebDependencies & { logger: Logger }) {
  const definitions = routeDefinitions(createControllers(dependencies));
  const { logger, config } = dependencies;
  return middy<HttpEvent, HttpResponse>()
    .use(injectLambdaContext(logger))
    .use(httpHeaderNormalizer())
    .use(
      securityHeaders({
        uploadsOrigin: config.uploadsOrigin,
        strictTransportSecurity: config.strictTransportSecurity,
      }),
    )
    .use(headWithoutBody())
    .use(conditionalGet())
    .use(
      problemResponses({
        logError: (message, details) => logger.error(message, details),
        renderErrorPage,
      }),
    )
    .handler(
      httpRouterHandler<HttpEvent, HttpResponse>({
        routes: routesFor(definitions),
        notFoundResponse: routeNotFound(definitions),
      }),
    );
}
