import { describe, expect, it } from 'vitest';
import { loadTemplate, resourceOf } from './template.ts';

/**
 * The mail part (docs/mail.md) in the template packaged with no mailDomain: every resource
 * of it is there under a condition that is false, so nothing of it is created.
 * Receipt rules: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ses-receiptrule.html
 * SES writing to S3 (aws:SourceAccount, aws:SourceArn): https://docs.aws.amazon.com/ses/latest/dg/receiving-email-permissions.html
 */
const template = loadTemplate();
const RULE_ARN = {
  'Fn::Sub': `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:receipt-rule-set/stockroom-dev-mail:receipt-rule/stockroom-dev-inventory`,
};

describe('the mail part', () => {
  it('is created only with a mailDomain: every mail resource is under HasMail, which is false by default', () => {
    // Act
    const mail = Object.entries(template.Resources).filter(
      ([id, resource]) => id.startsWith('Mail') || resource.Type.startsWith('AWS::SES::'),
    );

    // Assess
    expect(mail.map(([id]) => id).sort()).toEqual([
      'MailDnsRecords',
      'MailIdentity',
      'MailInventoryIamRoleLambdaExecution',
      'MailInventoryLambdaEvConf',
      'MailInventoryLambdaFunction',
      'MailInventoryLambdaPermissionUploadsS3',
      'MailInventoryLogGroup',
      'MailInventorySesPermission',
      'MailReceiptRule',
      'MailReceiptRuleSet',
      'MailRepliesTable',
    ]);
    for (const [, resource] of mail) expect(['HasMail', 'HasMailDns']).toContain(resource.Condition);
    expect(template.Parameters?.MailDomain?.Default).toBe('');
    expect(template.Conditions?.HasMail).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'MailDomain' }, ''] }],
    });
  });

  it('receives for the one recipient over TLS, scanned, stores under mail/ and then invokes the function', () => {
    // Act
    const rule = resourceOf(template, 'MailReceiptRule');

    // Assess
    expect(rule.DependsOn).toEqual(['UploadsBucketPolicy', 'MailInventorySesPermission']);
    expect(rule.Properties.Rule).toMatchObject({
      Enabled: true,
      TlsPolicy: 'Require',
      ScanEnabled: true,
      Actions: [
        { S3Action: { BucketName: { Ref: 'S3BucketUploads' }, ObjectKeyPrefix: 'mail/' } },
        {
          LambdaAction: {
            FunctionArn: { 'Fn::GetAtt': ['MailInventoryLambdaFunction', 'Arn'] },
            InvocationType: 'Event',
          },
        },
      ],
    });
  });

  it('lets SES write only mail/, only for this account’s rule, and invoke the function only for it', () => {
    // Prepare
    const policy = resourceOf(template, 'UploadsBucketPolicy').Properties.PolicyDocument as {
      Statement: unknown[];
    };
    const conditional = policy.Statement.find((statement) => 'Fn::If' in (statement as object)) as {
      'Fn::If': [string, Record<string, unknown>, unknown];
    };

    // Act
    const [condition, statement, otherwise] = conditional['Fn::If'];
    const permission = resourceOf(template, 'MailInventorySesPermission').Properties;

    // Assess
    expect(condition).toBe('HasMail');
    expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'ses.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: { 'Fn::Sub': `\${S3BucketUploads.Arn}/mail/*` },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': RULE_ARN },
      },
    });
    expect(permission).toMatchObject({ Principal: 'ses.amazonaws.com', SourceArn: RULE_ARN });
  });

  it('expires the raw messages under mail/ after mailRetentionDays (30 by default), old versions too', () => {
    // Lifecycle rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html
    // Act
    const rules = (
      resourceOf(template, 'S3BucketUploads').Properties.LifecycleConfiguration as {
        Rules: Record<string, unknown>[];
      }
    ).Rules;

    // Assess
    expect(rules).toContainEqual({
      Id: 'expire-mail',
      Status: 'Enabled',
      Prefix: 'mail/',
      ExpirationInDays: 30,
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
    });
  });

  it('documents the one command that activates the template’s rule set', async () => {
    // Prepare
    const { readFile } = await import('node:fs/promises');
    const docs = await readFile(new URL('../../docs/mail.md', import.meta.url), 'utf8');
    const name = resourceOf(template, 'MailReceiptRuleSet').Properties.RuleSetName as string;

    // Assess
    expect(name).toBe('stockroom-dev-mail');
    expect(docs).toContain('aws ses set-active-receipt-rule-set --rule-set-name stockroom-<stage>-mail');
  });
});
