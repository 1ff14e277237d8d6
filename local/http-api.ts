import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LocalFunction } from './lambda-runtime.ts';
import { type LocalService, readBody, serverService } from './service.ts';
import type { FunctionEventHttpApi } from './service-config.ts';
import type { EdgeRoute } from './thumbnails-route.ts';

/**
 * API Gateway HTTP API stand-in. Routes come from the functions' `httpApi` events; each
 * request becomes a payload-format-2.0 event
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)
 * and the function's result is turned back into an HTTP response by the same rules as
 * API Gateway. JWT authorizers are not enforced locally.
 */
export interface HttpRoute {
  method: string; // GET, POST, …, or ANY
  path: string; // /stores/{store}, /{proxy+}, or * for $default
  fn: LocalFunction;
}

interface CompiledRoute extends HttpRoute {
  routeKey: string;
  pattern: RegExp | undefined;
  parameters: string[];
  /** Lower sorts first: literal paths, then parameters, then greedy paths, then $default. */
  rank: number[];
}

/** 10 MB: API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout for HTTP APIs is 30 s. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export function compileRoute(route: HttpRoute): CompiledRoute {
  if (route.path === '*' || route.path === '$default') {
    return { ...route, routeKey: '$default', pattern: undefined, parameters: [], rank: [3, 0, 0] };
  }
  const parameters: string[] = [];
  const segments = route.path.split('/').slice(1);
  // `{name}` is one segment, `{name+}` (greedy) the rest of the path.
  const patterns = segments.map((segment) => {
    const [, name, greedy] = /^\{(\w+)(\+?)\}$/.exec(segment) ?? [];
    if (name === undefined) return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    parameters.push(name);
    return greedy ? '/(.+)' : '/([^/]+)';
  });
  const greedy = patterns.includes('/(.+)');
  const source = patterns.join('');
  return {
    ...route,
    routeKey: `${route.method === 'ANY' ? 'ANY' : route.method} ${route.path}`,
    pattern: new RegExp(`^${source || '/'}$`),
    parameters,
    rank: [greedy ? 2 : parameters.length > 0 ? 1 : 0, -segments.length, route.method === 'ANY' ? 1 : 0],
  };
}

function compare(a: number[], b: number[]): number {
  return a.map((value, index) => value - (b[index] ?? 0)).find((difference) => difference !== 0) ?? 0;
}

export function matchRoute(
  routes: CompiledRoute[],
  method: string,
  path: string,
): { route: CompiledRoute; pathParameters: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    if (!route.pattern) return { route, pathParameters: {} };
    const match = route.pattern.exec(path);
    if (!match) continue;
    const values = match.slice(1).map((value) => decodeSegment(value ?? ''));
    const pathParameters = Object.fromEntries(route.parameters.map((name, i) => [name, values[i] ?? '']));
    return { route, pathParameters };
  }
  return undefined;
}

/**
 * The path as an HTTP API hands it to Lambda: percent-decoded (`rawPath` too, despite its
 * name), like the path parameters. A segment that is not valid percent-encoding is kept.
 */
export function decodedPath(pathname: string): string {
  return pathname.split('/').map(decodeSegment).join('/');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** API Gateway's own answer; the request's body, if any, is not wanted. */
function jsonMessage(response: ServerResponse, status: number, message: string): void {
  response.req.resume();
  response.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': randomUUID() });
  response.end(JSON.stringify({ message }));
}

export interface HttpApiOptions {
  port: number;
  accountId: string;
  log: (line: string) => void;
}

export interface HttpApiStandIn extends LocalService {
  url: string;
  port: number;
  /**
   * Routes to the functions, once loaded: their environment names the API's URL, so until
   * then it answers 503. `GET /healthz` answers 503 itself while an emulator is not well;
   * `edge` answers what the distribution serves without a function (thumbnails-route.ts).
   */
  serve(routes: HttpRoute[], health: () => Promise<Record<string, string>>, edge?: EdgeRoute): void;
  /** From now on every request is answered 503 (the cloud is stopping); those running finish. */
  drain(): void;
}

/** The routes of the functions' `httpApi` events (`GET /stores/{store}`, `*` for $default). */
export function httpRoutes(functions: Iterable<LocalFunction>): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const fn of functions) {
    for (const event of fn.definition.events ?? []) {
      if (!('httpApi' in event)) continue;
      const spec = (event as FunctionEventHttpApi).httpApi;
      const [method, path] =
        typeof spec !== 'string' ? [spec.method, spec.path] : spec === '*' ? ['ANY', '*'] : spec.split(/\s+/);
      if (method === undefined || path === undefined) continue;
      routes.push({ method: method === '*' ? 'ANY' : method.toUpperCase(), path, fn });
    }
  }
  return routes;
}

const TEXTUAL =
  /^(text\/|application\/(json|x-www-form-urlencoded|xml|problem\+json|javascript))|\+json|\+xml/i;

function isTextual(contentType: string | undefined): boolean {
  return !contentType || TEXTUAL.test(contentType);
}

/** API Gateway joins repeated headers and query parameters with commas. */
function append(values: Record<string, string>, name: string, value: string): void {
  values[name] = values[name] === undefined ? value : `${values[name]},${value}`;
}

