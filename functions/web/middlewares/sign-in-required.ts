import type { MiddlewareObj } from '@middy/core';
import { type Access, canUpload, grantAccess } from '../auth/access.ts';
import { signInLocation } from '../auth/return-to.ts';
import type { Identification } from '../auth/session.ts';
import type { SignIn } from '../auth/sign-in.ts';
import { TokenCheckUnavailableError } from '../auth/tokens.ts';
import {
  answersWithData,
  type HttpEvent,
  type HttpResponse,
  requestMethod,
  requestPath,
  type WebRequest,
} from '../http-event.ts';
import { HttpProblemError, HttpRedirect } from '../problem.ts';
import type { RouteAccess } from '../routes.ts';

export interface SignInRequiredOptions {
  signIn: SignIn;
  /** The rule of the route a request is for (routes.ts: deny by default). */
  accessFor: (method: string, path: string) => RouteAccess;
}

/** A signed-out caller: pages go to the sign-in, the API answers 401. */
function signedOut(event: HttpEvent, identification: Identification): Error {
  const path = requestPath(event);
  if (!answersWithData(path)) return new HttpRedirect(signInLocation(event));
  const challenge = identification.invalidToken ? 'Bearer error="invalid_token"' : 'Bearer';
  const detail = identification.invalidToken
    ? 'The access token is not valid (expired, edited or issued to another client). Sign in again.'
    : 'Sign in, or send an access token as Authorization: Bearer <token>.';
  return new HttpProblemError(401, 'Unauthorized', detail, { headers: { 'www-authenticate': challenge } });
}

function refused(access: Access, rule: RouteAccess): HttpProblemError | undefined {
  const who = access.signedInAs ? `You are signed in as ${access.signedInAs}, but you` : 'You';
  if (!access.role) {
    return new HttpProblemError(
      403,
      'No access',
      `${who} are in neither the viewer nor the manager group. Ask an administrator to add you to one.`,
    );
  }
  if (rule === 'manager' && !canUpload(access)) {
    return new HttpProblemError(403, 'Forbidden', `${who} may only read: uploads are for managers.`);
  }
  if (rule === 'nobody') return new HttpProblemError(403, 'Forbidden', 'This route is open to nobody.');
  return undefined;
}

async function identified(signIn: SignIn, event: HttpEvent): Promise<Identification> {
  try {
    return await signIn.identify(event);
  } catch (error) {
    if (!(error instanceof TokenCheckUnavailableError)) throw error;
    throw new HttpProblemError(
      503,
      'Service Unavailable',
      'Sign-in cannot be checked right now. Try again soon.',
      {
        cause: error,
        headers: { 'retry-after': '5' },
      },
    );
  }
}

/**
 * Every request but the public routes' needs a signed-in user with the route's role
 * (routes.ts gives each route its rule; a route without one is open to nobody). Identifying
 * may refresh the session: the new cookies go on the answer, whatever it is. An answer to a
 * signed-in user is `private`: shared caches must not keep it.
 */
export function signInRequired(options: SignInRequiredOptions): MiddlewareObj<HttpEvent, HttpResponse> {
  const cookiesFor = new WeakMap<HttpEvent, string[]>();

  const checkSignIn = async (request: WebRequest): Promise<void> => {
    const { event } = request;
    const rule = options.accessFor(requestMethod(event), requestPath(event));
    if (rule === 'anyone') return;
    const identification = await identified(options.signIn, event);
    cookiesFor.set(event, identification.cookies);
    const { access } = identification;
    if (!access) throw signedOut(event, identification);
    const refusal = refused(access, rule);
    if (refusal) throw refusal;
    grantAccess(event, access);
  };

  const addSessionCookies = async (request: WebRequest): Promise<void> => {
    const { response, event } = request;
    const cookies = cookiesFor.get(event);
    if (!response || cookies === undefined) return;
    if (cookies.length > 0) response.cookies = [...(response.cookies ?? []), ...cookies];
    const cacheControl = response.headers['cache-control'];
    if (options.signIn.mode === 'oidc' && cacheControl && !/\b(private|no-store)\b/.test(cacheControl)) {
      response.headers['cache-control'] = `private, ${cacheControl}`;
    }
  };

  return { before: checkSignIn, after: addSessionCookies, onError: addSessionCookies };
}
