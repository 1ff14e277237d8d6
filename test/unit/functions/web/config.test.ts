import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '#shared/env.ts';
import { webConfigFrom, webEnvironmentSchema } from '../../../../functions/web/config.ts';

const base = {
  INVENTORY_TABLE: 'inventory',
  STORE_SUMMARIES_TABLE: 'summaries',
  STOCK_HISTORY_TABLE: 'history',
  STOCK_ATTENTION_TABLE: 'attention',
  UPLOADS_BUCKET: 'uploads',
  THUMBNAILS_BUCKET: 'thumbnails',
  LOW_STOCK_THRESHOLD: '5',
  EDGE_SECRET: 'edge-secret-current-0123456789abcdef',
  EDGE_ORIGIN_CHECK: 'true',
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

  it('takes the dashboard’s origin from the custom domain, else the distribution, else PUBLIC_ORIGIN first', () => {
    // Prepare
    const open = { ...base, AUTH_MODE: 'none' };
    const originOf = (env: Record<string, string>) =>
      webConfigFrom(parseEnvironment(webEnvironmentSchema, { ...open, ...env })).publicOrigin;

    // Act
    const custom = originOf({
      CUSTOM_DOMAIN_NAME: 'stock.example.com',
      CDN_DOMAIN_NAME: 'd1.cloudfront.net',
    });
    const distribution = originOf({ CUSTOM_DOMAIN_NAME: '', CDN_DOMAIN_NAME: 'd1.cloudfront.net' });
    const local = originOf({ PUBLIC_ORIGIN: 'http://127.0.0.1:4580', CDN_DOMAIN_NAME: '127.0.0.1:4580' });
    const hostile = () => originOf({ CDN_DOMAIN_NAME: 'evil.example/path' });

    // Assess
    expect(custom).toBe('https://stock.example.com');
    expect(distribution).toBe('https://d1.cloudfront.net');
    expect(local).toBe('http://127.0.0.1:4580');
    expect(hostile).toThrow(/CDN_DOMAIN_NAME/);
  });

  it('needs the edge secret and the origin check’s setting; a second version is accepted once', () => {
    // Prepare
    const open = { ...base, AUTH_MODE: 'none' };
    const edgeOf = (env: Record<string, string | undefined>) =>
      webConfigFrom(parseEnvironment(webEnvironmentSchema, { ...open, ...env })).edge;

    // Act
    const rotating = edgeOf({ EDGE_SECRET_ALSO_ACCEPTED: 'edge-secret-previous-0123456789abcdef' });
    const unpinned = edgeOf({ EDGE_SECRET_ALSO_ACCEPTED: base.EDGE_SECRET, EDGE_ORIGIN_CHECK: 'false' });
    const noSecret = () => edgeOf({ EDGE_SECRET: undefined });
    const shortSecret = () => edgeOf({ EDGE_SECRET: 'short' });
    const noCheck = () => edgeOf({ EDGE_ORIGIN_CHECK: undefined });

    // Assess
    expect(rotating).toEqual({
      secrets: [base.EDGE_SECRET, 'edge-secret-previous-0123456789abcdef'],
      originCheck: true,
    });
    expect(unpinned).toEqual({ secrets: [base.EDGE_SECRET], originCheck: false });
    expect(noSecret).toThrow(/EDGE_SECRET/);
    expect(shortSecret).toThrow(/EDGE_SECRET/);
    expect(noCheck).toThrow(/EDGE_ORIGIN_CHECK/);
  });
});
