import { describe, expect, it } from 'vitest';
import { SESSION_COOKIES, SIGN_IN_COOKIE } from '../../functions/web/auth/cookies.ts';
import type { WebRequest } from '../../functions/web/http-event.ts';
import { ORIGIN_VERIFY_HEADER } from '../../functions/web/middlewares/origin-verified.ts';
import { securityHeaders } from '../../functions/web/middlewares/security-headers.ts';
import { signedThumbnailLink, THUMBNAILS_PATH } from '../../functions/web/thumbnail-links.ts';
import { responseHeadersOf } from '../../local/thumbnails-route.ts';
import { gateOf, gateSource, linkParts } from './edge-gate.ts';
import { cfnLintFindings, loadTemplate, type Resource, resourceOf, templatePath } from './template.ts';

/**
 * The edge (docs/edge.md): one CloudFront distribution in front of the HTTP API and the
 * thumbnails bucket, its policies, the thumbnails gate, the optional WAF and custom domain.
 * Each rule from AWS's documentation links the page.
 */
const template = loadTemplate();
const resource = (logicalId: string): Resource => resourceOf(template, logicalId);

type Obj = Record<string, unknown>;
const config = resource('Distribution').Properties.DistributionConfig as Obj;
const defaultBehaviour = config.DefaultCacheBehavior as Obj;
const behaviours = config.CacheBehaviors as Obj[];
const thumbnailsBehaviour =
  behaviours.find((behaviour) => behaviour.PathPattern === `${THUMBNAILS_PATH}*`) ?? {};
const origins = config.Origins as Obj[];
const originOf = (behaviour: Obj): Obj =>
  origins.find((origin) => origin.Id === behaviour.TargetOriginId) ?? {};
const policyConfig = (reference: unknown, key: string): Obj =>
  resource((reference as { Ref: string }).Ref).Properties[key] as Obj;
const webEnvironment = (resource('WebLambdaFunction').Properties.Environment as { Variables: Obj }).Variables;

/** The template's reference to the edge secret's current version (no version pinned). */
const EDGE_SECRET = { 'Fn::Sub': `{{resolve:secretsmanager:\${EdgeSecret}:SecretString:::}}` };

