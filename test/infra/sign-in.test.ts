import { describe, expect, it } from 'vitest';
import { loadTemplate, type Resource, resourceOf, resourcesOfType } from './template.ts';

/**
 * The sign-in on AWS: the user pool's managed login, the dashboard's app client, the groups
 * that are its roles, and the routes. That no route but /healthz and the assets answers
 * without a session is the web function's own rule (its route table and tests): here, the
 * HTTP API hands every request to it and adds the JWT authorizer on the write route.
 */
const template = loadTemplate();

const resource = (logicalId: string): Resource => resourceOf(template, logicalId);

/** A value with its intrinsics written out: `{ Ref: 'HttpApi' }` → `<HttpApi>`, Fn::Sub and Fn::Join applied. */
function written(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as { Ref?: string; 'Fn::Sub'?: string; 'Fn::Join'?: [string, unknown[]] };
  if (intrinsic.Ref !== undefined) return `<${intrinsic.Ref}>`;
  if (intrinsic['Fn::Sub'] !== undefined) return intrinsic['Fn::Sub'].replace(/\$\{([^}]+)\}/g, '<$1>');
  if (intrinsic['Fn::Join'] !== undefined) {
    const [separator, parts] = intrinsic['Fn::Join'];
    return parts.map(written).join(separator);
  }
  throw new Error(`cannot write out ${JSON.stringify(value)}`);
}

const client = resource('UserPoolClient').Properties;
const web = resource('WebLambdaFunction').Properties.Environment as { Variables: Record<string, unknown> };

describe("the dashboard's app client", () => {
  it('allows only the authorization code flow, as a public client (PKCE, no secret, no implicit flow)', () => {
    // A client without a secret is what PKCE is for; the web function always sends a code_challenge
    // (Cognito accepts PKCE but cannot be made to require it).
    // https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html
    // https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-client-apps.html
    // Assess
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.GenerateSecret).toBe(false);
    expect([...(client.AllowedOAuthScopes as string[])].sort()).toEqual(['email', 'openid', 'profile']);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);
  });

  it("returns only to the dashboard's address: /auth/callback after sign-in, / after sign-out", () => {
    // The custom domain when there is one, else the distribution's own name; never the HTTP
    // API's URL, which only answers through the distribution.
    // https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html
    // Act
    const [callback, ...moreCallbacks] = client.CallbackURLs as { 'Fn::If': [string, unknown, unknown] }[];
    const [logout, ...moreLogouts] = client.LogoutURLs as { 'Fn::If': [string, unknown, unknown] }[];

    // Assess
    expect(moreCallbacks).toEqual([]);
    expect(moreLogouts).toEqual([]);
    const [condition, custom, own] = callback?.['Fn::If'] ?? [];
    expect(condition).toBe('HasCustomDomain');
    expect(written(custom)).toBe('https://<DomainName>/auth/callback');
    expect(written(own)).toBe('https://<Distribution.DomainName>/auth/callback');
    expect(logout?.['Fn::If'].map((value) => (typeof value === 'string' ? value : written(value)))).toEqual([
      'HasCustomDomain',
      'https://<DomainName>/',
      'https://<Distribution.DomainName>/',
    ]);
    expect(JSON.stringify(client)).not.toContain('execute-api');
  });

  it('revokes tokens on sign-out and keeps the SRP and refresh flows', () => {
    // https://docs.aws.amazon.com/cognito/latest/developerguide/token-revocation.html
    // Assess
    expect(client.EnableTokenRevocation).toBe(true);
    expect(client.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });
});

describe("the user pool's managed login", () => {
  it('has a prefix domain that Cognito accepts, in the managed login style', () => {
    // Lowercase letters, digits and hyphens, not at either end; no "aws", "amazon" or "cognito":
    // https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html
    // Act
    const { Properties } = resource('UserPoolDomain');
    const branding = resourcesOfType(template, 'AWS::Cognito::ManagedLoginBranding').map(([, r]) => r);

    // Assess
    expect(Properties.UserPoolId).toEqual({ Ref: 'UserPool' });
    expect(Properties.Domain).toBe('stockroom-dev-000000000000');
    expect(Properties.Domain).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(Properties.Domain).not.toMatch(/aws|amazon|cognito/);
    // Managed login (version 2) shows its pages only to a client with a style.
    // https://docs.aws.amazon.com/cognito/latest/developerguide/managed-login-branding.html
    expect(Properties.ManagedLoginVersion).toBe(2);
    expect(branding.map((style) => style.Properties.ClientId)).toEqual([{ Ref: 'UserPoolClient' }]);
  });

  it('has the groups the web function reads as roles: manager and viewer', () => {
    // https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-user-groups.html
    // Act
    const groups = resourcesOfType(template, 'AWS::Cognito::UserPoolGroup').map(
      ([, group]) => group.Properties,
    );

    // Assess
    expect(groups.map((group) => group.GroupName).sort()).toEqual(['manager', 'viewer']);
    for (const group of groups) expect(group.UserPoolId).toEqual({ Ref: 'UserPool' });
  });
});

describe('the web function and its routes', () => {
  it("signs users in with the pool's issuer, the dashboard's client and the managed login's sign-out", () => {
    // Act
    const variables = web.Variables;

    // Assess
    expect(variables.AUTH_MODE).toBe('oidc');
    expect(written(variables.OIDC_ISSUER)).toBe('https://cognito-idp.<AWS::Region>.amazonaws.com/<UserPool>');
    expect(variables.OIDC_CLIENT_ID).toEqual({ Ref: 'UserPoolClient' });
    expect(written(variables.OIDC_LOGOUT_URL)).toBe(
      'https://<UserPoolDomain>.auth.<AWS::Region>.amazoncognito.com/logout',
    );
    // Behind the distribution the function sees API Gateway's host: it is told the dashboard's.
    expect(variables.PUBLIC_ORIGIN).toBeUndefined();
    expect(variables.CDN_DOMAIN_NAME).toEqual({ 'Fn::GetAtt': ['Distribution', 'DomainName'] });
    expect(variables.CUSTOM_DOMAIN_NAME).toBe('');
  });

  it('hands every request to the function ($default, no authorizer) and guards POST /api/uploads with the JWT authorizer too', () => {
    // A specific route wins over $default: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    // Act
    const routes = Object.fromEntries(
      resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => [
        route.Properties.RouteKey,
        route.Properties,
      ]),
    );
    const authorizer = resource('HttpApiAuthorizerCognito').Properties;
    const jwt = authorizer.JwtConfiguration as { Audience: unknown[]; Issuer: unknown };

    // Assess
    expect(Object.keys(routes).sort()).toEqual(['$default', 'POST /api/uploads']);
    expect(routes.$default?.AuthorizationType ?? 'NONE').toBe('NONE');
    expect(routes['POST /api/uploads']?.AuthorizationType).toBe('JWT');
    expect(routes['POST /api/uploads']?.AuthorizerId).toEqual({ Ref: 'HttpApiAuthorizerCognito' });
    expect(written(jwt.Issuer)).toBe(written(web.Variables.OIDC_ISSUER));
    expect(jwt.Audience).toEqual([{ Ref: 'UserPoolClient' }]);
  });
});
