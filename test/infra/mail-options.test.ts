import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackagedVariant, packageVariant } from './package-variant.ts';
import { cfnLintFindings, resourceOf } from './template.ts';

/**
 * `npm run package` with the mail part on (docs/mail.md), in a region where SES receives
 * mail; the other infra tests read the template packaged with none of it.
 * Email receiving endpoints: https://docs.aws.amazon.com/general/latest/gr/ses.html#ses_inbound_endpoints
 * MX record for SES: https://docs.aws.amazon.com/ses/latest/dg/receiving-email-mx-record.html
 * Easy DKIM's three CNAMEs: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ses-emailidentity.html
 */
const ZONE = 'Z0123456789ABCDEFGHIJ';

let variant: PackagedVariant;

beforeAll(async () => {
  variant = await packageVariant('eu-west-1', {
    mailDomain: 'example.com',
    mailHostedZoneId: ZONE,
    mailAllowedSenders: '@example.com',
    mailRetentionDays: '14',
  });
}, 120_000);

afterAll(async () => {
  await variant?.remove();
});

describe('the template packaged with mailDomain, its zone and allowed senders', () => {
  it('passes cfn-lint', async () => {
    // Act
    const result = await cfnLintFindings(variant.templatePath);

    // Assess
    expect(result).toBe('');
  });

  it('turns the mail part on: HasMail and HasMailDns hold with the parameters as defaults', () => {
    // Act
    const { Parameters: parameters } = variant.template;

    // Assess
    expect(parameters?.MailDomain?.Default).toBe('example.com');
    expect(parameters?.MailHostedZoneId?.Default).toBe(ZONE);
    expect(resourceOf(variant.template, 'MailIdentity').Properties.EmailIdentity).toEqual({
      Ref: 'MailDomain',
    });
    expect(resourceOf(variant.template, 'MailReceiptRule').Condition).toBe('HasMail');
    expect(resourceOf(variant.template, 'MailDnsRecords').Condition).toBe('HasMailDns');
  });

  it('receives for inventory@<mailDomain> by default, the address the function sends from too', () => {
    // Act
    const rule = resourceOf(variant.template, 'MailReceiptRule').Properties.Rule as { Recipients: string[] };
    const environment = (
      resourceOf(variant.template, 'MailInventoryLambdaFunction').Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;

    // Assess
    expect(rule.Recipients).toEqual(['inventory@example.com']);
    expect(environment.MAIL_RECIPIENT).toBe('inventory@example.com');
    expect(environment.MAIL_ALLOWED_SENDERS).toBe('@example.com');
  });

  it('adds the three DKIM CNAMEs and the MX record of the region’s inbound endpoint to the zone', () => {
    // Act
    const dns = resourceOf(variant.template, 'MailDnsRecords').Properties as {
      HostedZoneId: unknown;
      RecordSets: { Name: unknown; Type: string; ResourceRecords: unknown[] }[];
    };
    const cnames = dns.RecordSets.filter((record) => record.Type === 'CNAME');
    const mx = dns.RecordSets.filter((record) => record.Type === 'MX');

    // Assess
    expect(dns.HostedZoneId).toEqual({ Ref: 'MailHostedZoneId' });
    expect(cnames.map((record) => [record.Name, record.ResourceRecords])).toEqual(
      [1, 2, 3].map((n) => [
        { 'Fn::GetAtt': ['MailIdentity', `DkimDNSTokenName${n}`] },
        [{ 'Fn::GetAtt': ['MailIdentity', `DkimDNSTokenValue${n}`] }],
      ]),
    );
    expect(mx).toEqual([
      expect.objectContaining({
        Name: { Ref: 'MailDomain' },
        ResourceRecords: [{ 'Fn::Sub': `10 inbound-smtp.\${AWS::Region}.amazonaws.com` }],
      }),
    ]);
  });

  it('expires raw messages under mail/ after mailRetentionDays, old versions too', () => {
    // Act
    const rules = (
      resourceOf(variant.template, 'S3BucketUploads').Properties.LifecycleConfiguration as {
        Rules: Record<string, unknown>[];
      }
    ).Rules;

    const mail = rules.find((rule) => rule.Prefix === 'mail/') as {
      Id: string;
      Status: string;
      ExpirationInDays: unknown;
      NoncurrentVersionExpiration: { NoncurrentDays: unknown };
    };

    // Assess: a --param value stays a string, which CloudFormation takes for an integer.
    expect(mail).toMatchObject({ Id: 'expire-mail', Status: 'Enabled' });
    expect(Number(mail.ExpirationInDays)).toBe(14);
    expect(Number(mail.NoncurrentVersionExpiration.NoncurrentDays)).toBe(14);
  });
});

describe('mailDomain for a stack in a region without SES receiving', () => {
  it('is refused when packaging, naming the regions that receive', async () => {
    // us-west-1 has SES sending but no inbound endpoint in the receiving table linked above.
    // Act
    const outcome = await packageVariant('us-west-1', { mailDomain: 'example.com' }).then(
      async (packaged) => {
        await packaged.remove();
        return 'packaged';
      },
      (error: { stdout?: string; stderr?: string; message?: string }) =>
        `${error.stdout ?? ''}${error.stderr ?? ''}${error.message ?? ''}`,
    );

    // Assess
    expect(outcome).toMatch(
      /mailDomain is set, and SES receives mail only in us-east-1, us-west-2, eu-west-1 .*this stack is for us-west-1/,
    );
  }, 120_000);
});
