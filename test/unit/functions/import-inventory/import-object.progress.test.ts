import { Readable } from 'node:stream';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ImportConfig } from '../../../../functions/import-inventory/config.ts';
import {
  type ImportObjectOptions,
  importInventoryObject,
} from '../../../../functions/import-inventory/import-object.ts';
import {
  type ProgressFailure,
  ProgressWriter,
} from '../../../../functions/import-inventory/progress-writer.ts';
import { DEFAULT_FILE_LIMITS } from '../../../../shared/inventory/limits.ts';
import { type ImportProgress, importProgressSchema } from '../../../../shared/inventory/progress.ts';
import { gzip } from '../../shared/inventory/helpers.ts';

// A watched import (ImportObjectOptions.startProgress with the real ProgressWriter): its
// progress object is there from the first read, no progress PUT lands after the report, and
// the object is deleted after the report however the import ends.

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
const KEY = 'inventory/big.csv';
const PROGRESS_KEY = `reports/progress/inventory/${KEY}.json`;

/** What reached S3, in order: each progress PUT sent and landed, the report, the delete. */
let events: string[];
let progressPuts: ImportProgress[];
let failures: ProgressFailure[];

/**
 * The object in 2 KiB chunks, each after a turn of the event loop, as a network read hands
 * them out (a body read from memory would let the whole import run before any PUT lands).
 */
async function* network(bytes: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 2048) {
    await new Promise((resolve) => setImmediate(resolve));
    yield bytes.subarray(at, at + 2048);
  }
}

function serve(content: string | Uint8Array) {
  const bytes = Buffer.from(content);
  s3Mock.on(GetObjectCommand).callsFake(() => ({
    Body: network(bytes),
    ETag: '"etag-1"',
    ContentLength: bytes.length,
  }));
}

/** Each progress PUT takes a turn of the event loop to land (or fails, with `progressPutFails`). */
function recordS3(progressPutFails = false) {
  s3Mock.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: string }) => {
    if (!input.Key.startsWith('reports/progress/')) {
      events.push(`report ${JSON.parse(input.Body).status}`);
      return {};
    }
    events.push('progress put');
    progressPuts.push(importProgressSchema.parse(JSON.parse(input.Body)));
    await new Promise((resolve) => setImmediate(resolve));
    if (progressPutFails) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    events.push('progress landed');
    return {};
  });
  s3Mock.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
    events.push(`delete ${input.Key === PROGRESS_KEY ? 'progress' : input.Key}`);
    return {};
  });
}

function run(extra: Partial<ImportObjectOptions> = {}, progressClock?: () => Date) {
  return importInventoryObject({
    s3,
    dynamoDb,
    config,
    bucket: 'uploads',
    key: KEY,
    remainingTimeMs: () => 600_000,
    writerOverrides: { sleep: async () => {} },
    startProgress: (start) =>
      new ProgressWriter({
        s3,
        uploadsBucket: 'uploads',
        ...start,
        onFailure: (failure) => failures.push(failure),
        ...(progressClock ? { now: progressClock } : {}),
      }),
    ...extra,
  });
}

const rows = (count: number) =>
  `store,item,count\n${Array.from({ length: count }, (_, i) => `s1,item-${i},${i % 9}`).join('\n')}\n`;

/** A clock that moves 1 s at every reading: every due point is due. */
function racingClock() {
  let ms = Date.parse('2025-06-02T07:00:00.000Z');
  return () => {
    ms += 1000;
    return new Date(ms);
  };
}

beforeEach(() => {
  s3Mock.reset();
  dynamoMock.reset();
  dynamoMock.on(BatchWriteItemCommand).resolves({});
  events = [];
  progressPuts = [];
  failures = [];
});