describe('the distribution', () => {
  it('speaks HTTP/2 and HTTP/3, over IPv6 too, redirects HTTP to HTTPS and compresses the API', () => {
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesGeneral.html
    // Assess
    expect(config.Enabled).toBe(true);
    expect(config.HttpVersion).toBe('http2and3');
    expect(config.IPV6Enabled).toBe(true);
    for (const behaviour of [defaultBehaviour, ...behaviours]) {
      expect(behaviour.ViewerProtocolPolicy).toBe('redirect-to-https');
    }
    expect(defaultBehaviour.Compress).toBe(true);
  });

  it('takes TLS 1.2 or later on a custom domain (SNI), else the *.cloudfront.net certificate', () => {
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
    // Assess
    expect(config.ViewerCertificate).toEqual({
      'Fn::If': [
        'HasCustomDomain',
        {
          AcmCertificateArn: { Ref: 'CertificateArn' },
          SslSupportMethod: 'sni-only',
          MinimumProtocolVersion: 'TLSv1.2_2021',
        },
        { CloudFrontDefaultCertificate: true },
      ],
    });
    expect(config.Aliases).toEqual({
      'Fn::If': ['HasCustomDomain', [{ Ref: 'DomainName' }], { Ref: 'AWS::NoValue' }],
    });
  });

  it('sends every path but the thumbnails to the HTTP API, over TLS 1.2, with the edge secret as X-Origin-Verify', () => {
    // A secret header CloudFront adds lets the origin tell requests that came through it:
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html
    // Act
    const api = originOf(defaultBehaviour);

    // Assess
    expect(api.DomainName).toEqual({
      'Fn::Sub': `\${HttpApi}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}`,
    });
    expect(api.CustomOriginConfig).toEqual({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    expect(api.OriginCustomHeaders).toEqual([{ HeaderName: 'X-Origin-Verify', HeaderValue: EDGE_SECRET }]);
    expect(ORIGIN_VERIFY_HEADER).toBe('x-origin-verify');
    // The function checks the same secret, and does so by default (cdnOnly).
    expect(webEnvironment.EDGE_SECRET).toEqual(EDGE_SECRET);
    expect(webEnvironment.EDGE_ORIGIN_CHECK).toBe('true');
    expect(behaviours).toHaveLength(1);
  });

  it('keeps the edge secret out of the template: CloudFormation generates it and resolves it on deploy', () => {
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
    // Act
    const secret = resource('EdgeSecret');
    const uses =
      JSON.stringify(template).match(
        /\{\{resolve:secretsmanager:(\$\{\w+\}|[^:}]+):SecretString:[^}]*\}\}/g,
      ) ?? [];

    // Assess
    expect(secret.Type).toBe('AWS::SecretsManager::Secret');
    expect(secret.Properties.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true });
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(new Set(uses)).toEqual(new Set([`{{resolve:secretsmanager:\${EdgeSecret}:SecretString:::}}`]));
  });

  it('caches the API only as its responses allow, Authorization in the key, the cookies and headers it reads forwarded', () => {
    // Authorization can only reach the origin as part of the cache key:
    // https://repost.aws/knowledge-center/cloudfront-authorization-header
    // TTLs and the origin's Cache-Control: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html
    // Act
    const cache = policyConfig(defaultBehaviour.CachePolicyId, 'CachePolicyConfig');
    const key = cache.ParametersInCacheKeyAndForwardedToOrigin as Obj;
    const forwarded = policyConfig(defaultBehaviour.OriginRequestPolicyId, 'OriginRequestPolicyConfig');

    // Assess
    expect(defaultBehaviour.AllowedMethods).toEqual([
      'GET',
      'HEAD',
      'OPTIONS',
      'PUT',
      'PATCH',
      'POST',
      'DELETE',
    ]);
    expect(defaultBehaviour.CachedMethods).toEqual(['GET', 'HEAD']);
    expect([cache.MinTTL, cache.DefaultTTL]).toEqual([0, 0]);
    expect(key.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['Authorization'] });
    expect(key.CookiesConfig).toEqual({ CookieBehavior: 'none' });
    expect(key).toMatchObject({ EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true });
    expect(forwarded.CookiesConfig).toEqual({
      CookieBehavior: 'whitelist',
      Cookies: [...Object.values(SESSION_COOKIES), SIGN_IN_COOKIE],
    });
    expect(forwarded.HeadersConfig).toEqual({
      HeaderBehavior: 'whitelist',
      Headers: ['Origin', 'Referer', 'If-None-Match', 'Content-Type'],
    });
    expect(forwarded.QueryStringsConfig).toEqual({ QueryStringBehavior: 'all' });
    expect(JSON.stringify(forwarded)).not.toMatch(/authorization/i);
  });

  it('serves /thumbnails/* from the thumbnails bucket through origin access control, cached by path alone', () => {
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
    // Act
    const bucket = originOf(thumbnailsBehaviour);
    const cache = policyConfig(thumbnailsBehaviour.CachePolicyId, 'CachePolicyConfig');
    const oac = resource('ThumbnailsOriginAccessControl').Properties.OriginAccessControlConfig as Obj;

    // Assess
    expect(bucket.DomainName).toEqual({ 'Fn::GetAtt': ['ThumbnailsBucket', 'RegionalDomainName'] });
    expect(bucket.OriginAccessControlId).toEqual({ 'Fn::GetAtt': ['ThumbnailsOriginAccessControl', 'Id'] });
    expect(bucket.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(oac).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(thumbnailsBehaviour.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(thumbnailsBehaviour.OriginRequestPolicyId).toBeUndefined();
    // MinTTL 0: the thumbnails' own Cache-Control decides (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html).
    expect(cache.MinTTL).toBe(0);
    expect(cache.ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
      HeadersConfig: { HeaderBehavior: 'none' },
      CookiesConfig: { CookieBehavior: 'none' },
      QueryStringsConfig: { QueryStringBehavior: 'none' },
    });
    expect(thumbnailsBehaviour.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': ['ThumbnailsGate', 'FunctionARN'] } },
    ]);
  });

  it('is the only reader of the thumbnails bucket, which stays private', () => {
    // OAC's bucket policy, for one distribution (aws:SourceArn); a service principal limited
    // that way is not "public", so the bucket's public access blocks stay on:
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
    // Act
    const statements = (resource('ThumbnailsBucketPolicy').Properties.PolicyDocument as { Statement: Obj[] })
      .Statement;
    const allows = statements.filter((statement) => statement.Effect === 'Allow');

    // Assess
    expect(allows).toEqual([
      {
        Sid: 'CloudFrontReadsThumbnails',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Sub': `\${ThumbnailsBucket.Arn}/images/*` },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Sub': `arn:\${AWS::Partition}:cloudfront::\${AWS::AccountId}:distribution/\${Distribution}`,
            },
          },
        },
      },
    ]);
    expect(resource('ThumbnailsBucket').Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('adds the web function’s own security headers to every answer, its per-page CSP left alone', async () => {
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html
    // Prepare
    const policy = policyConfig(defaultBehaviour.ResponseHeadersPolicyId, 'ResponseHeadersPolicyConfig');
    const middleware = securityHeaders({
      uploadsOrigin: 'https://uploads.test',
      strictTransportSecurity: true,
    });
    const request = {
      event: { requestContext: { domainName: 'dashboard.test' } },
      response: { statusCode: 200, headers: {}, body: '' },
    } as unknown as WebRequest;

    // Act
    await middleware.after?.(request);
    const { 'content-security-policy': functionCsp, ...functionHeaders } = request.response?.headers ?? {};
    const { 'content-security-policy': edgeCsp, ...edgeHeaders } = responseHeadersOf(
      policy as Parameters<typeof responseHeadersOf>[0],
    );

    // Assess
    expect(edgeHeaders).toEqual(functionHeaders);
    expect(thumbnailsBehaviour.ResponseHeadersPolicyId).toEqual(defaultBehaviour.ResponseHeadersPolicyId);
    expect((policy.SecurityHeadersConfig as Obj).ContentSecurityPolicy).toMatchObject({ Override: false });
    expect(edgeCsp).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    expect(functionCsp).toContain("default-src 'none'");
  });
});

