import {
  type BatchWriteItemCommandInput,
  DynamoDBClient,
  DynamoDBServiceException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient } from '#shared/aws/clients.ts';
import { executionNameFor, startLargeImport } from '../../functions/import-inventory/hand-off.ts';
import { importInventoryObject } from '../../functions/import-inventory/import-object.ts';
import type { RebuildReport } from '../../functions/rebuild-thumbnails/rebuild.ts';
import { LOCAL_CREDENTIALS } from '../../local/cloud.ts';
import type { LocalCloud } from '../../local/types.ts';
import { DEFAULT_FILE_LIMITS } from '../../shared/inventory/limits.ts';
import { type InventoryImportReport, inventoryImportReportSchema } from '../../shared/inventory/report.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';

let cloud: LocalCloud;
let clients: TestClients;
let uploads: string;

beforeAll(async () => {
  cloud = await startTestCloud({
    functions: [
      'importInventory',
      'thumbnails',
      'largeImportPlan',
      'largeImportRange',
      'largeImportReconcile',
      'largeImportSummarise',
      'rebuildThumbnailsList',
      'rebuildThumbnailsBatch',
      'rebuildThumbnailsSummarise',
    ],
  });
  clients = clientsFor(cloud);
  uploads = cloud.endpoints.buckets.uploads;
});

afterAll(async () => {
  await cloud?.stop();
});

const largeImportArn = (): string => cloud.endpoints.stateMachines.largeImport ?? '';

async function readReport(key: string): Promise<InventoryImportReport | undefined> {
  try {
    const output = await clients.s3.send(
      new GetObjectCommand({ Bucket: uploads, Key: `reports/inventory/${key}.json` }),
    );
    return inventoryImportReportSchema.parse(JSON.parse((await output.Body?.transformToString()) ?? ''));
  } catch {
    return undefined;
  }
}

async function waitForExecution(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return eventually(
    async () => {
      const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return described.status === 'RUNNING' ? undefined : described;
    },
    { timeoutMs: 90_000, what: `execution ${executionArn}` },
  );
}

async function runLargeImport(
  key: string,
  rangeBytes: number,
  name: string,
): Promise<DescribeExecutionCommandOutput> {
  const started = await clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: largeImportArn(),
      name,
      input: JSON.stringify({ bucket: uploads, key, rangeBytes }),
    }),
  );
  return waitForExecution(started.executionArn ?? '');
}

type Stock = Record<string, { count: number; updatedAt: string; source: unknown }>;

