import { Readable } from 'node:stream';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';

const s3 = mockClient(S3Client);
const dynamoDb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);

const context = {
  functionName: 'importInventory',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 600_000,
} as unknown as Context;

async function loadHandler() {
  vi.resetModules();
  return (await import('../../../../functions/import-inventory/handler.ts')).handler;
}

const eventFor = (encodedKey: string) => ({
  Records: [{ s3: { bucket: { name: 'uploads' }, object: { key: encodedKey } } }],
});

/** The `Imports` counts, each with the status dimension it was given. */
function importsCounted(
  dimensions: MockInstance<Metrics['addDimension']>,
  metrics: MockInstance<Metrics['addMetric']>,
) {
  const statuses = dimensions.mock.calls.filter(([name]) => name === 'status').map(([, value]) => value);
  const counts = metrics.mock.calls.filter(([name]) => name === 'Imports').map(([, , value]) => value);
  return { statuses, counts };
}

beforeEach(() => {
  s3.reset();
  dynamoDb.reset();
  sfn.reset();
  vi.stubEnv('UPLOADS_BUCKET', 'uploads');
  vi.stubEnv('INVENTORY_TABLE', 'inventory');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).callsFake(() => ({
    Body: Readable.from([Buffer.from('store,item,count\ns1,a,1\n')]),
    ETag: '"e1"',
  }));
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('importInventory handler', () => {
  it('imports the object the decoded key names, and counts the import under its status', async () => {
    // Prepare
    dynamoDb.on(BatchWriteItemCommand).resolves({});
    const dimensions = vi.spyOn(Metrics.prototype, 'addDimension');
    const metrics = vi.spyOn(Metrics.prototype, 'addMetric');
    const handler = await loadHandler();

    // Act
    await handler(eventFor('inventory/stock+list%2B1.csv') as never, context);

    // Assess
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      'inventory/stock list+1.csv',
      'inventory/stock list+1.csv',
    ]);
    // Watchable while it ran: its progress object first, the report, then the progress deleted.
    const progressKey = 'reports/progress/inventory/inventory/stock list+1.csv.json';
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      progressKey,
      'reports/inventory/inventory/stock list+1.csv.json',
    ]);
    expect(s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input.Key)).toEqual([progressKey]);
    expect(importsCounted(dimensions, metrics)).toEqual({ statuses: ['completed'], counts: [1] });
    expect(metrics.mock.calls.some(([name]) => String(name).startsWith('Imports_'))).toBe(false);
  });

  it('rethrows a write error after counting the failed import', async () => {
    // Prepare
    dynamoDb
      .on(BatchWriteItemCommand)
      .rejects(
        Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException', $metadata: {} }),
      );
    const dimensions = vi.spyOn(Metrics.prototype, 'addDimension');
    const metrics = vi.spyOn(Metrics.prototype, 'addMetric');
    const handler = await loadHandler();

    // Act
    const importing = handler(eventFor('inventory/a.csv') as never, context);

    // Assess
    await expect(importing).rejects.toMatchObject({ name: 'InventoryWriteError' });
    expect(importsCounted(dimensions, metrics)).toEqual({ statuses: ['failed'], counts: [1] });
  });

  it('hands a small file to the workflow, not a time_limit failure, when too little time is left', async () => {
    // Prepare: under the size threshold, but under the 30 s safety margin from the start.
    vi.stubEnv(
      'LARGE_IMPORT_STATE_MACHINE_ARN',
      'arn:aws:states:eu-west-1:123456789012:stateMachine:stockroom-dev-large-import',
    );
    s3.on(HeadObjectCommand).resolves({ ContentLength: 24, ETag: '"e1"' });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
    const metrics = vi.spyOn(Metrics.prototype, 'addMetric');
    const handler = await loadHandler();
    const short = { ...context, getRemainingTimeInMillis: () => 1_000 } as Context;

    // Act
    await handler(eventFor('inventory/a.csv') as never, short);

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input).toBe(
      JSON.stringify({ bucket: 'uploads', key: 'inventory/a.csv', etag: 'e1' }),
    );
    const reports = s3
      .commandCalls(PutObjectCommand)
      .filter((call) => call.args[0].input.Key?.startsWith('reports/inventory/'))
      .map((call) => JSON.parse(String(call.args[0].input.Body)));
    expect(reports).toEqual([
      expect.objectContaining({
        status: 'handed_off',
        executionArn: 'arn:exec',
        detail: expect.stringContaining('the whole file is imported by Step Functions'),
      }),
    ]);
    expect(dynamoDb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
    expect(metrics.mock.calls.filter(([name]) => name === 'ImportsHandedOff')).toHaveLength(1);
  });

  it('refuses an event that is not an S3 notification, reading nothing', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const importing = handler({ Service: 'Amazon S3', Event: 's3:TestEvent' } as never, context);

    // Assess
    await expect(importing).rejects.toMatchObject({ name: 'ParseError' });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
