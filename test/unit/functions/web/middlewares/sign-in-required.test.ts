import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { OPEN_ACCESS } from '../../../../../functions/web/auth/access.ts';
import type { SignIn } from '../../../../../functions/web/auth/sign-in.ts';
import type { HttpEvent, HttpResponse } from '../../../../../functions/web/http-event.ts';
import { signInRequired } from '../../../../../functions/web/middlewares/sign-in-required.ts';
import { HttpProblemError } from '../../../../../functions/web/problem.ts';
import { USERS } from '../auth/fake-provider.ts';
import { useFakeProvider } from '../auth/signed-in-handler.ts';
import { call, httpEvent, lambdaContext, makeHandler } from '../helpers.ts';

const fake = useFakeProvider();
const { signedInHandler } = fake;

const uploadRequest = (cookies: string[]) =>
  httpEvent('POST', '/api/uploads', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'inventory', filename: 'stock.csv' }),
    cookies,
  });

describe('the roles', () => {
  it('let a viewer read but not upload: no upload forms, and 403 from POST /api/uploads', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const viewer = fake.provider().sessionCookies(USERS.viewer);

    // Act
    const page = await call(handler, httpEvent('GET', '/', { cookies: viewer }));
    const upload = await call(handler, uploadRequest(viewer));

    // Assess
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('data-upload');
    expect(upload.statusCode).toBe(403);
    expect(upload.headers['content-type']).toBe('application/problem+json');
  });

  it('let a manager upload with the session cookies', async () => {
    // Prepare
    const { handler } = signedInHandler();

    // Act
    const upload = await call(handler, uploadRequest(fake.provider().sessionCookies(USERS.manager)));

    // Assess
    expect(upload.statusCode).toBe(200);
    expect(JSON.parse(upload.body).fields['x-amz-meta-uploaded-by']).toBe(USERS.manager.sub);
  });

  it('give a signed-in user in no group a 403 page that says so, and 403 on the API', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const nobody = fake.provider().sessionCookies(USERS.nobody);

    // Act
    const page = await call(handler, httpEvent('GET', '/', { cookies: nobody }));
    const api = await call(handler, httpEvent('GET', '/api/stores', { cookies: nobody }));

    // Assess
    expect(page.statusCode).toBe(403);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain(
      'You are signed in as nobody@stockroom.test, but you are in neither the viewer',
    );
    expect(api.statusCode).toBe(403);
    expect(JSON.parse(api.body).title).toBe('No access');
  });

  it('say in the header who is signed in, with a sign-out button; and that sign-in is off with AUTH_MODE=none', async () => {
    // Prepare
    const { handler } = signedInHandler();
    const open = makeHandler();
    mockClient(open.clients.documentClient).on(ScanCommand).resolves({ Items: [] });

    // Act
    const signedIn = await call(
      handler,
      httpEvent('GET', '/', { cookies: fake.provider().sessionCookies(USERS.manager) }),
    );
    const signInOff = await call(open.handler, httpEvent('GET', '/'));

    // Assess
    expect(signedIn.body).toMatch(
      /Signed in as <strong>manager@stockroom\.test<\/strong><\/p>\s*<form method="post" action="\/auth\/logout"><button type="submit">Sign out<\/button>/,
    );
    expect(signInOff.body).toContain('<p class="session">Sign-in is off (local)</p>');
    expect(signInOff.body).not.toContain('/auth/logout');
    expect(signInOff.headers['cache-control']).toBe('no-cache');
  });
});

describe('signInRequired', () => {
  function request(event: HttpEvent): Request<HttpEvent, HttpResponse, Error, Context> {
    return { event, context: lambdaContext, response: null, error: null, internal: {} };
  }
  const openSignIn = {
    mode: 'none',
    identify: async () => ({ access: OPEN_ACCESS, cookies: [] }),
  } as unknown as SignIn;

  it('refuses a route open to nobody even when sign-in is off', async () => {
    // Prepare
    const middleware = signInRequired({ signIn: openSignIn, accessFor: () => 'nobody' });

    // Act
    const refused = middleware.before?.(request(httpEvent('GET', '/reports/7')));

    // Assess
    await expect(refused).rejects.toBeInstanceOf(HttpProblemError);
    await expect(refused).rejects.toMatchObject({ status: 403 });
  });

  it('does not identify the caller of a public route', async () => {
    // Prepare
    let identified = 0;
    const counting = {
      ...openSignIn,
      identify: async () => {
        identified += 1;
        return { cookies: [] };
      },
    };
    const middleware = signInRequired({ signIn: counting as SignIn, accessFor: () => 'anyone' });

    // Act
    await middleware.before?.(request(httpEvent('GET', '/healthz')));

    // Assess
    expect(identified).toBe(0);
  });
});
