import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler from '@middy/http-router';
import { createSignIn, type SignIn } from './auth/sign-in.ts';
import type { AuthConfig } from './config.ts';
import { createControllers, type WebDependencies } from './controllers.ts';
import type { HttpEvent, HttpResponse } from './http-event.ts';
import { conditionalGet } from './middlewares/conditional-get.ts';
import { headWithoutBody } from './middlewares/head-without-body.ts';
import { originVerified } from './middlewares/origin-verified.ts';
import { problemResponses } from './middlewares/problem-responses.ts';
import { sameOriginPosts } from './middlewares/same-origin-posts.ts';
import { securityHeaders } from './middlewares/security-headers.ts';
import { signInRequired } from './middlewares/sign-in-required.ts';
import { renderErrorPage } from './page-layout.ts';
import { routeAccess, routeDefinitions, routeNotFound, routesFor } from './routes.ts';

/**
 * The origins the sign-out form ends up at (the provider's end-session or logout page): a
 * browser checks a form's redirects against the CSP's form-action too.
 */
function signInOrigins(auth: AuthConfig): string[] {
  if (auth.mode === 'none') return [];
  const origins = [auth.issuer, auth.logoutUrl].flatMap((url) => (url ? [new URL(url).origin] : []));
  return [...new Set(origins)];
}

/**
 * The web function's middy chain, built from its dependencies so tests can run it with fakes.
 * Before-middlewares run in the order of `use`: the origin check (the request came through the
 * distribution), the CSRF check, then the sign-in. After- and error-middlewares run in reverse:
 * the problem responder turns errors (a redirect to the sign-in among them) into responses
 * first, then ETag/304, then HEAD strips bodies, then the session cookies and security headers
 * go on every answer.
 */
export function createWebHandler(dependencies: WebDependencies & { logger: Logger; signIn?: SignIn }) {
  const { logger, config } = dependencies;
  const logWarning = (message: string, details: Record<string, unknown>) => logger.warn(message, details);
  const signIn =
    dependencies.signIn ?? createSignIn(config.auth, { publicOrigin: config.publicOrigin, logWarning });
  const definitions = routeDefinitions(createControllers({ ...dependencies, signIn }));
  return middy<HttpEvent, HttpResponse>()
    .use(injectLambdaContext(logger))
    .use(httpHeaderNormalizer())
    .use(
      securityHeaders({
        uploadsOrigin: config.uploadsOrigin,
        signInOrigins: signInOrigins(config.auth),
        publicOrigin: config.publicOrigin,
        strictTransportSecurity: config.strictTransportSecurity,
      }),
    )
    .use(originVerified({ check: config.edge.originCheck, secrets: config.edge.secrets }))
    .use(sameOriginPosts(config.publicOrigin))
    .use(signInRequired({ signIn, accessFor: (method, path) => routeAccess(definitions, method, path) }))
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
