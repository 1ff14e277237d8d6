import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedThumbnailLink } from '../../functions/web/thumbnail-links.ts';
import { gateOf, linkParts } from './edge-gate.ts';
import { type PackagedVariant, packageVariant } from './package-variant.ts';
import { cfnLintFindings, resourceOf } from './template.ts';

/**
 * `npm run package` with every optional edge parameter given (the other infra tests read the
 * template packaged with none): a custom domain, the stack's own WAF (so us-east-1), the
 * origin check off, and an edge secret rotation under way.
 */
const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const CURRENT = '11111111-2222-3333-4444-555555555555';
const PREVIOUS = '66666666-7777-8888-9999-000000000000';

let variant: PackagedVariant;

beforeAll(async () => {
  variant = await packageVariant('us-east-1', {
    domainName: 'stock.example.com',
    certificateArn: CERTIFICATE,
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    waf: 'true',
    wafRateLimit: '500',
    cdnOnly: 'false',
    edgeSecretVersion: CURRENT,
    edgeSecretAlsoAccepted: PREVIOUS,
  });
}, 120_000);

afterAll(async () => {
  await variant?.remove();
});

describe('the template packaged with the optional edge parameters', () => {
  it('passes cfn-lint', async () => {
    // Act
    const result = await cfnLintFindings(variant.templatePath);

    // Assess
    expect(result).toBe('');
  });

  it('takes the parameters as the defaults its conditions and the web function read', () => {
    // Act
    const { Parameters: parameters } = variant.template;
    const web = resourceOf(variant.template, 'WebLambdaFunction').Properties.Environment as {
      Variables: Record<string, unknown>;
    };

    // Assess
    expect(parameters?.DomainName?.Default).toBe('stock.example.com');
    expect(parameters?.CertificateArn?.Default).toBe(CERTIFICATE);
    expect(parameters?.HostedZoneId?.Default).toBe('Z0123456789ABCDEFGHIJ');
    expect(parameters?.Waf?.Default).toBe('true');
    expect(String(parameters?.WafRateLimit?.Default)).toBe('500');
    expect(web.Variables.CUSTOM_DOMAIN_NAME).toBe('stock.example.com');
    expect(web.Variables.EDGE_ORIGIN_CHECK).toBe('false');
    expect(web.Variables.EDGE_SECRET).toEqual({
      'Fn::Sub': `{{resolve:secretsmanager:\${EdgeSecret}:SecretString:::${CURRENT}}}`,
    });
    expect(web.Variables.EDGE_SECRET_ALSO_ACCEPTED).toEqual({
      'Fn::Sub': `{{resolve:secretsmanager:\${EdgeSecret}:SecretString:::${PREVIOUS}}}`,
    });
  });

  it('sends the pinned version as the origin header, and its gate accepts links signed with either version', () => {
    // Prepare
    const gate = gateOf(variant.template, {
      [CURRENT]: 'secret-of-the-current-version-0123456789',
      [PREVIOUS]: 'secret-of-the-previous-version-0123456789',
    });
    const origins = (
      resourceOf(variant.template, 'Distribution').Properties.DistributionConfig as {
        Origins: { OriginCustomHeaders?: { HeaderValue: unknown }[] }[];
      }
    ).Origins;
    const now = new Date();
    const signedWith = (secret: string) =>
      linkParts(signedThumbnailLink('images/a.png/200.webp', secret, now));

    // Act
    const current = signedWith('secret-of-the-current-version-0123456789');
    const previous = signedWith('secret-of-the-previous-version-0123456789');
    const other = signedWith('secret-of-no-version-at-all-0123456789');

    // Assess
    expect(
      origins.flatMap((origin) => origin.OriginCustomHeaders ?? []).map((header) => header.HeaderValue),
    ).toEqual([{ 'Fn::Sub': `{{resolve:secretsmanager:\${EdgeSecret}:SecretString:::${CURRENT}}}` }]);
    expect(gate(current.uri, current.query).statusCode).toBeUndefined();
    expect(gate(previous.uri, previous.query).statusCode).toBeUndefined();
    expect(gate(other.uri, other.query).statusCode).toBe(403);
  });
});

describe('waf=true for a stack outside us-east-1', () => {
  it('is refused when packaging, saying what to do instead', async () => {
    // A web ACL of CloudFront scope is made in us-east-1 only:
    // https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html
    // Act
    const outcome = await packageVariant('eu-west-1', { waf: 'true' }).then(
      async (packaged) => {
        await packaged.remove();
        return 'packaged';
      },
      (error: { stdout?: string; stderr?: string; message?: string }) =>
        `${error.stdout ?? ''}${error.stderr ?? ''}${error.message ?? ''}`,
    );

    // Assess
    expect(outcome).toMatch(/waf=true .* only in us-east-1, and this stack is for eu-west-1/);
    expect(outcome).toMatch(/webAclArn/);
  }, 120_000);
});
