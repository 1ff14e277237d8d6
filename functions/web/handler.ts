import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createObservability } from '#shared/observability.ts';

const { logger } = createObservability();

async function healthz(): Promise<APIGatewayProxyResultV2> {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ status: 'ok' }),
  };
}

const routes: Route<APIGatewayProxyEventV2, APIGatewayProxyResultV2>[] = [
  { method: 'GET', path: '/healthz', handler: healthz },
];

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrorHandler({ logger: (error) => logger.error('request failed', { error }) }))
  .handler(httpRouterHandler(routes));
