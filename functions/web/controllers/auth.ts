import { safeReturnTo } from '../auth/return-to.ts';
import type { SignIn, SignInRedirect } from '../auth/sign-in.ts';
import type { Controller } from '../controllers.ts';
import { redirectResponse } from '../responses.ts';

function redirect({ location, cookies }: SignInRedirect) {
  return { ...redirectResponse(location), ...(cookies.length > 0 ? { cookies } : {}) };
}

/**
 * The sign-in routes, CGI style: `GET /auth/login?returnTo=`, `GET /auth/callback` (where the
 * provider sends the browser back) and `POST /auth/logout` (the header's sign-out button).
 */
export function createAuthControllers(signIn: SignIn) {
  const signInStart: Controller = async (event) =>
    redirect(await signIn.begin(event, safeReturnTo(event.queryStringParameters?.returnTo)));

  const signInCallback: Controller = async (event) => redirect(await signIn.complete(event));

  const signOut: Controller = async (event) => redirect(await signIn.end(event));

  return { signInStart, signInCallback, signOut };
}
