import { describe, expect, it } from 'vitest';
import { actionsOf, loadTemplate, resourcesOf, type Statement, statementsOfRole } from './template.ts';

/**
 * Least privilege, exactly: each function's role holds the permissions named below and
 * nothing else. Each row names the SDK call (or platform feature) that needs its grants, so
 * a permission without a caller, or a call without a permission, fails here.
 *
 * Which action an S3 call needs: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html
 * (HeadObject needs s3:GetObject; a VersionId adds s3:GetObjectVersion; DeleteObjects needs
 * s3:DeleteObject per key; a multipart upload needs s3:PutObject, and s3:AbortMultipartUpload
 * to abort). PublishBatch is authorised by sns:Publish:
 * https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html
 * An on-failure destination is sent by the function's role:
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * A stream event source is read with the function's role:
 * https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-permissions
 */
const template = loadTemplate();

/** Written as `<action> <resource>[ if s3:prefix=<pattern>]`; resources in short form (see `short`). */
type Grants = Record<string, string[]>;

const X_RAY = {
  'tracing (provider.tracing.lambda)': ['xray:PutTraceSegments *', 'xray:PutTelemetryRecords *'],
};
const STREAM = {
  'the Inventory stream event source': [
    'dynamodb:GetRecords InventoryTable/stream',
    'dynamodb:GetShardIterator InventoryTable/stream',
    'dynamodb:DescribeStream InventoryTable/stream',
    'dynamodb:ListStreams InventoryTable/stream',
  ],
};
const MISSING_IMAGE = {
  'S3 ListObjectsV2 of a key that answered 403 (isMissingSource)': [
    's3:ListBucket uploads if s3:prefix=images/*',
  ],
};
const MISSING_CSV = {
  'S3 ListObjectsV2 of a key that answered 403 (isMissingSource)': [
    's3:ListBucket uploads if s3:prefix=inventory/*',
  ],
};

/** The image flow's S3 calls, shared by the thumbnails function and the rebuild's batches. */
const THUMBNAILER = {
  'S3 GetObject and HeadObject of the source (shared/images/objects.ts)': ['s3:GetObject uploads:images/*'],
  ...MISSING_IMAGE,
  'S3 HeadObject, PutObject, DeleteObject of thumbnails': [
    's3:GetObject thumbnails:images/*',
    's3:PutObject thumbnails:images/*',
    's3:DeleteObject thumbnails:images/*',
  ],
  'S3 ListObjectsV2 of a source’s thumbnails (paginateListObjectsV2)': ['s3:ListBucket thumbnails'],
  'S3 PutObject of the image report (shared/reports.ts)': [
    's3:PutObject uploads:reports/images/images/*',
    's3:PutObject uploads:reports/images/too-long/*',
  ],
};

