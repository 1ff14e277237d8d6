import type { Method, Route } from '@middy/http-router';
import type { Controller, Controllers } from './controllers.ts';
import type { HttpEvent, HttpResponse } from './http-event.ts';
import { HttpProblemError } from './problem.ts';

export interface RouteDefinition {
  method: Exclude<Method, 'ANY' | 'HEAD'>;
  path: string;
  handler: Controller;
}

/** Every route of the web function. HEAD is added for each GET. */
export function routeDefinitions(controllers: Controllers): RouteDefinition[] {
  return [
    { method: 'GET', path: '/', handler: controllers.dashboardPage },
    { method: 'GET', path: '/stores/{store}', handler: controllers.storePage },
    { method: 'GET', path: '/imports', handler: controllers.importsPage },
    { method: 'GET', path: '/items/{item}/thumbnail', handler: controllers.itemThumbnail },
    { method: 'GET', path: '/api/stores', handler: controllers.apiStores },
    { method: 'GET', path: '/api/stores/{store}/items', handler: controllers.apiStoreItems },
    { method: 'GET', path: '/api/imports', handler: controllers.apiImports },
    { method: 'POST', path: '/api/uploads', handler: controllers.apiUploads },
    { method: 'GET', path: '/assets/app.css', handler: controllers.asset },
    { method: 'GET', path: '/assets/app.js', handler: controllers.asset },
    { method: 'GET', path: '/healthz', handler: controllers.healthz },
  ];
}

/** The same matching as @middy/http-router: `{name}` is one segment, a trailing `/` is optional. */
function pathPattern(path: string): RegExp {
  const pattern = path
    .replace(/\/$/, '')
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\/\{[^/]+\}/g, '/[^/]+');
  return new RegExp(`^${pattern}/?$`);
}

/** The methods a path answers to, for a 405's Allow header. */
export function allowedMethods(definitions: RouteDefinition[], path: string): string[] {
  const methods = new Set<string>();
  for (const definition of definitions) {
    if (pathPattern(definition.path).test(path)) {
      methods.add(definition.method);
      if (definition.method === 'GET') methods.add('HEAD');
    }
  }
  return [...methods].sort();
}

export function routesFor(definitions: RouteDefinition[]): Route<HttpEvent, HttpResponse>[] {
  return definitions.flatMap((definition) =>
    definition.method === 'GET' ? [definition, { ...definition, method: 'HEAD' as const }] : [definition],
  );
}

/** 404 for an unknown path, 405 (with Allow) for a known path and the wrong method. */
export function routeNotFound(definitions: RouteDefinition[]) {
  return ({ method, path }: { method: string; path: string }): never => {
    const allowed = allowedMethods(definitions, path);
    if (allowed.length > 0) {
      throw new HttpProblemError(
        405,
        'Method Not Allowed',
        `${method} is not supported on ${path}; use ${allowed.join(', ')}.`,
        { headers: { allow: allowed.join(', ') } },
      );
    }
    throw new HttpProblemError(404, 'Not Found', `There is nothing at ${path}.`);
  };
}
