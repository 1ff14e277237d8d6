import * as oidc from 'openid-client';
import type { OidcConfig } from '../config.ts';
import { isLoopbackUrl } from '../http-event.ts';

/**
 * The OpenID provider, through openid-client: Cognito on AWS, the local provider in the local
 * cloud, the same calls for both. Its discovery document is fetched once per container (and
 * again after a failure), so a warm function signs in without an extra round trip.
 */

/** The tokens a code exchange or a refresh answers with. */
export interface ProviderTokens {
  idToken: string;
  accessToken: string;
  /** Cognito answers a refresh without a new refresh token: the old one stays valid. */
  refreshToken?: string;
}

/** The provider could not be reached or did not answer as a provider should. */
export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';
}

/** The provider refused: a code or refresh token that is not (or no longer) valid, a denied sign-in. */
export class ProviderRefusedError extends Error {
  override name = 'ProviderRefusedError';
}

// Lambda allows the web function 10 s; a provider slower than this is treated as down.
const PROVIDER_TIMEOUT_SECONDS = 4;

/** openid-client's errors, sorted into "the provider said no" and "the provider is not there". */
function classified(error: unknown): Error {
  if (
    error instanceof oidc.AuthorizationResponseError ||
    error instanceof oidc.ResponseBodyError ||
    error instanceof oidc.ClientError
  ) {
    return new ProviderRefusedError(`The provider refused: ${error.message}`, { cause: error });
  }
  return new ProviderUnavailableError('The sign-in provider did not answer.', { cause: error });
}

function tokensOf(response: oidc.TokenEndpointResponse): ProviderTokens {
  if (!response.id_token) throw new ProviderRefusedError('The provider answered without an ID token.');
  return {
    idToken: response.id_token,
    accessToken: response.access_token,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
  };
}

export interface SignInRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface Provider {
  /** The discovered metadata: issuer, JWKS URI, endpoints. */
  metadata(): Promise<oidc.ServerMetadata>;
  authorizationUrl(request: SignInRequest): Promise<string>;
  /** Exchanges the code in `callbackUrl` (the full URL the provider redirected to). */
  exchangeCode(
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string },
  ): Promise<ProviderTokens>;
  refresh(refreshToken: string): Promise<ProviderTokens>;
  /** Revokes a refresh token, if the provider has a revocation endpoint; false if it has none. */
  revoke(refreshToken: string): Promise<boolean>;
  /** Where to send the browser to end its session with the provider, coming back to `returnTo`. */
  signOutUrl(options: { idToken?: string; returnTo: string }): Promise<string>;
}

export function createProvider(config: OidcConfig): Provider {
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = (): Promise<oidc.Configuration> => {
    discovered ??= oidc
      .discovery(new URL(config.issuer), config.clientId, undefined, oidc.None(), {
        timeout: PROVIDER_TIMEOUT_SECONDS,
        // Plain HTTP only for the local provider on 127.0.0.1 (config.ts refuses it elsewhere).
        execute: isLoopbackUrl(config.issuer) ? [oidc.allowInsecureRequests] : [],
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw new ProviderUnavailableError('The sign-in provider could not be discovered.', { cause: error });
      });
    return discovered;
  };
  const attempt = async <T>(call: (configuration: oidc.Configuration) => Promise<T>): Promise<T> => {
    const found = await configuration();
    try {
      return await call(found);
    } catch (error) {
      throw classified(error);
    }
  };
  return {
    metadata: async () => (await configuration()).serverMetadata(),
    authorizationUrl: ({ redirectUri, state, nonce, codeVerifier }) =>
      attempt(async (found) => {
        const parameters = {
          redirect_uri: redirectUri,
          scope: 'openid email profile',
          state,
          nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
        };
        return oidc.buildAuthorizationUrl(found, parameters).href;
      }),
    exchangeCode: (callbackUrl, checks) =>
      attempt(async (found) => {
        const response = await oidc.authorizationCodeGrant(found, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
        return tokensOf(response);
      }),
    refresh: (refreshToken) =>
      attempt(async (found) => tokensOf(await oidc.refreshTokenGrant(found, refreshToken))),
    revoke: (refreshToken) =>
      attempt(async (found) => {
        if (!found.serverMetadata().revocation_endpoint) return false;
        await oidc.tokenRevocation(found, refreshToken, { token_type_hint: 'refresh_token' });
        return true;
      }),
    signOutUrl: ({ idToken, returnTo }) =>
      signOutUrl(config, configuration, { returnTo, ...(idToken ? { idToken } : {}) }),
  };
}

/**
 * The provider's end-session endpoint when its discovery names one (the local provider);
 * else Cognito's `/logout`, which takes `client_id` and `logout_uri`
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html); else our `/`.
 */
async function signOutUrl(
  config: OidcConfig,
  configuration: () => Promise<oidc.Configuration>,
  options: { idToken?: string; returnTo: string },
): Promise<string> {
  const found = await configuration().catch(() => undefined);
  if (found?.serverMetadata().end_session_endpoint) {
    return oidc.buildEndSessionUrl(found, {
      post_logout_redirect_uri: options.returnTo,
      client_id: config.clientId,
      ...(options.idToken ? { id_token_hint: options.idToken } : {}),
    }).href;
  }
  if (config.logoutUrl) {
    const url = new URL(config.logoutUrl);
    url.searchParams.set('client_id', config.clientId);
    url.searchParams.set('logout_uri', options.returnTo);
    return url.href;
  }
  return options.returnTo;
}
