import type { Method, Route } from '@middy/http-router';
import type { Controller, Controllers } from './controllers.ts';
import type { HttpEvent, HttpResponse } from './http-event.ts';
import { HttpProblemError } from './problem.ts';

/**
 * Who may use a route (the sign-in-required middleware enforces it):
 * - `anyone`: no sign-in (the health check, the assets, the sign-in routes themselves);
 * - `viewer`: a signed-in viewer or manager; `manager`: a signed-in manager;
 * - `nobody`: what a route without a rule gets — deny by default.
 */
export type RouteAccess = 'anyone' | 'viewer' | 'manager' | 'nobody';

export interface RouteDefinition {
  method: Exclude<Method, 'ANY' | 'HEAD'>;
  path: string;
  handler: Controller;
  /** Left out, the route is open to nobody (see routeAccess). */
  access?: RouteAccess;
}

/** Every route of the web function. HEAD is added for each GET. */
export function routeDefinitions(controllers: Controllers): RouteDefinition[] {
  return [
    { method: 'GET', path: '/', handler: controllers.dashboardPage, access: 'viewer' },
    { method: 'GET', path: '/stores/{store}', handler: controllers.storePage, access: 'viewer' },
    {
      method: 'GET',
      path: '/stores/{store}/items/{item}',
      handler: controllers.itemPage,
      access: 'viewer',
    },
    { method: 'GET', path: '/alerts', handler: controllers.alertsPage, access: 'viewer' },
    { method: 'GET', path: '/search', handler: controllers.searchPage, access: 'viewer' },
    { method: 'GET', path: '/imports', handler: controllers.importsPage, access: 'viewer' },
    { method: 'GET', path: '/api/stores', handler: controllers.apiStores, access: 'viewer' },
    {
      method: 'GET',
      path: '/api/stores/{store}/items',
      handler: controllers.apiStoreItems,
      access: 'viewer',
    },
    {
      method: 'GET',
      path: '/api/stores/{store}/items/{item}/history',
      handler: controllers.apiItemHistory,
      access: 'viewer',
    },
    { method: 'GET', path: '/api/attention', handler: controllers.apiAttention, access: 'viewer' },
    { method: 'GET', path: '/api/alerts', handler: controllers.apiAlerts, access: 'viewer' },
    { method: 'GET', path: '/api/search', handler: controllers.apiSearch, access: 'viewer' },
    { method: 'GET', path: '/api/imports', handler: controllers.apiImports, access: 'viewer' },
    { method: 'POST', path: '/api/uploads', handler: controllers.apiUploads, access: 'manager' },
    { method: 'GET', path: '/auth/login', handler: controllers.signInStart, access: 'anyone' },
    { method: 'GET', path: '/auth/callback', handler: controllers.signInCallback, access: 'anyone' },
    // Anyone may sign out (a stale session included); the POST is CSRF-checked like every other.
    { method: 'POST', path: '/auth/logout', handler: controllers.signOut, access: 'anyone' },
    { method: 'GET', path: '/assets/app.css', handler: controllers.asset, access: 'anyone' },
    { method: 'GET', path: '/assets/app.js', handler: controllers.asset, access: 'anyone' },
    { method: 'GET', path: '/assets/favicon.svg', handler: controllers.asset, access: 'anyone' },
    { method: 'GET', path: '/healthz', handler: controllers.healthz, access: 'anyone' },
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

/**
 * The rule for a request: its route's (HEAD as GET), `nobody` for a route without one. A path
 * no route has is for signed-in users (who then get 404), so a signed-out caller learns
 * nothing of what exists; a known path with another method keeps the rule of a public route
 * on it (so `GET /auth/logout` is a 405 for anyone).
 */
export function routeAccess(definitions: RouteDefinition[], method: string, path: string): RouteAccess {
  const routeMethod = method === 'HEAD' ? 'GET' : method;
  const onPath = definitions.filter((definition) => pathPattern(definition.path).test(path));
  const route = onPath.find((definition) => definition.method === routeMethod);
  if (route) return route.access ?? 'nobody';
  return onPath.some((definition) => definition.access === 'anyone') ? 'anyone' : 'viewer';
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