async function table(storePrefix: string): Promise<Stock> {
  const items: Stock = {};
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(
      new ScanCommand({ TableName: cloud.endpoints.tables.inventory, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) {
      if (String(item.store).startsWith(storePrefix)) {
        items[`${item.store}/${item.item}`] = {
          count: item.count,
          updatedAt: item.updatedAt,
          source: item.source,
        };
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function clearTable(stock: Stock): Promise<void> {
  const keys = Object.keys(stock).map((key) => {
    const [store, item] = key.split('/') as [string, string];
    return { DeleteRequest: { Key: { store, item } } };
  });
  for (let at = 0; at < keys.length; at += 25) {
    await clients.documents.send(
      new BatchWriteCommand({
        RequestItems: { [cloud.endpoints.tables.inventory]: keys.slice(at, at + 25) },
      }),
    );
  }
}

/** A file with everything that makes splitting hard: quoted line breaks, CRLF, errors, duplicates across ranges. */
function trickyCsv(store: string, rows: number): string {
  const lines = ['\uFEFFStore,Item,Count,Note'];
  for (let i = 0; i < rows; i += 1) {
    if (i % 17 === 5) lines.push(`${store},"multi\r\nline ${i}, with ""quotes""",${i},"a\nnote"`);
    else if (i % 23 === 7) lines.push(`${store},bad-${i},not-a-number,x`);
    // The same key again far later: another range holds its last occurrence.
    else if (i % 29 === 3) lines.push(`${store},item-${i % 40},${1000 + i},dup`);
    else lines.push(`${store},item-${i},${i},`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

const comparable = (report: InventoryImportReport): Partial<InventoryImportReport> => {
  const { startedAt: _s, finishedAt: _f, executionArn: _e, ...rest } = report;
  return rest;
};

/** A permanent DynamoDB error: the writer does not retry it, the range fails. */
const validationError = (message: string): DynamoDBServiceException =>
  new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message, $metadata: {} });

describe('large import workflow', () => {
  it('gives exactly the table and report of the direct import, whatever the range size', async () => {
    // Prepare: the direct import of the file (under the hand-off threshold).
    const key = 'inventory/tricky.csv';
    await clients.s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: key, Body: trickyCsv('s-tricky', 400) }),
    );
    const direct = await eventually(async () => readReport(key), { what: 'the direct report' });
    await cloud.waitForIdle(60_000);
    const directTable = await table('s-tricky');
    expect(direct.status).toBe('completed_with_errors');
    expect(direct.duplicates).toBeGreaterThan(0);
    await clearTable(directTable);

    // Act: the same object through the workflow, in ~40 ranges, then again (a re-run).
    const first = await runLargeImport(key, 300, 'tricky-1');
    const afterFirst = await readReport(key);
    const firstTable = await table('s-tricky');
    const second = await runLargeImport(key, 700, 'tricky-2');

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(second.status).toBe('SUCCEEDED');
    expect(afterFirst && comparable(afterFirst)).toEqual(comparable(direct));
    expect(afterFirst?.executionArn).toBe(first.executionArn);
    expect(firstTable).toEqual(directTable);
    // Keys repeated across ranges were written again by the range holding their last row.
    const repairs = cloud
      .invocations('largeImportRange')
      .filter(
        (r) =>
          JSON.stringify(r.event).includes('"mode":"repair"') && JSON.stringify(r.event).includes('tricky-1'),
      );
    expect(repairs.length).toBeGreaterThan(0);
    expect(await table('s-tricky')).toEqual(directTable);
    const parts = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: uploads, Prefix: 'reports/inventory/.parts/tricky-1/' }),
    );
    expect(parts.KeyCount ?? 0).toBe(0);
  });

  it('is handed off by the S3-triggered import once, and announces the finished import', async () => {
    // Prepare
    const key = 'inventory/handed off.csv';
    const body = `store,item,count\n${Array.from({ length: 50 }, (_, i) => `s-handoff,item-${i},${i}`).join('\n')}\n`;

    // Act: the upload asks for the workflow; then the same S3 event is delivered again.
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: uploads,
        Key: key,
        Body: body,
        Metadata: { 'import-mode': 'workflow' },
      }),
    );
    const report = await eventually(
      async () => {
        const current = await readReport(key);
        return current && current.status !== 'handed_off' ? current : undefined;
      },
      { timeoutMs: 60_000, what: 'the final report' },
    );
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: uploads, Key: key }));
    const name = executionNameFor({
      bucket: uploads,
      key,
      etag: (head.ETag ?? '').replaceAll('"', ''),
      ...(head.VersionId ? { versionId: head.VersionId } : {}),
    });
    await cloud.invoke('importInventory', {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: {
            bucket: { name: uploads },
            object: {
              key: encodeURIComponent(key).replace(/%20/g, '+'),
              size: body.length,
              eTag: head.ETag,
              ...(head.VersionId ? { versionId: head.VersionId } : {}),
            },
          },
        },
      ],
    });
    await cloud.waitForIdle(60_000);

    // Assess
    expect(report).toMatchObject({ status: 'completed', rowsImported: 50 });
    expect(report.executionArn).toMatch(new RegExp(`:execution:[^:]+:${name}$`));
    expect(await readReport(key)).toEqual(report);
    expect(
      cloud.invocations('largeImportPlan').filter((r) => JSON.stringify(r.event).includes(name)),
    ).toHaveLength(1);
    const finished = cloud
      .snsMessages()
      .filter((message) => message.messageAttributes.type?.StringValue === 'import_finished')
      .map((message) => JSON.parse(message.message) as Record<string, unknown>)
      .find((message) => (message.source as { key: string }).key === key);
    expect(finished).toMatchObject({
      type: 'import_finished',
      status: 'completed',
      rowsImported: 50,
      report: `s3://${uploads}/reports/inventory/${key}.json`,
    });
  });

  it('takes over the rest of the file from a direct import that ran out of time, with one report for it all', async () => {
    // Prepare: a file with keys repeated across the point where the direct import stops,
    // rows with a quoted line break (two lines each) and rows in error, imported once as
    // usual (the reference table and report), then the table cleared.
    const key = 'inventory/out of time.csv';
    const rows = Array.from({ length: 600 }, (_, i) => {
      if (i % 17 === 5) return { item: `two\nlines ${i}`, text: `s-time,"two\nlines ${i}",${i}`, lines: 2 };
      if (i % 23 === 7) return { item: `bad-${i}`, text: `s-time,bad-${i},many`, lines: 1 };
      if (i % 29 === 3)
        return { item: `item-${i % 40}`, text: `s-time,item-${i % 40},${1000 + i}`, lines: 1 };
      return { item: `item-${i}`, text: `s-time,item-${i},${i}`, lines: 1 };
    });
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: uploads,
        Key: key,
        Body: `store,item,count\n${rows.map((row) => row.text).join('\n')}\n`,
      }),
    );
    const direct = await eventually(async () => readReport(key), { what: 'the direct report' });
    await cloud.waitForIdle(60_000);
    const expected = await table('s-time');
    expect(direct).toMatchObject({ status: 'completed_with_errors', rowsRead: 600 });
    expect(direct.duplicates).toBeGreaterThan(0);
    expect(direct.rowsRejected).toBeGreaterThan(0);
    await clearTable(expected);
    // The direct import again, in this process, with a fake clock: plenty of time until its
    // first batch write, then less than the safety margin.
    const { region, endpoints } = cloud.endpoints;
    const dynamoDb = new DynamoDBClient({
      region,
      credentials: LOCAL_CREDENTIALS,
      endpoint: endpoints.dynamodb,
    });
    let writes = 0;
    let directLines = 0;
    dynamoDb.middlewareStack.add(
      (next) => async (args) => {
        writes += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    const config = {
      uploadsBucket: uploads,
      tableName: cloud.endpoints.tables.inventory,
      writeConcurrency: 1,
      writeMaxAttempts: 3,
      maxReportedErrors: 100,
      rowsPerSecond: 2000,
      timeSafetyMarginMs: 30_000,
      fileLimits: DEFAULT_FILE_LIMITS,
    };

    // Act
    const result = await importInventoryObject({
      s3: clients.s3,
      dynamoDb,
      config,
      bucket: uploads,
      key,
      remainingTimeMs: () => (writes > 0 ? 1_000 : 600_000),
      handOffForTime: async (source, detail, resume) => {
        // What the direct part wrote is taken out of the table before the workflow starts:
        // only a workflow that imports it again could bring it back.
        directLines = resume?.part.lastLine ?? 0;
        await clearTable(await table('s-time'));
        return startLargeImport({
          s3: clients.s3,
          sfn: clients.sfn,
          stateMachineArn: largeImportArn(),
          uploadsBucket: uploads,
          source,
          reason: 'time',
          detail,
          ...(resume ? { resume } : {}),
        });
      },
    });
    const handOff = result.outcome === 'handed_off' ? result.handOff : undefined;
    const execution = await waitForExecution(handOff?.executionArn ?? '');
    const report = await readReport(key);

    // Assess: the lines up to directLines were written directly; the workflow imported the
    // rest and reported the whole file, duplicates across the boundary included.
    expect(result.outcome).toBe('handed_off');
    expect(writes).toBeGreaterThan(0);
    expect(directLines).toBeGreaterThan(1);
    expect(directLines).toBeLessThan(601);
    expect(handOff?.restAfterLine).toBe(directLines);
    expect(execution.status).toBe('SUCCEEDED');
    expect(report?.executionArn).toBe(handOff?.executionArn);
    expect(report && comparable(report)).toEqual(comparable(direct));
    // The table holds exactly the keys of the rows after the direct part, as the whole file
    // left them (the last row of a key wins). The header is line 1.
    let line = 2;
    const restKeys = new Set<string>();
    for (const row of rows) {
      if (line > directLines) restKeys.add(`s-time/${row.item}`);
      line += row.lines;
    }
    const expectedRest = Object.fromEntries(Object.entries(expected).filter(([k]) => restKeys.has(k)));
    expect(Object.keys(expectedRest).length).toBeLessThan(Object.keys(expected).length);
    expect(await table('s-time')).toEqual(expectedRest);
  });

  it('retries a range whose writes fail once, and completes', async () => {
    // Prepare: the first BatchWriteItem of the run fails for good (the writer gives up on it).
    const key = 'inventory/flaky.csv';
    const rows = Array.from({ length: 120 }, (_, i) => `s-flaky,item-${i},${i}`);
    await clients.s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: key, Body: `store,item,count\n${rows.join('\n')}\n` }),
    );
    await eventually(async () => readReport(key), { what: 'the direct report' });
    await cloud.waitForIdle(60_000);
    let failures = 0;
    dynamoDbClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchWriteItemCommand' && failures === 0) {
          failures += 1;
          throw validationError('injected');
        }
        return next(args);
      },
      { step: 'initialize', name: 'largeImportFlaky' },
    );

    try {
      // Act
      const execution = await runLargeImport(key, 400, 'flaky');

      // Assess
      expect(execution.status).toBe('SUCCEEDED');
      expect(failures).toBe(1);
      const rangeCalls = cloud
        .invocations('largeImportRange')
        .filter((r) => JSON.stringify(r.event).includes('flaky'));
      expect(rangeCalls.filter((r) => r.outcome === 'error').map((r) => r.errorType)).toEqual([
        'InventoryWriteError',
      ]);
      expect(await readReport(key)).toMatchObject({ status: 'completed', rowsImported: 120 });
      expect(Object.keys(await table('s-flaky'))).toHaveLength(120);
    } finally {
      dynamoDbClient().middlewareStack.remove('largeImportFlaky');
    }
  });

  it('fails the execution when more ranges fail than tolerated, naming them in the report', async () => {
    // Prepare: every write of a row for store "s-poison" is refused.
    const key = 'inventory/poison.csv';
    const rows = Array.from({ length: 90 }, (_, i) =>
      i >= 60 ? `s-poison,item-${i},${i}` : `s-fine,item-${i},${i}`,
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: key, Body: `store,item,count\n${rows.join('\n')}\n` }),
    );
    await eventually(async () => readReport(key), { what: 'the direct report' });
    await cloud.waitForIdle(60_000);
    dynamoDbClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchWriteItemCommand') {
          const input = args.input as BatchWriteItemCommandInput;
          if (JSON.stringify(input.RequestItems).includes('s-poison')) {
            throw validationError('poisoned');
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'largeImportPoison' },
    );

    try {
      // Act: ranges of ~300 bytes; rows 60..89 (lines 62..91) are in the last ranges.
      const execution = await runLargeImport(key, 300, 'poison');

      // Assess
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('LargeImportFailedError');
      const report = await readReport(key);
      expect(report).toMatchObject({
        status: 'failed',
        reason: 'ranges_failed',
        executionArn: execution.executionArn,
      });
      const failed = report?.failedRanges ?? [];
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((range) => range.error === 'InventoryWriteError')).toBe(true);
      expect(Math.min(...failed.map((range) => range.firstLine))).toBeLessThanOrEqual(62);
      for (const range of failed)
        expect(execution.cause).toContain(`range ${range.index} (lines ${range.firstLine}`);
    } finally {
      dynamoDbClient().middlewareStack.remove('largeImportPoison');
    }
  });

  it('rejects a file with an unclosed quote before writing anything', async () => {
    // Prepare
    const key = 'inventory/unclosed.csv';
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: uploads,
        Key: key,
        Body: 'store,item,count\ns-unclosed,a,1\ns-unclosed,"b,2\n',
        Metadata: { 'import-mode': 'workflow' },
      }),
    );

    // Act
    const report = await eventually(
      async () => {
        const current = await readReport(key);
        return current && current.status !== 'handed_off' ? current : undefined;
      },
      { timeoutMs: 60_000, what: 'the final report' },
    );

    // Assess
    expect(report).toMatchObject({ status: 'rejected', reason: 'malformed_csv', rowsImported: 0 });
    expect(report.detail).toContain('line 3');
    expect(await table('s-unclosed')).toEqual({});
  });
});