const expected: Record<string, Grants> = {
  Web: {
    ...X_RAY,
    'DynamoDB Query of a store (shared/inventory/table.ts, paginateQuery)': ['dynamodb:Query InventoryTable'],
    'DynamoDB Scan of the summaries (paginateScan)': ['dynamodb:Scan StoreSummariesTable'],
    // A Query of an index is authorised on the index's own ARN:
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-specific-table-indexes.html
    'DynamoDB Query of stock history and transitions (shared/stock/history-table.ts)': [
      'dynamodb:Query StockHistoryTable',
      'dynamodb:Query StockHistoryTable/index/transitions-by-month',
      'dynamodb:Query StockHistoryTable/index/transitions-by-store',
    ],
    'DynamoDB Query of what needs attention (shared/stock/attention-table.ts)': [
      'dynamodb:Query StockAttentionTable',
      'dynamodb:Query StockAttentionTable/index/attention-by-status',
    ],
    'DynamoDB Query of the item-stores index (shared/inventory/table.ts, queryItemAcrossStores)': [
      'dynamodb:Query InventoryTable/index/item-stores',
    ],
    'S3 ListObjectsV2 and GetObject of running imports’ progress (shared/inventory/progress.ts)': [
      's3:ListBucket uploads if s3:prefix=reports/progress/inventory/*',
      's3:GetObject uploads:reports/progress/inventory/*',
    ],
    'S3 ListObjectsV2 of import reports (functions/web/import-reports.ts)': [
      's3:ListBucket uploads if s3:prefix=reports/inventory/*',
    ],
    'S3 GetObject of an import report': ['s3:GetObject uploads:reports/inventory/*'],
    'createPresignedPost: the role signs what the browser uploads': [
      's3:PutObject uploads:inventory/*',
      's3:PutObject uploads:images/*',
    ],
    // Thumbnails reach the browser through CloudFront (origin access control): no GetObject.
    'S3 ListObjectsV2 of thumbnails (the image index)': ['s3:ListBucket thumbnails if s3:prefix=images/*'],
  },
  Thumbnails: {
    ...X_RAY,
    ...THUMBNAILER,
    'S3 DeleteObject of a deleted image’s report': [
      's3:DeleteObject uploads:reports/images/images/*',
      's3:DeleteObject uploads:reports/images/too-long/*',
    ],
    'the on-failure destination': ['sqs:SendMessage ThumbnailsFailuresQueue'],
  },
  ImportInventory: {
    ...X_RAY,
    'S3 HeadObject (hand-off) and GetObject of the upload, by version': [
      's3:GetObject uploads:inventory/*',
      's3:GetObjectVersion uploads:inventory/*',
    ],
    ...MISSING_CSV,
    'S3 PutObject of the import report': [
      's3:PutObject uploads:reports/inventory/inventory/*',
      's3:PutObject uploads:reports/inventory/too-long/*',
    ],
    'S3 PutObject and DeleteObject of the progress object (progress-writer.ts)': [
      's3:PutObject uploads:reports/progress/inventory/inventory/*',
      's3:PutObject uploads:reports/progress/inventory/too-long/*',
      's3:DeleteObject uploads:reports/progress/inventory/inventory/*',
      's3:DeleteObject uploads:reports/progress/inventory/too-long/*',
    ],
    'S3 PutObject of the direct part handed to the workflow with the rest (hand-off.ts)': [
      's3:PutObject uploads:reports/inventory/.parts/import-*/direct-*',
    ],
    'DynamoDB BatchWriteItem (shared/inventory/writer.ts)': ['dynamodb:BatchWriteItem InventoryTable'],
    'Step Functions StartExecution (hand-off)': ['states:StartExecution stateMachine:large-import'],
    'the on-failure destination': ['sqs:SendMessage ImportFailuresQueue'],
  },
  StockAlerts: {
    ...X_RAY,
    ...STREAM,
    'SNS Publish (functions/stock-alerts/publisher.ts)': ['sns:Publish OutOfStockTopic'],
    // Powertools' DynamoDBPersistenceLayer: PutItem (INPROGRESS), GetItem, UpdateItem
    // (COMPLETED), DeleteItem (a failed publish).
    // https://docs.aws.amazon.com/powertools/typescript/latest/features/idempotency/#iam-permissions
    'DynamoDB records of the alerts published (functions/stock-alerts/once.ts)': [
      'dynamodb:PutItem AlertsPublishedTable',
      'dynamodb:GetItem AlertsPublishedTable',
      'dynamodb:UpdateItem AlertsPublishedTable',
      'dynamodb:DeleteItem AlertsPublishedTable',
    ],
    'DynamoDB BatchWriteItem of history items (functions/stock-alerts/history.ts, writeStockChanges)': [
      'dynamodb:BatchWriteItem StockHistoryTable',
    ],
    'DynamoDB UpdateItem (conditional) of an item’s attention (applyAttentionChange)': [
      'dynamodb:UpdateItem StockAttentionTable',
    ],
    'the on-failure destination': ['sqs:SendMessage StreamFailuresQueue'],
  },
  StoreSummaries: {
    ...X_RAY,
    ...STREAM,
    // TransactWriteItems is authorised per action it holds: UpdateItem here.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
    'DynamoDB UpdateItem of summaries, alone or in TransactWriteItems (addToStoreSummary, addToStoreSummaries)':
      ['dynamodb:UpdateItem StoreSummariesTable'],
    'DynamoDB GetItem of its applied sequence (appliedSequenceOf)': ['dynamodb:GetItem StoreSummariesTable'],
    'the on-failure destination': ['sqs:SendMessage StreamFailuresQueue'],
  },
  LargeImportPlan: {
    ...X_RAY,
    'S3 GetObject of the upload, by version': [
      's3:GetObject uploads:inventory/*',
      's3:GetObjectVersion uploads:inventory/*',
    ],
    ...MISSING_CSV,
    'lib-storage Upload of the gunzipped copy (multipart)': [
      's3:PutObject uploads:reports/inventory/.parts/*',
      's3:AbortMultipartUpload uploads:reports/inventory/.parts/*',
    ],
    'S3 GetObject of a resumed import’s direct part (plan.ts)': [
      's3:GetObject uploads:reports/inventory/.parts/import-*/direct-*',
    ],
  },
  LargeImportRange: {
    ...X_RAY,
    'S3 GetObject of a byte range, by version (the upload or its gunzipped copy)': [
      's3:GetObject uploads:inventory/*',
      's3:GetObjectVersion uploads:inventory/*',
      's3:GetObject uploads:reports/inventory/.parts/*',
      's3:GetObjectVersion uploads:reports/inventory/.parts/*',
    ],
    'S3 PutObject of the range’s part': ['s3:PutObject uploads:reports/inventory/.parts/*'],
    'DynamoDB BatchWriteItem': ['dynamodb:BatchWriteItem InventoryTable'],
  },
  LargeImportReconcile: {
    ...X_RAY,
    'S3 GetObject and PutObject of parts': [
      's3:GetObject uploads:reports/inventory/.parts/*',
      's3:PutObject uploads:reports/inventory/.parts/*',
    ],
  },
  LargeImportSummarise: {
    ...X_RAY,
    'S3 GetObject and DeleteObjects of parts': [
      's3:GetObject uploads:reports/inventory/.parts/*',
      's3:DeleteObject uploads:reports/inventory/.parts/*',
    ],
    'S3 PutObject of the final report': [
      's3:PutObject uploads:reports/inventory/inventory/*',
      's3:PutObject uploads:reports/inventory/too-long/*',
    ],
    'SNS Publish of import_finished': ['sns:Publish OutOfStockTopic'],
  },
  MailInventory: {
    ...X_RAY,
    'S3 GetObject of the raw message, the message’s record and its files’ import reports': [
      's3:GetObject uploads:mail/*',
      's3:GetObject uploads:reports/mail/*',
      's3:GetObject uploads:reports/inventory/inventory/mail/*',
    ],
    'S3 ListObjectsV2 of a report that answered 403 (isMissingSource)': [
      's3:ListBucket uploads if s3:prefix=reports/mail/*|reports/inventory/inventory/mail/*',
    ],
    'S3 PutObject of the staged files and the message’s record': [
      's3:PutObject uploads:inventory/mail/*',
      's3:PutObject uploads:reports/mail/*',
    ],
    'DynamoDB PutItem (conditional) and DeleteItem of the reply marker (reply-once.ts)': [
      'dynamodb:PutItem MailRepliesTable',
      'dynamodb:DeleteItem MailRepliesTable',
    ],
    // SendEmail is authorised on the sending identity: https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html
    'SESv2 SendEmail from the domain’s identity': [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub placeholders, not JavaScript's.
      'ses:SendEmail {"Fn::Sub":"arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/"}',
    ],
    'the on-failure destination': ['sqs:SendMessage ImportFailuresQueue'],
  },
  RebuildThumbnailsList: {
    ...X_RAY,
    'S3 ListObjectsV2 of images': ['s3:ListBucket uploads if s3:prefix=images/*'],
    'S3 PutObject of the page part': ['s3:PutObject uploads:reports/images/rebuilds/.parts/*'],
  },
  RebuildThumbnailsBatch: {
    ...X_RAY,
    ...THUMBNAILER,
    'S3 GetObject of the page part': ['s3:GetObject uploads:reports/images/rebuilds/.parts/*'],
  },
  RebuildThumbnailsSummarise: {
    ...X_RAY,
    'S3 PutObject of the rebuild report': ['s3:PutObject uploads:reports/images/rebuilds/*'],
    'S3 DeleteObjects of the parts': ['s3:DeleteObject uploads:reports/images/rebuilds/.parts/*'],
  },
};