describe('the thumbnails gate', () => {
  const SECRET = 'test-edge-secret-0123456789-0123456789-0123456789';
  const gate = gateOf(template, { '': SECRET });
  const now = new Date();
  const KEY = 'images/tag 10%25 off ü.png/200.webp';

  it('is a published cloudfront-js-2.0 function well under the 10 KB limit', () => {
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions
    // Act
    const { Properties } = resource('ThumbnailsGate');

    // Assess
    expect(Properties.AutoPublish).toBe(true);
    expect(Properties.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0' });
    expect(Buffer.byteLength(gateSource(template))).toBeLessThan(8 * 1024);
  });

  it('lets through a link the web function signed, asking the bucket for the key alone', () => {
    // Prepare
    const { uri, query } = linkParts(signedThumbnailLink(KEY, SECRET, now));

    // Act
    const answer = gate(uri, query);
    const head = gate(uri, query, 'HEAD');

    // Assess
    expect(answer.statusCode).toBeUndefined();
    expect(answer.uri).toBe(`/${KEY.split('/').map(encodeURIComponent).join('/')}`);
    expect(answer.querystring).toEqual({});
    expect(head.statusCode).toBeUndefined();
  });

  it('refuses, uncached, anything else: no signature, another key, secret or expiry, an expired or far-off link', () => {
    // Prepare
    const { uri, query } = linkParts(signedThumbnailLink(KEY, SECRET, now));
    const expired = linkParts(signedThumbnailLink(KEY, SECRET, new Date(now.getTime() - 2 * 3600_000)));
    const farOff = linkParts(signedThumbnailLink(KEY, SECRET, new Date(now.getTime() + 5 * 3600_000)));
    const otherSecret = linkParts(signedThumbnailLink(KEY, `${SECRET}-other`, now));
    const outside = linkParts(signedThumbnailLink('reports/x.json', SECRET, now));

    // Act
    const answers = [
      gate(uri, {}),
      gate(uri, { expires: query.expires ?? '' }),
      gate(uri, { ...query, signature: `${query.signature}x` }),
      gate(uri, { ...query, expires: String(Number(query.expires) + 3600) }),
      gate(uri.replace('200.webp', '400.webp'), query),
      gate(expired.uri, expired.query),
      gate(farOff.uri, farOff.query),
      gate(otherSecret.uri, otherSecret.query),
      gate(outside.uri, outside.query),
      gate('/thumbnails/images/%E0%A4%A/200.webp', query),
    ];

    // Assess
    for (const [index, answer] of answers.entries()) {
      expect(answer.statusCode, `case ${index}`).toBe(403);
      expect(answer.headers?.['cache-control']?.value, `case ${index}`).toBe('no-store');
    }
  });
});

describe('WAF', () => {
  // A web ACL for CloudFront lives in us-east-1:
  // https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html
  const webAcl = resource('WebAcl');
  const rules = webAcl.Properties.Rules as Obj[];

  it('is off by default: no web ACL made, none attached', () => {
    // Assess
    expect(template.Parameters?.Waf?.Default).toBe('false');
    expect(template.Parameters?.WebAclArn?.Default).toBe('');
    expect(webAcl.Condition).toBe('CreateWebAcl');
    expect(template.Conditions?.CreateWebAcl).toEqual({ 'Fn::Equals': [{ Ref: 'Waf' }, 'true'] });
    expect(config.WebACLId).toEqual({
      'Fn::If': [
        'CreateWebAcl',
        { 'Fn::GetAtt': ['WebAcl', 'Arn'] },
        { 'Fn::If': ['HasWebAclArn', { Ref: 'WebAclArn' }, { Ref: 'AWS::NoValue' }] },
      ],
    });
  });

  it('blocks with AWS’s common and known-bad-inputs rule groups and a rate limit per IP, all measured in CloudWatch', () => {
    // https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
    // https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html
    // Act
    const managed = rules.flatMap((rule) => {
      const group = (rule.Statement as Obj).ManagedRuleGroupStatement as Obj | undefined;
      return group ? [`${group.VendorName}/${group.Name} ${JSON.stringify(rule.OverrideAction)}`] : [];
    });
    const rate = rules.find((rule) => (rule.Statement as Obj).RateBasedStatement) ?? {};
    const rateStatement = (rate.Statement as Obj).RateBasedStatement as Obj;

    // Assess
    expect(webAcl.Properties).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    expect(managed).toEqual([
      'AWS/AWSManagedRulesCommonRuleSet {"None":{}}',
      'AWS/AWSManagedRulesKnownBadInputsRuleSet {"None":{}}',
    ]);
    expect(rate.Action).toEqual({ Block: {} });
    expect(rateStatement).toMatchObject({
      AggregateKeyType: 'IP',
      Limit: { Ref: 'WafRateLimit' },
      EvaluationWindowSec: 300,
    });
    expect(template.Parameters?.WafRateLimit?.Default).toBe(2000);
    // Thumbnails (50 to a store page, from the cache, signed) do not count against it.
    expect(JSON.stringify(rateStatement.ScopeDownStatement)).toContain(
      `"NotStatement":{"Statement":{"ByteMatchStatement":{"FieldToMatch":{"UriPath":{}},"PositionalConstraint":"STARTS_WITH","SearchString":"${THUMBNAILS_PATH}"`,
    );
    for (const visibility of [
      webAcl.Properties.VisibilityConfig,
      ...rules.map((rule) => rule.VisibilityConfig),
    ]) {
      expect(visibility).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
    }
  });

  it('is made only by a stack in us-east-1; elsewhere an existing one from us-east-1 is attached', () => {
    // Act
    const rule = (template as { Rules?: Record<string, Obj> }).Rules?.WebAclOfCloudFrontScopeIsInUsEast1;
    const pattern = new RegExp(String((template.Parameters?.WebAclArn as Obj | undefined)?.AllowedPattern));

    // Assess
    expect(rule?.RuleCondition).toEqual({ 'Fn::Equals': [{ Ref: 'Waf' }, 'true'] });
    expect(((rule?.Assertions ?? []) as Obj[]).map((assertion) => assertion.Assert)).toEqual([
      { 'Fn::Equals': [{ Ref: 'WebAclArn' }, ''] },
    ]);
    expect(pattern.test('arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/0b1c2d3e')).toBe(true);
    expect(pattern.test('arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/0b1c2d3e')).toBe(false);
  });
});

describe('the custom domain', () => {
  it('gets alias A and AAAA records in Route 53 only when it is given', () => {
    // CloudFront's alias target zone: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-route53-recordset-aliastarget.html
    // Act
    const records = ['DomainRecordIpv4', 'DomainRecordIpv6'].map(resource);

    // Assess
    expect(template.Parameters?.DomainName?.Default).toBe('');
    expect(template.Conditions?.HasCustomDomain).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'DomainName' }, ''] }],
    });
    expect(records.map((record) => [record.Condition, record.Properties.Type])).toEqual([
      ['HasCustomDomain', 'A'],
      ['HasCustomDomain', 'AAAA'],
    ]);
    for (const record of records) {
      expect(record.Properties).toMatchObject({
        HostedZoneId: { Ref: 'HostedZoneId' },
        Name: { Ref: 'DomainName' },
        AliasTarget: {
          DNSName: { 'Fn::GetAtt': ['Distribution', 'DomainName'] },
          HostedZoneId: 'Z2FDTNDATAQYW2',
          EvaluateTargetHealth: false,
        },
      });
    }
  });

  it('takes a certificate from ACM in us-east-1 only, with the domain and zone, all three or none', () => {
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html
    // Act
    const pattern = new RegExp(
      String((template.Parameters?.CertificateArn as Obj | undefined)?.AllowedPattern),
    );
    const rule = (template as { Rules?: Record<string, Obj> }).Rules?.CustomDomainIsComplete;

    // Assess
    expect(pattern.test('')).toBe(true);
    expect(
      pattern.test('arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0'),
    ).toBe(true);
    expect(
      pattern.test('arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0'),
    ).toBe(false);
    expect(JSON.stringify(rule?.Assertions)).toBe(
      JSON.stringify([
        {
          Assert: {
            'Fn::Or': [
              {
                'Fn::And': ['DomainName', 'CertificateArn', 'HostedZoneId'].map((name) => ({
                  'Fn::Equals': [{ Ref: name }, ''],
                })),
              },
              {
                'Fn::And': ['DomainName', 'CertificateArn', 'HostedZoneId'].map((name) => ({
                  'Fn::Not': [{ 'Fn::Equals': [{ Ref: name }, ''] }],
                })),
              },
            ],
          },
          AssertDescription: 'domainName, certificateArn and hostedZoneId go together (all three, or none).',
        },
      ]),
    );
    expect(template.Outputs?.DashboardUrl?.Value).toEqual({
      'Fn::If': [
        'HasCustomDomain',
        { 'Fn::Sub': `https://\${DomainName}` },
        { 'Fn::Sub': `https://\${Distribution.DomainName}` },
      ],
    });
  });
});

describe('cfn-lint with the optional parameters', () => {
  it('finds nothing wrong when an existing web ACL is attached', async () => {
    // Act
    const result = await cfnLintFindings(templatePath, [
      'WebAclArn=arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
    ]);

    // Assess
    expect(result).toBe('');
  });
});