export function toEventV2(
  request: IncomingMessage,
  body: Buffer,
  route: CompiledRoute,
  pathParameters: Record<string, string>,
  options: { accountId: string; port: number },
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] as string).toLowerCase();
    const value = request.rawHeaders[i + 1] as string;
    if (name !== 'cookie') append(headers, name, value);
    else cookies.push(...value.split(';').flatMap((cookie) => (cookie.trim() ? [cookie.trim()] : [])));
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) append(queryStringParameters, name, value);
  const now = new Date();
  const rawQueryString = (request.url ?? '').split('?')[1] ?? '';
  const binary = body.length > 0 && !isTextual(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: decodedPath(url.pathname),
    rawQueryString,
    headers,
    requestContext: {
      accountId: options.accountId,
      apiId: 'local',
      domainName: headers.host ?? `127.0.0.1:${options.port}`,
      domainPrefix: (headers.host ?? '127').split('.')[0] ?? '127',
      http: {
        method: request.method ?? 'GET',
        path: decodedPath(url.pathname),
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: binary,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (Object.keys(queryStringParameters).length > 0) event.queryStringParameters = queryStringParameters;
  if (Object.keys(pathParameters).length > 0) event.pathParameters = pathParameters;
  if (body.length > 0) event.body = binary ? body.toString('base64') : body.toString('utf8');
  return event;
}

/** Payload 2.0 response rules: a structured result is used as is, anything else is JSON. */
export function writeResult(response: ServerResponse, result: unknown, method: string): void {
  const structured = result as APIGatewayProxyStructuredResultV2 | null | undefined;
  if (structured === null || typeof structured !== 'object' || !('statusCode' in structured)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(method === 'HEAD' ? undefined : body);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (structured.cookies && structured.cookies.length > 0) headers['set-cookie'] = structured.cookies;
  const encoding = structured.isBase64Encoded ? 'base64' : 'utf8';
  const body = structured.body === undefined ? undefined : Buffer.from(structured.body, encoding);
  if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  response.writeHead(structured.statusCode ?? 200, headers);
  response.end(method === 'HEAD' ? undefined : body);
}

export async function startHttpApi(options: HttpApiOptions): Promise<HttpApiStandIn> {
  let routes: CompiledRoute[] | undefined;
  let edge: EdgeRoute | undefined;
  let health: () => Promise<Record<string, string>> = async () => ({});
  let draining = false;
  let port = options.port;
  const server: Server = createServer((request, response) => {
    if (draining) response.setHeader('connection', 'close');
    if (!routes || draining) return jsonMessage(response, 503, 'Service Unavailable');
    const served = routes;
    answerUnlessUnwell(request, response, health)
      .then(async (answered) => answered || ((await edge?.(request, response)) ?? false))
      .then((answered) =>
        answered ? undefined : answer(request, response, served, { accountId: options.accountId, port }),
      )
      .catch((error: unknown) => {
        options.log(`http: ${(error as Error).message}`);
        if (!response.headersSent) jsonMessage(response, 500, 'Internal Server Error');
      });
  });
  const service = await serverService(server, 'The HTTP API', 'http', options.port);
  port = service.port;
  const serve = (list: HttpRoute[], told: typeof health, edgeRoute?: EdgeRoute) => {
    edge = edgeRoute;
    routes = list.map(compileRoute).sort((a, b) => compare(a.rank, b.rank));
    health = told;
  };
  const drain = () => {
    draining = true;
  };
  const state = async () => (draining ? 'The HTTP API is stopping.' : service.health());
  return { ...service, health: state, serve, drain };
}

/**
 * `GET /healthz` while an emulator is not well: 503 with each one's state, which the web
 * function (it answers `{"status":"ok"}`, as on AWS) cannot know. True if it answered.
 */
async function answerUnlessUnwell(
  request: IncomingMessage,
  response: ServerResponse,
  health: () => Promise<Record<string, string>>,
): Promise<boolean> {
  if (request.method !== 'GET' || new URL(request.url ?? '/', 'http://localhost').pathname !== '/healthz')
    return false;
  const services = await health();
  if (Object.values(services).every((state) => state === 'ok')) return false;
  response.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify({ status: 'degraded', services }));
  return true;
}

/** One request, through the matching route's function, as API Gateway would run it. */
async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  routes: CompiledRoute[],
  where: { accountId: string; port: number },
): Promise<void> {
  const method = (request.method ?? 'GET').toUpperCase();
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const matched = matchRoute(routes, method, path);
  if (!matched) return jsonMessage(response, 404, 'Not Found');
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === undefined) return jsonMessage(response, 413, 'Request Entity Too Large');
  const event = toEventV2(request, body, matched.route, matched.pathParameters, where);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS);
    });
    const result = await Promise.race([matched.route.fn.invoke(event, 'http'), timeout]);
    if (result === 'timeout') jsonMessage(response, 503, 'Service Unavailable');
    else writeResult(response, result, method);
  } catch {
    // API Gateway answers a failed integration with a bare 500; details stay in the logs.
    if (!response.headersSent) jsonMessage(response, 500, 'Internal Server Error');
  } finally {
    clearTimeout(timer);
  }
}
