import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '#shared/env.ts';
import { webConfigFrom, webEnvironmentSchema } from '../../../../functions/web/config.ts';

const base = {
  INVENTORY_TABLE: 'inventory',
  STORE_SUMMARIES_TABLE: 'summaries',
  UPLOADS_BUCKET: 'uploads',
  THUMBNAILS_BUCKET: 'thumbnails',
  LOW_STOCK_THRESHOLD: '5',
};

describe('the web configuration', () => {
  it('requires sign-in by default, with an issuer and a client id', () => {
    // Act
    const missing = () => parseEnvironment(webEnvironmentSchema, base);

    // Assess
    expect(missing).toThrow(/OIDC_CLIENT_ID: is required when AUTH_MODE=oidc; OIDC_ISSUER: is required/);
  });

  it('reads the OpenID settings, an empty variable counting as unset', () => {
    // Act
    const config = webConfigFrom(
      parseEnvironment(webEnvironmentSchema, {
        ...base,
        AUTH_MODE: 'oidc',
        OIDC_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
        OIDC_CLIENT_ID: 'client',
        OIDC_LOGOUT_URL: '',
        PUBLIC_ORIGIN: 'https://stock.example.com/',
      }),
    );

    // Assess
    expect(config.auth).toEqual({
      mode: 'oidc',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      clientId: 'client',
    });
    expect(config.publicOrigin).toBe('https://stock.example.com');
  });

  it('allows plain HTTP only for an issuer on 127.0.0.1 (the local provider)', () => {
    // Prepare
    const withIssuer = (issuer: string) => ({ ...base, OIDC_ISSUER: issuer, OIDC_CLIENT_ID: 'c' });

    // Act
    const local = webConfigFrom(parseEnvironment(webEnvironmentSchema, withIssuer('http://127.0.0.1:4590')));
    const plain = () => parseEnvironment(webEnvironmentSchema, withIssuer('http://idp.example.com'));

    // Assess
    expect(local.auth).toMatchObject({ mode: 'oidc', issuer: 'http://127.0.0.1:4590' });
    expect(plain).toThrow(/OIDC_ISSUER: must be an https:\/\/ URL/);
  });

  it('opens everything with AUTH_MODE=none, needing no provider', () => {
    // Act
    const config = webConfigFrom(parseEnvironment(webEnvironmentSchema, { ...base, AUTH_MODE: 'none' }));

    // Assess
    expect(config.auth).toEqual({ mode: 'none' });
    expect(config.publicOrigin).toBeUndefined();
  });
});
