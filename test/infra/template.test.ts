import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../local/service-config.ts';
import {
  actionsOf,
  cfnLintFindings,
  loadTemplate,
  type Resource,
  resourceOf,
  resourcesOf,
  resourcesOfType,
  statementsOfRole,
  templatePath,
} from './template.ts';

const template = loadTemplate();
const resources = template.Resources;

const resource = (logicalId: string): Resource => resourceOf(template, logicalId);

const functionKeys = ['Web', 'Thumbnails', 'ImportInventory', 'StockAlerts', 'StoreSummaries'];

describe('buckets', () => {
  it.each(['S3BucketUploads', 'ThumbnailsBucket'])('%s is private and encrypted', (logicalId) => {
    // Act
    const { Properties } = resource(logicalId);

    // Assess
    expect(Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(
      (Properties.BucketEncryption as { ServerSideEncryptionConfiguration: unknown[] })
        .ServerSideEncryptionConfiguration,
    ).toEqual([expect.objectContaining({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } })]);
  });

  it.each([
    ['UploadsBucketPolicy', 'S3BucketUploads'],
    ['ThumbnailsBucketPolicy', 'ThumbnailsBucket'],
  ])('%s denies every request that is not over TLS', (policyId, bucketId) => {
    // Act
    const { Properties } = resource(policyId);
    const statements = (Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;

    // Assess
    expect(Properties.Bucket).toEqual({ Ref: bucketId });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, { 'Fn::Sub': `\${${bucketId}.Arn}/*` }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('lets browsers POST uploads, expires reports and aborts stale multipart uploads', () => {
    // Act
    const { Properties } = resource('S3BucketUploads');
    const rules = (Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;

    // Assess
    expect(
      (Properties.CorsConfiguration as { CorsRules: { AllowedMethods: string[] }[] }).CorsRules[0]
        ?.AllowedMethods,
    ).toContain('POST');
    expect(rules).toContainEqual(
      expect.objectContaining({ Prefix: 'reports/', Status: 'Enabled', ExpirationInDays: 30 }),
    );
    // A dead import's progress object, and the old versions its PUTs leave (docs/inventory.md).
    expect(rules).toContainEqual(
      expect.objectContaining({
        Prefix: 'reports/progress/',
        Status: 'Enabled',
        ExpirationInDays: 1,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    );
    expect(Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('triggers the thumbnails and import functions only from the uploads bucket, never from the thumbnails bucket', () => {
    // Act
    const configurations = (
      resource('S3BucketUploads').Properties.NotificationConfiguration as {
        LambdaConfigurations: {
          Event: string;
          Filter: { S3Key: { Rules: { Name: string; Value: string }[] } };
          Function: unknown;
        }[];
      }
    ).LambdaConfigurations;
    // The mail part's entry is `Fn::If: [HasMail, <entry>, AWS::NoValue]` (docs/mail.md).
    const unconditional = configurations.map((entry) => {
      const conditional = (entry as { 'Fn::If'?: [string, typeof entry, unknown] })['Fn::If'];
      return conditional ? conditional[1] : entry;
    });
    const summary = unconditional.map((configuration) => ({
      event: configuration.Event,
      rules: Object.fromEntries(configuration.Filter.S3Key.Rules.map((rule) => [rule.Name, rule.Value])),
      function: JSON.stringify(configuration.Function).match(/"(\w+)LambdaFunction"/)?.[1],
    }));

    // Assess
    expect(summary).toEqual(
      expect.arrayContaining([
        { event: 's3:ObjectCreated:*', rules: { prefix: 'images/' }, function: 'Thumbnails' },
        { event: 's3:ObjectRemoved:*', rules: { prefix: 'images/' }, function: 'Thumbnails' },
        // No suffix rule: S3 matches suffixes case-sensitively, and the function itself takes
        // `.csv`/`.csv.gz` in any case and reports other files.
        { event: 's3:ObjectCreated:*', rules: { prefix: 'inventory/' }, function: 'ImportInventory' },
        {
          event: 's3:ObjectCreated:*',
          rules: { prefix: 'reports/inventory/inventory/mail/' },
          function: 'MailInventory',
        },
      ]),
    );
    expect(summary).toHaveLength(4);
    expect(resource('ThumbnailsBucket').Properties.NotificationConfiguration).toBeUndefined();
  });
});

describe('the inventory table', () => {
  it('is keyed by store and item, on demand, streamed with both images, and recoverable', () => {
    // Act
    const { Properties } = resource('InventoryTable');

    // Assess
    expect(Properties.KeySchema).toEqual([
      { AttributeName: 'store', KeyType: 'HASH' },
      { AttributeName: 'item', KeyType: 'RANGE' },
    ]);
    expect(Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  // "For single-Region tables that are not global tables, you can design for up to two Lambda
  // functions to read from the same DynamoDB Streams shard at the same time. Exceeding this
  // limit can result in request throttling."
  // https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
  it('has its stream read by two functions at most, the most a shard serves without throttling', () => {
    // Act
    const readers = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
      JSON.stringify(mapping.Properties.EventSourceArn).includes('InventoryTable'),
    );

    // Assess
    expect(readers.map(([, mapping]) => JSON.stringify(mapping.Properties.FunctionName)).sort()).toEqual([
      expect.stringContaining('StockAlerts'),
      expect.stringContaining('StoreSummaries'),
    ]);
  });
});

describe('alerts and failure queues', () => {
  it('subscribes an e-mail address to the out-of-stock topic only when one is given', () => {
    // Act
    const subscription = resource('OutOfStockEmailSubscription');

    // Assess
    expect(subscription.Condition).toBe('HasAlertEmail');
    expect(template.Conditions?.HasAlertEmail).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlertEmail' }, ''] }],
    });
    expect(template.Parameters?.AlertEmail?.Default).toBe('');
    expect(subscription.Properties.TopicArn).toEqual({ Ref: 'OutOfStockTopic' });
  });

  it.each(['ThumbnailsFailuresQueue', 'ImportFailuresQueue', 'StreamFailuresQueue'])(
    '%s is encrypted and alarmed on its depth',
    (queueId) => {
      // Act
      const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(([, alarm]) =>
        JSON.stringify(alarm.Properties.Dimensions).includes(queueId),
      );

      // Assess
      expect(resource(queueId).Properties.SqsManagedSseEnabled).toBe(true);
      expect(alarms).toHaveLength(1);
      const [, alarm] = alarms[0] as [string, Resource];
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: [{ Ref: 'AlarmsTopic' }],
      });
    },
  );

  it.each([
    ['ThumbnailsLambdaEvConf', 'ThumbnailsFailuresQueue'],
    ['ImportInventoryLambdaEvConf', 'ImportFailuresQueue'],
  ])('%s retries twice, then sends the event to its queue', (configId, queueId) => {
    // Act
    const { Properties } = resource(configId);

    // Assess
    expect(Properties.MaximumRetryAttempts).toBe(2);
    expect(Properties.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    });
  });

  it.each([
    'StockAlertsEventSourceMappingDynamodbInventoryTable',
    'StoreSummariesEventSourceMappingDynamodbInventoryTable',
  ])(
    '%s reports partial failures, bisects, retries a bounded number of times and has an on-failure queue',
    (mappingId) => {
      // Act
      const { Properties } = resource(mappingId);

      // Assess
      expect(Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': ['InventoryTable', 'StreamArn'] },
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['StreamFailuresQueue', 'Arn'] } } },
      });
    },
  );
});

describe('functions', () => {
  it.each(functionKeys)('%s runs on nodejs22.x, arm64, with a role of its own', (key) => {
    // Act
    const { Properties } = resource(`${key}LambdaFunction`);

    // Assess
    expect(Properties.Runtime).toBe('nodejs22.x');
    expect(Properties.Architectures).toEqual(['arm64']);
    expect(Properties.Role).toEqual({ 'Fn::GetAtt': [`${key}IamRoleLambdaExecution`, 'Arn'] });
    expect(Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('deploys no shared role that no function uses', () => {
    // Assess
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it.each(functionKeys)(
    "%s's role has no wildcard action and no wildcard resource beyond AWS's requirements",
    (key) => {
      // Act
      const statements = statementsOfRole(template, `${key}IamRoleLambdaExecution`);

      // Assess
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
        const actions = actionsOf(statement);
        const isXRay = actions.every((action) => action.startsWith('xray:'));
        const isLogs = actions.every((action) => action.startsWith('logs:'));
        for (const target of resourcesOf(statement)) {
          if (isXRay) {
            // X-Ray has no resource-level permissions: AWS requires "*".
            expect(target).toBe('*');
          } else if (isLogs) {
            // Log streams of the function's own log group.
            expect(JSON.stringify(target)).toContain(`log-group:/aws/lambda/stockroom-dev-`);
          } else {
            expect(target).not.toBe('*');
          }
        }
      }
    },
  );

  // Each role's exact permissions, call by call: iam.test.ts.

  it('ships sharp only in the layer, and the thumbnails function uses that layer', () => {
    // Act
    const { Properties } = resource('ThumbnailsLambdaFunction');
    const layer = resource('SharpLambdaLayer');

    // Assess
    expect(Properties.Layers).toEqual([{ Ref: 'SharpLambdaLayer' }]);
    expect(layer.Properties.CompatibleArchitectures).toEqual(['arm64']);
    expect(layer.Properties.CompatibleRuntimes).toEqual(['nodejs22.x']);
  });
});

describe('the HTTP API', () => {
  it('throttles every route by default', () => {
    // Act
    const { Properties } = resource('HttpApiStage');

    // Assess
    expect(Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });
});

describe('serverless.yml', () => {
  it('holds no account-specific literal', () => {
    // Act
    const source = readFileSync(join(projectRoot, 'serverless.yml'), 'utf8');

    // Assess
    expect(source).not.toMatch(/\b\d{12}\b/);
    expect(source).not.toMatch(/arn:aws:[a-z0-9-]+:[a-z0-9-]+:\d/);
  });
});

describe('cfn-lint', () => {
  it('finds nothing wrong with the packaged template', async () => {
    // Act
    const result = await cfnLintFindings(templatePath);

    // Assess
    expect(result).toBe('');
  });
});
