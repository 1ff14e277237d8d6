import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  executionNameFor,
  handOffLargeImport,
  startLargeImport,
} from '../../../../functions/import-inventory/hand-off.ts';
import { FingerprintList, keyFingerprint } from '../../../../shared/inventory/key-set.ts';

const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:stockroom-dev-large-import';
const options = {
  s3: new S3Client({}),
  sfn: new SFNClient({}),
  config: { stateMachineArn, thresholdBytes: 1000 },
  uploadsBucket: 'uploads',
  bucket: 'uploads',
  key: 'inventory/big.csv',
  now: () => new Date('2025-01-02T03:04:05Z'),
};

/** What a direct import wrote before it ran out of time: line 2, one row. */
const directPart = {
  index: 0,
  status: 'imported' as const,
  rowsRead: 1,
  rowsImported: 1,
  rowsRejected: 0,
  duplicates: 0,
  errors: [],
  errorsTotal: 0,
  lastLine: 2,
  keys: 1,
};

/** Out of time: startLargeImport as the direct import calls it. */
const startForTime = (
  source: Parameters<typeof startLargeImport>[0]['source'],
  extra: Partial<Parameters<typeof startLargeImport>[0]> = {},
) =>
  startLargeImport({
    s3: options.s3,
    sfn: options.sfn,
    stateMachineArn,
    uploadsBucket: 'uploads',
    source,
    reason: 'time',
    detail: 'stopped before the Lambda timeout',
    now: options.now,
    ...extra,
  });

beforeEach(() => {
  s3.reset();
  sfn.reset();
});

describe('handOffLargeImport', () => {
  it('leaves a file under the threshold to the direct import', async () => {
    // Prepare
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1000, ETag: '"e1"' });

    // Act
    const result = await handOffLargeImport(options);

    // Assess
    expect(result).toEqual({ handedOff: false });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts a deterministically named execution for a large file and writes a handed_off report', async () => {
    // Prepare
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1001, ETag: '"e1"', VersionId: 'v1' });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });

    // Act
    const result = await handOffLargeImport(options);

    // Assess
    const name = executionNameFor({
      bucket: 'uploads',
      key: 'inventory/big.csv',
      versionId: 'v1',
      etag: 'e1',
    });
    expect(name).toMatch(/^import-[0-9a-f]{48}$/);
    expect(result).toEqual({
      handedOff: true,
      executionArn: 'arn:exec',
      alreadyStarted: false,
      reason: 'size',
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toMatchObject({
      stateMachineArn,
      name,
      input: JSON.stringify({ bucket: 'uploads', key: 'inventory/big.csv', etag: 'e1', versionId: 'v1' }),
    });
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put?.Key).toBe('reports/inventory/inventory/big.csv.json');
    expect(JSON.parse(String(put?.Body))).toMatchObject({ status: 'handed_off', executionArn: 'arn:exec' });
  });

  it('hands off a small file whose upload asks for the workflow', async () => {
    // Prepare
    s3.on(HeadObjectCommand).resolves({
      ContentLength: 10,
      ETag: '"e2"',
      Metadata: { 'import-mode': 'Workflow' },
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec2' });

    // Act
    const result = await handOffLargeImport(options);

    // Assess
    expect(result).toMatchObject({ handedOff: true, reason: 'metadata' });
  });

  it('treats ExecutionAlreadyExists (a re-delivered event) as handed off, without touching the report', async () => {
    // Prepare
    s3.on(HeadObjectCommand).resolves({ ContentLength: 5000, ETag: '"e1"' });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const result = await handOffLargeImport(options);

    // Assess
    const name = executionNameFor({ bucket: 'uploads', key: 'inventory/big.csv', etag: 'e1' });
    expect(result).toEqual({
      handedOff: true,
      alreadyStarted: true,
      reason: 'size',
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:stockroom-dev-large-import:${name}`,
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('does nothing without a state machine configured', async () => {
    // Act
    const result = await handOffLargeImport({ ...options, config: { thresholdBytes: 0 } });

    // Assess
    expect(result).toEqual({ handedOff: false });
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });
});

describe('startLargeImport', () => {
  it('hands a file off for time with the pinned version and a handed_off report saying why', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec3' });
    const source = { bucket: 'uploads', key: 'inventory/small.csv', etag: 'e3', versionId: 'v3' };

    // Act
    const result = await startForTime(source);

    // Assess
    expect(result).toEqual({
      handedOff: true,
      executionArn: 'arn:exec3',
      alreadyStarted: false,
      reason: 'time',
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toMatchObject({
      name: executionNameFor(source),
      input: JSON.stringify({ bucket: 'uploads', key: 'inventory/small.csv', etag: 'e3', versionId: 'v3' }),
    });
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(JSON.parse(String(put?.Body))).toMatchObject({
      source,
      status: 'handed_off',
      detail: 'stopped before the Lambda timeout; the whole file is imported by Step Functions',
      rowsImported: 0,
      executionArn: 'arn:exec3',
    });
  });

  it('hands over the rest after the direct part, written to the execution’s parts first', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec4' });
    const source = { bucket: 'uploads', key: 'inventory/long.csv', etag: 'e4' };
    const keys = new FingerprintList();
    keys.push(...keyFingerprint('s1', 'a'));
    const part = directPart;

    // Act
    const result = await startForTime(source, { resume: { part, keys } });

    // Assess: keys and part under the execution's prefix, then the execution, then the report.
    const prefix = `reports/inventory/.parts/${executionNameFor(source)}/`;
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => put.Key)).toEqual([
      `${prefix}direct-2.keys`,
      `${prefix}direct-2.json`,
      'reports/inventory/inventory/long.csv.json',
    ]);
    expect(Buffer.from(puts[0]?.Body as Uint8Array)).toEqual(keys.toBytes());
    expect(JSON.parse(String(puts[1]?.Body))).toEqual(part);
    expect(JSON.parse(String(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input))).toEqual({
      bucket: 'uploads',
      key: 'inventory/long.csv',
      etag: 'e4',
      resume: { afterLine: 2 },
    });
    expect(result).toMatchObject({ executionArn: 'arn:exec4', restAfterLine: 2 });
    expect(JSON.parse(String(puts[2]?.Body)).detail).toBe(
      'stopped before the Lambda timeout; the rest, from line 3, is imported by Step Functions',
    );
  });

  it('hands over the whole file when the direct part cannot be written', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec5' });
    s3.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.includes('/direct-')) throw new Error('AccessDenied');
      return {};
    });
    const source = { bucket: 'uploads', key: 'inventory/long.csv', etag: 'e5' };
    const part = { ...directPart, keys: 0 };

    // Act
    const result = await startForTime(source, { resume: { part, keys: new FingerprintList() } });

    // Assess
    expect(result).not.toHaveProperty('restAfterLine');
    expect(
      JSON.parse(String(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input)),
    ).not.toHaveProperty('resume');
  });
});
