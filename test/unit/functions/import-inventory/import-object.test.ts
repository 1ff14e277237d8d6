import { Readable } from 'node:stream';
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ImportConfig } from '../../../../functions/import-inventory/config.ts';
import type { DirectPart } from '../../../../functions/import-inventory/hand-off.ts';
import {
  type ImportObjectResult,
  importInventoryObject,
} from '../../../../functions/import-inventory/import-object.ts';
import { DEFAULT_FILE_LIMITS } from '../../../../shared/inventory/limits.ts';
import { inventoryImportReportSchema } from '../../../../shared/inventory/report.ts';
import { gzip, gzipStream, metered, repeated } from '../../shared/inventory/helpers.ts';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const s3 = new S3Client({ region: 'eu-west-1', credentials });
const dynamoDb = new DynamoDBClient({ region: 'eu-west-1', credentials });
const s3Mock = mockClient(s3);
const dynamoMock = mockClient(dynamoDb);

const config: ImportConfig = {
  uploadsBucket: 'uploads',
  tableName: 'inventory',
  writeConcurrency: 2,
  writeMaxAttempts: 3,
  maxReportedErrors: 100,
  rowsPerSecond: 1000,
  timeSafetyMarginMs: 10_000,
  fileLimits: DEFAULT_FILE_LIMITS,
};
const lastModified = new Date('2025-03-01T10:00:00.000Z');
const clock = () => new Date('2025-03-01T10:00:05.000Z');

function serve(content: string | Uint8Array, extra: Partial<GetObjectCommandOutput> = {}) {
  s3Mock.on(GetObjectCommand).callsFake(() => ({
    Body: Readable.from([Buffer.from(content)]),
    ETag: '"etag-1"',
    LastModified: lastModified,
    ...extra,
  }));
}

function run(key = 'inventory/stock list.csv', remainingTimeMs = () => 600_000) {
  return importInventoryObject({
    s3,
    dynamoDb,
    config,
    bucket: 'uploads',
    key,
    remainingTimeMs,
    now: clock,
    writerOverrides: { sleep: async () => {} },
  });
}

const reportOf = (result: ImportObjectResult) =>
  result.outcome === 'superseded' || result.outcome === 'handed_off' ? undefined : result.report;
const errorOf = (result: ImportObjectResult) =>
  result.outcome === 'write_failed' ? result.error : undefined;

const writtenItems = () =>
  dynamoMock
    .commandCalls(BatchWriteItemCommand)
    .flatMap((c) => (c.args[0].input as BatchWriteItemCommandInput).RequestItems?.inventory ?? [])
    .map(
      (r) => `${r.PutRequest?.Item?.store?.S}/${r.PutRequest?.Item?.item?.S}=${r.PutRequest?.Item?.count?.N}`,
    );

const storedReport = () => {
  const calls = s3Mock.commandCalls(PutObjectCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]?.args[0].input;
  return { key: input?.Key, report: JSON.parse(String(input?.Body)) as unknown };
};

beforeEach(() => {
  s3Mock.reset();
  dynamoMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  dynamoMock.on(BatchWriteItemCommand).resolves({});
});

