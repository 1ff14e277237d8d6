import { describe, expect, it } from 'vitest';
import { loadTemplate, type Resource, resourceOf, resourcesOfType } from './template.ts';

/**
 * Rules that come from AWS's documentation rather than from our emulators: a template can
 * pass cfn-lint and every local test and still fail, or leak, in a real account. Each test
 * links the page it is written from.
 */
const template = loadTemplate();

const resource = (logicalId: string): Resource => resourceOf(template, logicalId);

type PolicyStatement = {
  Effect: string;
  Principal?: { Service?: string | string[]; AWS?: unknown } | string;
  Action: string | string[];
};

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const refTo = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null && 'Ref' in value ? String(value.Ref) : undefined;

/** The AWS services that publish to each topic: alarm actions, and topic policies' service principals. */
function servicePublishers(): Map<string, Set<string>> {
  const publishers = new Map<string, Set<string>>();
  const add = (topicId: string | undefined, service: string): void => {
    if (!topicId) return;
    publishers.set(topicId, (publishers.get(topicId) ?? new Set()).add(service));
  };
  for (const [, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
    const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'];
    for (const action of actions.flatMap((name) => list(alarm.Properties[name] as unknown[]))) {
      add(refTo(action), 'cloudwatch.amazonaws.com');
    }
  }
  for (const [, policy] of resourcesOfType(template, 'AWS::SNS::TopicPolicy')) {
    const statements = (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement;
    for (const statement of statements) {
      if (statement.Effect !== 'Allow' || typeof statement.Principal !== 'object') continue;
      for (const service of list(statement.Principal.Service)) {
        for (const topic of list(policy.Properties.Topics as unknown[])) add(refTo(topic), service);
      }
    }
  }
  return publishers;
}

describe('topics that AWS services publish to', () => {
  // "CloudWatch alarms can't publish to an SNS topic encrypted with the AWS managed key";
  // the key's policy must let the service use it:
  // https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns
  // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
  const publishers = servicePublishers();

  it('exist: the dead-letter alarms publish to the alarms topic', () => {
    // Assess
    expect([...(publishers.get('AlarmsTopic') ?? [])]).toEqual(['cloudwatch.amazonaws.com']);
  });

  it.each([...publishers.keys()])(
    '%s is unencrypted, or encrypted with a key whose policy grants each publishing service',
    (topicId) => {
      // Act
      const keyId = resource(topicId).Properties.KmsMasterKeyId;
      if (keyId === undefined) return;
      const keyLogicalId = refTo(keyId);

      // Assess: an alias such as alias/aws/sns is the AWS-managed key, whose policy cannot change.
      expect(keyLogicalId, `${topicId} uses ${JSON.stringify(keyId)}`).toBeDefined();
      const key = resource(keyLogicalId as string);
      expect(key.Type).toBe('AWS::KMS::Key');
      const statements = (key.Properties.KeyPolicy as { Statement: PolicyStatement[] }).Statement;
      for (const service of publishers.get(topicId) ?? []) {
        const granted = statements
          .filter(
            (statement) =>
              statement.Effect === 'Allow' &&
              typeof statement.Principal === 'object' &&
              list(statement.Principal.Service).includes(service),
          )
          .flatMap((statement) => list(statement.Action));
        expect(granted, `${service} on ${keyLogicalId}`).toEqual(
          expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
        );
      }
    },
  );

  it('rotate their customer-managed keys', () => {
    // https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
    for (const [, key] of resourcesOfType(template, 'AWS::KMS::Key')) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
    }
  });
});

describe('the user pool', () => {
  it('lets the dashboard client sign in only with SRP and refresh tokens', () => {
    // USER_PASSWORD_AUTH sends the password itself to Cognito; SRP never does:
    // https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-authentication-flow-methods.html
    // Act
    const flows = resource('UserPoolClient').Properties.ExplicitAuthFlows;

    // Assess
    expect(flows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });

  it('offers TOTP multi-factor authentication', () => {
    // https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-mfa.html
    // Act
    const { Properties } = resource('UserPool');

    // Assess
    expect(Properties.MfaConfiguration).toMatch(/^(OPTIONAL|ON)$/);
    expect(Properties.EnabledMfas).toContain('SOFTWARE_TOKEN_MFA');
  });
});

describe('data that outlives the stack', () => {
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
  it.each(['UserPool', 'S3BucketUploads', 'InventoryTable'])(
    '%s is retained on stack deletion and on replacement',
    (logicalId) => {
      // Act
      const found = resource(logicalId) as Resource & {
        DeletionPolicy?: string;
        UpdateReplacePolicy?: string;
      };

      // Assess
      expect(found.DeletionPolicy).toBe('Retain');
      expect(found.UpdateReplacePolicy).toBe('Retain');
    },
  );
});

describe('the deployment bucket', () => {
  // The framework's bucket holds every deployment's code and template.
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
  it('blocks public access, is encrypted and refuses plain HTTP', () => {
    // Act
    const bucket = resource('ServerlessDeploymentBucket').Properties;
    const policy = JSON.stringify(resource('ServerlessDeploymentBucketPolicy').Properties);

    // Assess
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(JSON.stringify(bucket.BucketEncryption)).toContain('"SSEAlgorithm":"AES256"');
    expect(policy).toContain('"aws:SecureTransport":false');
  });
});

describe('bounded cost', () => {
  // Reserved concurrency is both a floor and a ceiling for a function:
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
  it.each([
    ['ThumbnailsLambdaFunction', 10],
    ['ImportInventoryLambdaFunction', 4],
  ])('%s has reserved concurrency %i by default', (logicalId, expected) => {
    // Assess
    expect(resource(logicalId).Properties.ReservedConcurrentExecutions).toBe(expected);
  });

  it('logs access to the uploads bucket only when a log bucket is given', () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html
    // Act
    const logging = resource('S3BucketUploads').Properties.LoggingConfiguration;

    // Assess
    expect(template.Parameters?.UploadsAccessLogBucket?.Default).toBe('');
    expect(template.Conditions?.HasUploadsAccessLogs).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'UploadsAccessLogBucket' }, ''] }],
    });
    expect(logging).toEqual({
      'Fn::If': [
        'HasUploadsAccessLogs',
        {
          DestinationBucketName: { Ref: 'UploadsAccessLogBucket' },
          LogFilePrefix: 'stockroom-dev-uploads-000000000000-eu-west-1/',
        },
        { Ref: 'AWS::NoValue' },
      ],
    });
  });
});
