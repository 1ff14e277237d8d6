import type { AuthConfig } from '../config.ts';
import type { HttpEvent } from '../http-event.ts';
import { OPEN_ACCESS } from './access.ts';
import { createOidcSignIn } from './oidc-sign-in.ts';
import type { Identification } from './session.ts';

/** Where to send the browser next, and the cookies to set on the way. */
export interface SignInRedirect {
  location: string;
  cookies: string[];
}

/**
 * The sign-in, as the middleware and the `/auth/*` routes see it; one per container, so that
 * the provider's discovery and signing keys are fetched once.
 */
export interface SignIn {
  readonly mode: AuthConfig['mode'];
  /** Who sent the request (a bearer token, else the session cookies), refreshing the session if due. */
  identify(event: HttpEvent): Promise<Identification>;
  /** `GET /auth/login`: off to the provider, to come back to `returnTo`. */
  begin(event: HttpEvent, returnTo: string): Promise<SignInRedirect>;
  /** `GET /auth/callback`: the provider's answer, exchanged for a session. */
  complete(event: HttpEvent): Promise<SignInRedirect>;
  /** `POST /auth/logout`: the session revoked and cleared, then the provider's sign-out. */
  end(event: HttpEvent): Promise<SignInRedirect>;
}

export interface SignInDependencies {
  publicOrigin: string | undefined;
  logWarning: (message: string, details: Record<string, unknown>) => void;
  /** Seconds since the epoch; tests move it. */
  nowSeconds?: () => number;
}

/** `AUTH_MODE=none`: everyone is let in; the sign-in routes only lead back. */
const OPEN_SIGN_IN: SignIn = {
  mode: 'none',
  identify: async () => ({ access: OPEN_ACCESS, cookies: [] }),
  begin: async (_event, returnTo) => ({ location: returnTo, cookies: [] }),
  complete: async () => ({ location: '/', cookies: [] }),
  end: async () => ({ location: '/', cookies: [] }),
};

export function createSignIn(config: AuthConfig, dependencies: SignInDependencies): SignIn {
  if (config.mode === 'none') return OPEN_SIGN_IN;
  return createOidcSignIn(config, {
    ...dependencies,
    nowSeconds: dependencies.nowSeconds ?? (() => Math.floor(Date.now() / 1000)),
  });
}