describe('a watched import', () => {
  it('writes its progress from the first read, lets the last PUT land, reports, then deletes it', async () => {
    // Prepare
    const content = rows(20_000);
    serve(content);
    recordS3();

    // Act
    const result = await run({}, racingClock());

    // Assess
    expect(result).toMatchObject({
      outcome: 'reported',
      report: { status: 'completed', rowsImported: 20_000 },
    });
    expect(events.slice(0, 2)).toEqual(['progress put', 'progress landed']);
    expect(events.slice(-3)).toEqual(['progress landed', 'report completed', 'delete progress']);
    expect(progressPuts[0]).toMatchObject({ rowsSoFar: 0, bytesRead: 0, totalBytes: content.length });
    // Rows and bytes of the writing pass, rising, never past the object.
    const writing = progressPuts.filter((progress) => progress.rowsSoFar > 0);
    expect(writing.length).toBeGreaterThan(1);
    expect(writing.map((progress) => progress.rowsSoFar)).toEqual(
      [...writing.map((progress) => progress.rowsSoFar)].sort((a, b) => a - b),
    );
    for (const progress of writing) {
      expect(progress.rowsSoFar % 250).toBe(0);
      expect(progress.bytesRead).toBeGreaterThan(0);
      expect(progress.bytesRead).toBeLessThanOrEqual(content.length);
    }
  });

  it('counts a .csv.gz upload’s bytes as stored, compressed', async () => {
    // Prepare
    const compressed = gzip(rows(3000));
    serve(compressed);
    recordS3();

    // Act
    await run({ key: 'inventory/big.csv.gz' }, racingClock());

    // Assess
    expect(progressPuts.length).toBeGreaterThan(1);
    for (const progress of progressPuts) {
      expect(progress.totalBytes).toBe(compressed.length);
      expect(progress.bytesRead).toBeLessThanOrEqual(compressed.length);
    }
  });

  it('deletes its progress after a rejected file’s report', async () => {
    // Prepare
    serve('store,item\ns1,a\n');
    recordS3();

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ report: { status: 'rejected', reason: 'missing_columns' } });
    expect(events).toEqual(['progress put', 'progress landed', 'report rejected', 'delete progress']);
  });

  it('deletes its progress after handing the file off, the PUT landed before the hand-off', async () => {
    // Prepare: 100 rows at 1000 rows/s need 100 ms; 10 s margin + 50 ms left.
    serve(rows(100));
    recordS3();

    // Act
    const result = await run({
      remainingTimeMs: () => 10_050,
      handOffForTime: async () => {
        events.push('handed off');
        return { handedOff: true, executionArn: 'arn:exec', alreadyStarted: false, reason: 'time' };
      },
    });

    // Assess
    expect(result.outcome).toBe('handed_off');
    expect(events).toEqual(['progress put', 'progress landed', 'handed off', 'delete progress']);
  });

  it('deletes its progress after a failed write’s report', async () => {
    // Prepare
    serve(rows(10));
    recordS3();
    dynamoMock
      .on(BatchWriteItemCommand)
      .rejects(
        Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException', $metadata: {} }),
      );

    // Act
    const result = await run();

    // Assess
    expect(result.outcome).toBe('write_failed');
    expect(events).toEqual(['progress put', 'progress landed', 'report failed', 'delete progress']);
  });

  it('deletes its progress when the import throws', async () => {
    // Prepare: the second read fails with a 500.
    recordS3();
    s3Mock
      .on(GetObjectCommand)
      .callsFakeOnce(() => ({
        Body: Readable.from([Buffer.from(rows(10))]),
        ETag: '"etag-1"',
        ContentLength: 100,
      }))
      .rejects(
        Object.assign(new Error('We encountered an internal error'), {
          name: 'InternalError',
          $metadata: { httpStatusCode: 500 },
        }),
      );

    // Act
    const importing = run();

    // Assess
    await expect(importing).rejects.toThrow('internal error');
    expect(events).toEqual(['progress put', 'progress landed', 'delete progress']);
  });

  it('imports as usual when every progress PUT fails, saying so', async () => {
    // Prepare
    serve(rows(10));
    recordS3(true);

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ outcome: 'reported', report: { status: 'completed', rowsImported: 10 } });
    expect(events).toEqual(['progress put', 'report completed', 'delete progress']);
    expect(failures).toEqual([
      { action: 'put', progressKey: PROGRESS_KEY, error: expect.objectContaining({ name: 'AccessDenied' }) },
    ]);
  });
});