describe('importInventoryObject', () => {
  it('imports a file and writes an exact report next to it', async () => {
    // Prepare
    serve('\uFEFFstore,item,count,note\r\ns1,apple,3,x\r\ns1,pear,abc,\r\ns1,apple,0,\r\n');

    // Act
    const result = await run();

    // Assess
    expect(writtenItems()).toEqual(['s1/apple=0']);
    const { key, report } = storedReport();
    expect(key).toBe('reports/inventory/inventory/stock list.csv.json');
    expect(inventoryImportReportSchema.parse(report)).toEqual({
      source: { bucket: 'uploads', key: 'inventory/stock list.csv', etag: 'etag-1' },
      status: 'completed_with_errors',
      rowsRead: 3,
      rowsImported: 2,
      rowsRejected: 1,
      duplicates: 1,
      errors: [{ line: 3, reason: 'count must be a whole number ≥ 0 (got "abc")' }],
      errorsTotal: 1,
      errorsTruncated: false,
      ignoredColumns: ['note'],
      ignoredColumnsTotal: 1,
      startedAt: '2025-03-01T10:00:05.000Z',
      finishedAt: '2025-03-01T10:00:05.000Z',
    });
    expect(reportOf(result)).toEqual(report);
    expect(errorOf(result)).toBeUndefined();
    expect(result.outcome).toBe('reported');
  });

  it('stamps items with the upload’s time and source, and reads the same version twice', async () => {
    // Prepare
    serve('store,item,count\ns1,a,1\n', { VersionId: 'v7' });

    // Act
    await run();

    // Assess
    const item =
      dynamoMock.commandCalls(BatchWriteItemCommand)[0]?.args[0].input.RequestItems?.inventory?.[0]
        ?.PutRequest?.Item;
    expect(item?.updatedAt).toEqual({ S: '2025-03-01T10:00:00.000Z' });
    expect(item?.source).toEqual({
      M: {
        bucket: { S: 'uploads' },
        key: { S: 'inventory/stock list.csv' },
        etag: { S: 'etag-1' },
        versionId: { S: 'v7' },
      },
    });
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.VersionId)).toEqual([
      undefined,
      'v7',
    ]);
  });

  it('pins the second read to the first one’s ETag when the bucket is not versioned', async () => {
    // Prepare
    serve('store,item,count\ns1,a,1\n');

    // Act
    await run();

    // Assess
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.IfMatch)).toEqual([
      undefined,
      '"etag-1"',
    ]);
  });

  it('gunzips a .csv.gz upload', async () => {
    // Prepare
    serve(gzip('store,item,count\ns1,a,1\ns2,b,2\n'));

    // Act
    const result = await run('inventory/x.csv.gz');

    // Assess
    expect(writtenItems()).toEqual(['s1/a=1', 's2/b=2']);
    expect(reportOf(result)?.status).toBe('completed');
  });

  it.each([
    [
      'invalid UTF-8',
      'inventory/x.csv',
      Buffer.from('store,item,count\ns1,caf\xe9,1\n', 'latin1'),
      'invalid_utf8',
    ],
    ['corrupt gzip', 'inventory/x.csv.gz', Buffer.from('store,item,count\n'), 'corrupt_gzip'],
    ['a missing column', 'inventory/x.csv', Buffer.from('store,item\ns1,a\n'), 'missing_columns'],
    ['an empty file', 'inventory/x.csv', Buffer.from(''), 'empty_file'],
    [
      'an unclosed quote at the end',
      'inventory/x.csv',
      Buffer.from('store,item,count\ns1,a,1\ns1,"b,2\n'),
      'malformed_csv',
    ],
  ])('rejects %s as a whole, writing nothing', async (_name, key, content, reason) => {
    // Prepare
    serve(content);

    // Act
    const result = await run(key);

    // Assess
    expect(dynamoMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
    expect(reportOf(result)).toMatchObject({ status: 'rejected', reason, rowsImported: 0 });
    expect(reportOf(result)?.detail).toEqual(expect.any(String));
    expect(storedReport().report).toEqual(reportOf(result));
  });

  describe('a hostile upload', () => {
    /** Serves a file that counts how much of it the import read. */
    function serveMetered(source: AsyncIterable<Uint8Array>): () => number {
      const file = metered(source);
      s3Mock.on(GetObjectCommand).callsFake(() => ({
        Body: Readable.from(file.source),
        ETag: '"etag-1"',
        LastModified: lastModified,
      }));
      return file.taken;
    }

    it('rejects a header of ten million commas early, with a small report and nothing written', async () => {
      // Prepare
      const taken = serveMetered(repeated('store,item,count', ',', 10_000_000));

      // Act
      const result = await run();

      // Assess
      expect(dynamoMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
      expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
      expect(reportOf(result)).toMatchObject({
        status: 'rejected',
        reason: 'header_too_long',
        detail: expect.stringContaining('65536 bytes'),
        ignoredColumns: [],
      });
      expect(String(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Body).length).toBeLessThan(2048);
      expect(taken()).toBeLessThan(512 * 1024);
    });

    it('rejects a gzip bomb of valid rows for its ratio, having inflated only its start', async () => {
      // Prepare: 256 MiB of one row repeated, about 250 KB of gzip.
      const bomb = await gzipStream(repeated('store,item,count\n', 's1,a,1\n', 256 * 1024 * 1024));
      const taken = serveMetered(
        (async function* () {
          for (let at = 0; at < bomb.length; at += 16_384) yield bomb.subarray(at, at + 16_384);
        })(),
      );

      // Act
      const result = await run('inventory/bomb.csv.gz');

      // Assess
      expect(dynamoMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
      expect(reportOf(result)).toMatchObject({
        status: 'rejected',
        reason: 'gzip_ratio_too_high',
        rowsImported: 0,
      });
      expect(result.outcome).toBe('reported');
      expect(taken()).toBeLessThan(bomb.length / 4);
    });
  });

  it('without a workflow, refuses up front a file that cannot finish in the time left', async () => {
    // Prepare: 100 rows at 1000 rows/s need 100 ms; 10 s margin + 50 ms left.
    serve(`store,item,count\n${'s1,a,1\n'.repeat(100)}`);

    // Act
    const result = await run('inventory/x.csv', () => 10_050);

    // Assess
    expect(reportOf(result)).toMatchObject({ status: 'failed', reason: 'time_limit', rowsImported: 0 });
    expect(errorOf(result)).toBeUndefined();
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(dynamoMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('without a workflow, stops cleanly when time runs short mid-import, reporting the rows written so far', async () => {
    // Prepare: plenty of time for the check, then too little after the first writes.
    serve(`store,item,count\n${Array.from({ length: 2000 }, (_, i) => `s1,i${i},1`).join('\n')}\n`);
    let asked = 0;
    const remaining = () => {
      asked += 1;
      return dynamoMock.commandCalls(BatchWriteItemCommand).length > 0 ? 1000 : 600_000 + asked;
    };

    // Act
    const result = await run('inventory/x.csv', remaining);

    // Assess
    expect(errorOf(result)).toBeUndefined();
    expect(reportOf(result)).toMatchObject({
      status: 'failed',
      reason: 'time_limit',
      rowsRead: 250,
      rowsImported: 250,
      lastLine: 251,
    });
    expect(writtenItems()).toHaveLength(250);
  });

  describe('out of time, with a workflow to hand off to', () => {
    const handedOff = {
      handedOff: true,
      executionArn: 'arn:exec',
      alreadyStarted: false,
      reason: 'time',
    } as const;
    function runWithHandOff(remainingTimeMs: () => number) {
      const handOffs: { source: unknown; detail: string; resume?: DirectPart }[] = [];
      const result = importInventoryObject({
        s3,
        dynamoDb,
        config,
        bucket: 'uploads',
        key: 'inventory/x.csv',
        remainingTimeMs,
        now: clock,
        handOffForTime: async (source, detail, resume) => {
          handOffs.push({ source, detail, ...(resume ? { resume } : {}) });
          return handedOff;
        },
        writerOverrides: { sleep: async () => {} },
      });
      return { result, handOffs };
    }

    it('hands the file off when the check pass predicts it will not fit', async () => {
      // Prepare: 100 rows at 1000 rows/s need 100 ms; 10 s margin + 50 ms left.
      serve(`store,item,count\n${'s1,a,1\n'.repeat(100)}`);

      // Act
      const { result, handOffs } = runWithHandOff(() => 10_050);

      // Assess
      expect(await result).toEqual({ outcome: 'handed_off', handOff: handedOff });
      expect(handOffs).toEqual([
        {
          source: { bucket: 'uploads', key: 'inventory/x.csv', etag: 'etag-1' },
          detail: expect.stringContaining('about 100 rows need'),
        },
      ]);
      expect(dynamoMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
      expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    });

    it('hands the rest off when time runs short mid-import, with what it wrote and its keys', async () => {
      // Prepare: plenty of time for the check, then too little after the first writes; row
      // 10 is in error and row 20 repeats row 0's key.
      const rows = Array.from({ length: 2000 }, (_, i) =>
        i === 10 ? 's1,bad,x' : `s1,i${i === 20 ? 0 : i},1`,
      );
      serve(`store,item,count\n${rows.join('\n')}\n`);
      let asked = 0;
      const remaining = () => {
        asked += 1;
        return dynamoMock.commandCalls(BatchWriteItemCommand).length > 0 ? 1000 : 600_000 + asked;
      };

      // Act
      const { result, handOffs } = runWithHandOff(remaining);

      // Assess
      expect(await result).toEqual({ outcome: 'handed_off', handOff: handedOff });
      expect(handOffs).toHaveLength(1);
      expect(handOffs[0]?.detail).toBe(
        'stopped before the Lambda timeout; rows up to line 251 (249 rows) are imported',
      );
      expect(writtenItems()).toHaveLength(248); // i0 twice
      const resume = handOffs[0]?.resume;
      expect(resume?.part).toEqual({
        index: 0,
        status: 'imported',
        rowsRead: 250,
        rowsImported: 249,
        rowsRejected: 1,
        duplicates: 1,
        errors: [{ line: 12, reason: 'count must be a whole number ≥ 0 (got "x")' }],
        errorsTotal: 1,
        errorsTruncated: false,
        lastLine: 251,
        keys: 248,
      });
      expect(resume?.keys.length).toBe(248);
      // No `failed` report: the hand-off writes the `handed_off` one.
      expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    });
  });

  it('reports a permanent write error as failed and hands the error back for rethrowing', async () => {
    // Prepare
    serve('store,item,count\ns1,a,1\n');
    dynamoMock
      .on(BatchWriteItemCommand)
      .rejects(
        Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException', $metadata: {} }),
      );

    // Act
    const result = await run();

    // Assess
    expect(result.outcome).toBe('write_failed');
    expect(errorOf(result)?.name).toBe('InventoryWriteError');
    expect(reportOf(result)).toMatchObject({ status: 'failed', reason: 'write_error', rowsImported: 0 });
    expect(reportOf(result)?.detail).toContain('ResourceNotFoundException');
    expect(storedReport().report).toEqual(reportOf(result));
  });

  it('says how far a failed import got: rows read, and every row the table holds', async () => {
    // Prepare: 100 rows (4 batches of 25). The first two batches are written; the third has
    // 5 items left unprocessed on every attempt; the fourth meets a permanent error.
    serve(`store,item,count\n${Array.from({ length: 100 }, (_, i) => `s1,i${i},${i}`).join('\n')}\n`);
    let calls = 0;
    dynamoMock.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => {
      calls += 1;
      const [table, requests] = Object.entries(input.RequestItems ?? {})[0] as [string, WriteRequest[]];
      const first = requests[0]?.PutRequest?.Item?.item?.S ?? '';
      const batch = Math.floor(Number(first.slice(1)) / 25);
      if (batch === 3)
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} });
      if (batch === 2) return { UnprocessedItems: { [table]: requests.slice(-5) } };
      return { UnprocessedItems: {} };
    });

    // Act
    const result = await run();

    // Assess: 25 + 25 written, and 20 of the third batch.
    expect(calls).toBeGreaterThan(3);
    expect(reportOf(result)).toMatchObject({ status: 'failed', reason: 'write_error', rowsImported: 70 });
    // Reading stops at the failure: every row read so far is counted, rejected ones too.
    expect(reportOf(result)?.rowsRead).toBeGreaterThanOrEqual(75);
  });

  it('reports an object deleted before it could be read', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: {} }));

    // Act
    const result = await run();

    // Assess
    expect(reportOf(result)).toMatchObject({ status: 'rejected', reason: 'source_missing' });
  });

  it('tells a missing object from a denied one when S3 answers 403 for both', async () => {
    // Prepare: without a ListBucket grant that covers the read, S3 answers 403 for a missing
    // key; the import lists exactly that key to know.
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    s3Mock.on(GetObjectCommand).rejects(denied);
    s3Mock.on(ListObjectsV2Command, { Prefix: 'inventory/gone.csv' }).resolves({ Contents: [] });
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'inventory/locked.csv' })
      .resolves({ Contents: [{ Key: 'inventory/locked.csv' }] });

    // Act
    const gone = await run('inventory/gone.csv');
    const locked = run('inventory/locked.csv');

    // Assess
    expect(reportOf(gone)).toMatchObject({ status: 'rejected', reason: 'source_missing' });
    await expect(locked).rejects.toThrow('Access Denied');
  });

  it('reports a file that is not CSV without reading it, and takes .CSV in any case', async () => {
    // Prepare
    serve('store,item,count\ns1,a,1\n');

    // Act
    const notCsv = await run('inventory/counts.xlsx');
    const getsBefore = s3Mock.commandCalls(GetObjectCommand).length;
    const upper = await run('inventory/COUNTS.CSV');

    // Assess
    expect(getsBefore).toBe(0);
    expect(reportOf(notCsv)).toMatchObject({
      status: 'rejected',
      reason: 'unsupported_file',
      detail: 'only .csv and .csv.gz files (in any case) are imported',
      source: { key: 'inventory/counts.xlsx' },
    });
    expect(reportOf(upper)).toMatchObject({ status: 'completed', rowsImported: 1 });
  });

  it('leaves an object replaced between the two reads to its own notification', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .callsFakeOnce(() => ({
        Body: Readable.from([Buffer.from('store,item,count\ns1,a,1\n')]),
        ETag: '"e1"',
      }))
      .rejects(
        Object.assign(new Error('changed'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        }),
      );

    // Act
    const result = await run();

    // Assess
    expect(result).toEqual({ outcome: 'superseded' });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });
});
