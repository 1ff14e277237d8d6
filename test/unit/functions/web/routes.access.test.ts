import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controllers } from '../../../../functions/web/controllers.ts';
import { type RouteAccess, routeAccess, routeDefinitions } from '../../../../functions/web/routes.ts';
import { type FakeProvider, startFakeProvider } from './auth/fake-provider.ts';
import { call, httpEvent, makeHandler } from './helpers.ts';

/**
 * Every route and what a signed-out caller gets from it. A route added to routes.ts without a
 * line here fails the first test; one added without an `access` rule fails it too (and is open
 * to nobody meanwhile).
 */
const RULES: Record<string, { access: RouteAccess; signedOut: 'sign-in page' | '401' | 'served' }> = {
  'GET /': { access: 'viewer', signedOut: 'sign-in page' },
  'GET /stores/{store}': { access: 'viewer', signedOut: 'sign-in page' },
  'GET /stores/{store}/items/{item}': { access: 'viewer', signedOut: 'sign-in page' },
  'GET /alerts': { access: 'viewer', signedOut: 'sign-in page' },
  'GET /search': { access: 'viewer', signedOut: 'sign-in page' },
  'GET /imports': { access: 'viewer', signedOut: 'sign-in page' },
  'GET /api/stores': { access: 'viewer', signedOut: '401' },
  'GET /api/stores/{store}/items': { access: 'viewer', signedOut: '401' },
  'GET /api/stores/{store}/items/{item}/history': { access: 'viewer', signedOut: '401' },
  'GET /api/attention': { access: 'viewer', signedOut: '401' },
  'GET /api/alerts': { access: 'viewer', signedOut: '401' },
  'GET /api/search': { access: 'viewer', signedOut: '401' },
  'GET /api/imports': { access: 'viewer', signedOut: '401' },
  'POST /api/uploads': { access: 'manager', signedOut: '401' },
  'GET /auth/login': { access: 'anyone', signedOut: 'served' },
  'GET /auth/callback': { access: 'anyone', signedOut: 'served' },
  'POST /auth/logout': { access: 'anyone', signedOut: 'served' },
  'GET /assets/app.css': { access: 'anyone', signedOut: 'served' },
  'GET /assets/app.js': { access: 'anyone', signedOut: 'served' },
  'GET /assets/favicon.svg': { access: 'anyone', signedOut: 'served' },
  'GET /healthz': { access: 'anyone', signedOut: 'served' },
};

/** Controllers are not called by routeDefinitions: any function will do. */
const anyControllers = new Proxy({}, { get: () => async () => ({ statusCode: 200, headers: {}, body: '' }) });
const definitions = routeDefinitions(anyControllers as Controllers);

const samplePath = (path: string) => path.replace('{store}', 'Berlin Mitte').replace('{item}', 'widget');

let provider: FakeProvider;

beforeAll(async () => {
  provider = await startFakeProvider();
});

afterAll(async () => {
  await provider.close();
});

describe('the rule of every route (deny by default)', () => {
  it('gives every route an explicit rule, the one in the table', () => {
    // Act
    const rules = Object.fromEntries(
      definitions.map((route) => [`${route.method} ${route.path}`, route.access]),
    );

    // Assess
    expect(rules).toStrictEqual(
      Object.fromEntries(Object.entries(RULES).map(([route, rule]) => [route, rule.access])),
    );
  });

  it.each(Object.entries(RULES))('%s answers a signed-out caller as the table says', async (route, rule) => {
    // Prepare
    const { handler } = makeHandler({ config: { auth: provider.authConfig } });
    const [method = 'GET', path = '/'] = route.split(' ');
    const target = samplePath(path);
    const methods = method === 'GET' ? ['GET', 'HEAD'] : [method];

    for (const asked of methods) {
      // Act
      const response = await call(handler, httpEvent(asked, encodeURI(target)));

      // Assess
      if (rule.signedOut === 'sign-in page') {
        expect(response.statusCode).toBe(302);
        expect(response.headers.location).toBe(
          `/auth/login?returnTo=${encodeURIComponent(encodeURI(target))}`,
        );
      } else if (rule.signedOut === '401') {
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer');
        if (asked !== 'HEAD') expect(response.headers['content-type']).toBe('application/problem+json');
      } else {
        expect(response.statusCode).not.toBe(401);
        expect(response.headers.location ?? '').not.toMatch(/^\/auth\/login/);
      }
    }
  });

  it('opens a route without a rule to nobody, and asks for a sign-in on a path no route has', () => {
    // Prepare
    const handler = async () => ({ statusCode: 200, headers: {}, body: '' });
    const withNewRoute = [...definitions, { method: 'GET' as const, path: '/reports/{id}', handler }];

    // Act
    const newRoute = routeAccess(withNewRoute, 'GET', '/reports/7');
    const head = routeAccess(withNewRoute, 'HEAD', '/reports/7');
    const unknown = routeAccess(definitions, 'GET', '/nowhere');
    const wrongMethodOnPublic = routeAccess(definitions, 'GET', '/auth/logout');
    const wrongMethodOnApi = routeAccess(definitions, 'DELETE', '/api/stores');

    // Assess
    expect(newRoute).toBe('nobody');
    expect(head).toBe('nobody');
    expect(unknown).toBe('viewer');
    expect(wrongMethodOnPublic).toBe('anyone');
    expect(wrongMethodOnApi).toBe('viewer');
  });

  it('answers a signed-out caller on an unknown path like on any page: no hint of what exists', async () => {
    // Prepare
    const { handler } = makeHandler({ config: { auth: provider.authConfig } });

    // Act
    const page = await call(handler, httpEvent('GET', '/admin'));
    const api = await call(handler, httpEvent('GET', '/api/admin'));

    // Assess
    expect(page.statusCode).toBe(302);
    expect(api.statusCode).toBe(401);
  });
});