const BUCKETS: Record<string, string> = {
  'stockroom-dev-uploads-000000000000-eu-west-1': 'uploads',
  'stockroom-dev-thumbnails-000000000000-eu-west-1': 'thumbnails',
};

/** A resource as the table above writes it. */
function short(resource: unknown): string {
  if (resource === '*') return '*';
  const text = JSON.stringify(resource);
  const s3 =
    /^\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":s3:::([^/"]+)(?:\/([^"]*))?"\]\]\}$/.exec(text);
  if (s3) {
    const bucket = BUCKETS[s3[1] ?? ''] ?? s3[1];
    return s3[2] === undefined ? `${bucket}` : `${bucket}:${s3[2]}`;
  }
  const attribute = /^\{"Fn::GetAtt":\["(\w+)","(Arn|StreamArn)"\]\}$/.exec(text);
  if (attribute) return attribute[2] === 'StreamArn' ? `${attribute[1]}/stream` : `${attribute[1]}`;
  const index = /^\{"Fn::Sub":"\$\{(\w+)\.Arn\}\/index\/([\w-]+)"\}$/.exec(text);
  if (index) return `${index[1]}/index/${index[2]}`;
  const ref = /^\{"Ref":"(\w+)"\}$/.exec(text);
  if (ref) return `${ref[1]}`;
  const machine = /:stateMachine:stockroom-dev-([\w-]+)"\}$/.exec(text);
  if (machine) return `stateMachine:${machine[1]}`;
  return text;
}

