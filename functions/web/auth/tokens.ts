import { JwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwtBaseError, JwtExpiredError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';

/**
 * Verifies the provider's tokens with aws-jwt-verify: signature against the provider's JWKS
 * (fetched once and cached for the container's life; a token signed with a key not yet seen
 * refetches it, rate-limited by the library), issuer, expiry, and which token it is:
 * - an ID token has `aud` = our client id (and, from Cognito, `token_use: 'id'`);
 * - an access token has no `aud` in Cognito but `client_id` = our client id and
 *   `token_use: 'access'` (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html).
 * The same checks hold for the local provider, which issues its tokens like Cognito's.
 */

export type TokenCheck =
  | { status: 'valid'; claims: JwtPayload; expiresAt: number }
  /** Genuine (the signature checks out) but past its expiry: worth a refresh. */
  | { status: 'expired' }
  | { status: 'invalid'; reason: string };

export interface TokenVerifiers {
  idToken(token: string): Promise<TokenCheck>;
  accessToken(token: string): Promise<TokenCheck>;
}

export interface TokenVerifierSettings {
  /** The issuer exactly as the provider spells it in `iss` (from its discovery document). */
  issuer: string;
  clientId: string;
  jwksUri: string;
  /** The local provider: plain HTTP to 127.0.0.1, which the library's HTTPS fetcher refuses. */
  loopback: boolean;
}

/** The provider's JWKS over plain HTTP, for the local provider only. */
const loopbackFetcher: Fetcher = {
  async fetch(uri) {
    const response = await fetch(uri, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new FetchError(uri, `Status code is ${response.status}, expected 200`);
    return response.arrayBuffer();
  },
};

class WrongTokenError extends JwtBaseError {
  override name = 'WrongTokenError';
}

export class TokenCheckUnavailableError extends Error {
  override name = 'TokenCheckUnavailableError';
}

function ensure(condition: boolean, message: string): void {
  if (!condition) throw new WrongTokenError(message);
}

async function check(verify: () => Promise<JwtPayload>): Promise<TokenCheck> {
  try {
    const claims = await verify();
    return { status: 'valid', claims, expiresAt: claims.exp ?? 0 };
  } catch (error) {
    // Expiry is checked after the signature, so an expired token is a genuine one.
    if (error instanceof JwtExpiredError) return { status: 'expired' };
    if (error instanceof FetchError) {
      throw new TokenCheckUnavailableError('The provider’s signing keys could not be fetched.', {
        cause: error,
      });
    }
    if (error instanceof JwtBaseError) return { status: 'invalid', reason: error.message };
    throw error;
  }
}

export function createTokenVerifiers(settings: TokenVerifierSettings): TokenVerifiers {
  const { issuer, clientId, jwksUri } = settings;
  const jwksCache = new SimpleJwksCache(settings.loopback ? { fetcher: loopbackFetcher } : {});
  const hasExpiry = (payload: JwtPayload) =>
    ensure(typeof payload.exp === 'number', 'the token has no expiry');
  const idTokens = JwtVerifier.create(
    {
      issuer,
      jwksUri,
      audience: clientId,
      customJwtCheck: ({ payload }) => {
        hasExpiry(payload);
        ensure(payload.token_use === undefined || payload.token_use === 'id', 'not an ID token');
      },
    },
    { jwksCache },
  );
  const accessTokens = JwtVerifier.create(
    {
      issuer,
      jwksUri,
      // Cognito's access tokens have no `aud`: the client is named by `client_id` instead.
      audience: null,
      customJwtCheck: ({ payload }) => {
        hasExpiry(payload);
        ensure(payload.token_use === 'access', 'not an access token');
        ensure(payload.client_id === clientId, 'issued to another client');
      },
    },
    { jwksCache },
  );
  return {
    idToken: (token) => check(() => idTokens.verify(token)),
    accessToken: (token) => check(() => accessTokens.verify(token)),
  };
}