describe('thumbnail rebuild workflow', () => {
  it('regenerates every thumbnail under a prefix and writes a summary', async () => {
    // Prepare: three images and a non-image, their thumbnails made on upload, then lost.
    const thumbnails = cloud.endpoints.buckets.thumbnails;
    const image = (color: string): Promise<Buffer> =>
      sharp({ create: { width: 300, height: 200, channels: 3, background: color } })
        .png()
        .toBuffer();
    const keys = ['images/rebuild/a.png', 'images/rebuild/b.png', 'images/rebuild/c.png'];
    for (const [i, key] of keys.entries()) {
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: uploads,
          Key: key,
          Body: await image(['red', 'green', 'blue'][i] ?? 'red'),
        }),
      );
    }
    await clients.s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: 'images/rebuild/notes.txt', Body: 'hello' }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: 'images/other/d.png', Body: await image('red') }),
    );
    await cloud.waitForIdle(60_000);
    const listThumbnails = async (prefix: string): Promise<string[]> =>
      (
        (await clients.s3.send(new ListObjectsV2Command({ Bucket: thumbnails, Prefix: prefix }))).Contents ??
        []
      )
        .map((object) => object.Key ?? '')
        .sort();
    const made = await listThumbnails('images/rebuild/');
    expect(made).toHaveLength(6);
    for (const key of made) await clients.s3.send(new DeleteObjectCommand({ Bucket: thumbnails, Key: key }));

    // Act
    const started = await clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: cloud.endpoints.stateMachines.rebuildThumbnails ?? '',
        name: 'rebuild-test',
        input: JSON.stringify({ prefix: 'images/rebuild/', sizes: [100, 200] }),
      }),
    );
    const execution = await waitForExecution(started.executionArn ?? '');

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(await listThumbnails('images/rebuild/')).toEqual([
      'images/rebuild/a.png/100.webp',
      'images/rebuild/a.png/200.webp',
      'images/rebuild/b.png/100.webp',
      'images/rebuild/b.png/200.webp',
      'images/rebuild/c.png/100.webp',
      'images/rebuild/c.png/200.webp',
    ]);
    const summary = await clients.s3.send(
      new GetObjectCommand({ Bucket: uploads, Key: 'reports/images/rebuilds/rebuild-test.json' }),
    );
    const report = JSON.parse((await summary.Body?.transformToString()) ?? '') as RebuildReport;
    expect(report).toMatchObject({
      prefix: 'images/rebuild/',
      sizes: [100, 200],
      processed: 3,
      rejected: 1,
      failed: 0,
    });
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ processed: 3, rejected: 1 });
  });
});