function condition(statement: Statement): string {
  if (statement.Condition === undefined) return '';
  const prefixes = (statement.Condition as { StringLike?: { 's3:prefix'?: string[] } }).StringLike?.[
    's3:prefix'
  ];
  if (prefixes && Object.keys(statement.Condition as object).length === 1) {
    return ` if s3:prefix=${prefixes.join('|')}`;
  }
  return ` if ${JSON.stringify(statement.Condition)}`;
}

/** Every grant of a role except writing its own logs (checked in template.test.ts). */
function grantsOf(functionKey: string): string[] {
  return statementsOfRole(template, `${functionKey}IamRoleLambdaExecution`)
    .filter((statement) => !actionsOf(statement).every((action) => action.startsWith('logs:')))
    .flatMap((statement) => {
      expect(statement.Effect).toBe('Allow');
      return actionsOf(statement).flatMap((action) =>
        resourcesOf(statement).map((resource) => `${action} ${short(resource)}${condition(statement)}`),
      );
    })
    .sort();
}

describe('each function’s role', () => {
  it('exists for every function the template deploys, and the table covers them all', () => {
    // Act
    const deployed = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([logicalId]) => logicalId.replace(/LambdaFunction$/, ''))
      .sort();

    // Assess
    expect(deployed).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.keys(expected))('%s holds exactly what its SDK calls need', (functionKey) => {
    // Prepare
    const wanted = Object.values(expected[functionKey] ?? {})
      .flat()
      .sort();

    // Act
    const granted = grantsOf(functionKey);

    // Assess
    expect(granted).toEqual(wanted);
  });
});
