import { gzipSync } from 'node:zlib';
import {
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  ProvisionedThroughputExceededException,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient, snsClient } from '#shared/aws/clients.ts';
import type { LocalCloud } from '../../local/types.ts';
import { type InventoryImportReport, inventoryImportReportSchema } from '../../shared/inventory/report.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';

let cloud: LocalCloud;
let clients: TestClients;

beforeAll(async () => {
  cloud = await startTestCloud({ functions: ['importInventory', 'stockAlerts'] });
  clients = clientsFor(cloud);
});

afterAll(async () => {
  await cloud?.stop();
});

async function upload(key: string, body: string | Uint8Array): Promise<void> {
  await clients.s3.send(
    new PutObjectCommand({ Bucket: cloud.endpoints.buckets.uploads, Key: key, Body: body }),
  );
}

async function readReport(key: string): Promise<InventoryImportReport | undefined> {
  try {
    const output = await clients.s3.send(
      new GetObjectCommand({ Bucket: cloud.endpoints.buckets.uploads, Key: `reports/inventory/${key}.json` }),
    );
    return inventoryImportReportSchema.parse(JSON.parse((await output.Body?.transformToString()) ?? ''));
  } catch {
    return undefined;
  }
}

/** Uploads, waits for every flow to settle, and returns the final report. */
async function importFile(key: string, body: string | Uint8Array): Promise<InventoryImportReport> {
  const before = (await readReport(key))?.finishedAt;
  await upload(key, body);
  const report = await eventually(
    async () => {
      const current = await readReport(key);
      return current && current.finishedAt !== before ? current : undefined;
    },
    { what: `the report for ${key}` },
  );
  await cloud.waitForIdle(60_000);
  return (await readReport(key)) ?? report;
}

/** The inventory of one store, as `item → count`. */
async function stock(store: string): Promise<Record<string, number>> {
  const items: Record<string, number> = {};
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(
      new ScanCommand({
        TableName: cloud.tables.inventory,
        FilterExpression: '#store = :store',
        ExpressionAttributeNames: { '#store': 'store' },
        ExpressionAttributeValues: { ':store': store },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) items[String(item.item)] = Number(item.count);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const alertsFor = (store: string) =>
  cloud
    .snsMessages()
    .filter((message) => message.messageAttributes.store?.StringValue === store)
    .map((message) => ({ ...message, body: JSON.parse(message.message) as Record<string, unknown> }));

const csv = (rows: string[]) => `store,item,count\n${rows.join('\n')}\n`;

describe('inventory import (S3 → DynamoDB)', () => {
  it('imports .CSV in any case and reports an upload that is not CSV instead of ignoring it', async () => {
    // Prepare: S3's suffix filters are case-sensitive; the trigger is the prefix alone.
    const upper = 'inventory/UPPER.CSV';
    const notCsv = 'inventory/counts.xlsx';

    // Act
    const imported = await importFile(upper, csv(['s-case,apple,3']));
    const refused = await importFile(notCsv, 'PK\u0003\u0004 not a spreadsheet you can import');

    // Assess
    expect(imported).toMatchObject({ status: 'completed', rowsImported: 1 });
    expect(await stock('s-case')).toEqual({ apple: 3 });
    expect(refused).toMatchObject({ status: 'rejected', reason: 'unsupported_file', rowsRead: 0 });
  });

  it('imports a CSV into exactly the expected items and writes an exact report', async () => {
    // Prepare: a key with a space (S3 events URL-encode it as "+").
    const key = 'inventory/week 1 stock.csv';
    const body = [
      'Item,Store,Count,notes',
      'apple,s-import,5,',
      '"pear\nlong",s-import,x,multi-line name',
      'plum,s-import,-1,',
      '=HYPERLINK("x"),s-import,2,',
      'apple,s-import,7,later wins',
      '',
    ].join('\r\n');

    // Act
    const report = await importFile(key, body);

    // Assess
    expect(await stock('s-import')).toEqual({ apple: 7, '=HYPERLINK("x")': 2 });
    expect(report).toMatchObject({
      source: { bucket: cloud.endpoints.buckets.uploads, key },
      status: 'completed_with_errors',
      rowsRead: 5,
      rowsImported: 3,
      rowsRejected: 2,
      duplicates: 1,
      errors: [
        { line: 3, reason: 'count must be a whole number ≥ 0 (got "x")' },
        { line: 5, reason: 'count must be a whole number ≥ 0 (got "-1")' },
      ],
      errorsTotal: 2,
      errorsTruncated: false,
      ignoredColumns: ['notes'],
    });
    expect(report.source.etag).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rejects a file without a count column, writing nothing', async () => {
    // Act
    const report = await importFile('inventory/no-count.csv', 'store,item\ns-rejected,a\n');

    // Assess
    expect(report).toMatchObject({ status: 'rejected', reason: 'missing_columns', rowsImported: 0 });
    expect(await stock('s-rejected')).toEqual({});
  });

  it('rejects a header of 200,000 commas as too long, with a small report and nothing written', async () => {
    // Act
    const report = await importFile(
      'inventory/wide header.csv',
      `store,item,count${','.repeat(200_000)}\ns-wide,a,1\n`,
    );

    // Assess
    expect(report).toMatchObject({
      status: 'rejected',
      reason: 'header_too_long',
      detail: expect.stringContaining('65536 bytes'),
      rowsImported: 0,
      ignoredColumns: [],
    });
    expect(JSON.stringify(report).length).toBeLessThan(2048);
    expect(await stock('s-wide')).toEqual({});
  });

  it('rejects a gzip bomb for its compression ratio, writing nothing', async () => {
    // Prepare: 24 MiB of one valid row, about 25 KB of gzip.
    const bomb = gzipSync(`store,item,count\n${'s-bomb,a,1\n'.repeat((24 * 1024 * 1024) / 11)}`, {
      level: 9,
    });

    // Act
    const report = await importFile('inventory/bomb.csv.gz', bomb);

    // Assess
    expect(report).toMatchObject({ status: 'rejected', reason: 'gzip_ratio_too_high', rowsImported: 0 });
    expect(await stock('s-bomb')).toEqual({});
  });

  it('lands every row despite throttling and UnprocessedItems', async () => {
    // Prepare: the handlers' own DynamoDB client throttles the first write and leaves five
    // items unprocessed on the second (without writing them).
    const rows = Array.from({ length: 120 }, (_, i) => `s-faults,item-${i},${i}`);
    let calls = 0;
    dynamoDbClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'BatchWriteItemCommand') return next(args);
        calls += 1;
        if (calls === 1) {
          throw new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} });
        }
        if (calls === 2) {
          const input = args.input as BatchWriteItemCommandInput;
          const [table, requests] = Object.entries(input.RequestItems ?? {})[0] as [string, WriteRequest[]];
          const held = requests.slice(-5);
          const result = await next({ ...args, input: { RequestItems: { [table]: requests.slice(0, -5) } } });
          (result.output as BatchWriteItemCommandOutput).UnprocessedItems = { [table]: held };
          return result;
        }
        return next(args);
      },
      { step: 'initialize', name: 'inventoryWriteFaults' },
    );

    try {
      // Act
      const report = await importFile('inventory/faults.csv', csv(rows));

      // Assess
      expect(calls).toBeGreaterThan(6);
      expect(report).toMatchObject({ status: 'completed', rowsImported: 120 });
      expect(await stock('s-faults')).toEqual(Object.fromEntries(rows.map((_, i) => [`item-${i}`, i])));
    } finally {
      dynamoDbClient().middlewareStack.remove('inventoryWriteFaults');
    }
  });

  it('converges to the same table when an import crashes part-way and Lambda runs it again', async () => {
    // Prepare: the third write of the first attempt dies; the retry runs clean.
    const rows = Array.from({ length: 200 }, (_, i) => `s-crash,item-${i % 150},${i}`);
    const expected = Object.fromEntries(
      Array.from({ length: 150 }, (_, i) => [`item-${i}`, i < 50 ? i + 150 : i]),
    );
    let calls = 0;
    dynamoDbClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchWriteItemCommand' && ++calls === 3)
          throw new Error('the runtime went away');
        return next(args);
      },
      { step: 'initialize', name: 'inventoryCrash' },
    );

    try {
      // Act
      const report = await importFile('inventory/crash.csv', csv(rows));

      // Assess
      const attempts = cloud
        .invocations('importInventory')
        .filter((r) => JSON.stringify(r.event).includes('crash.csv'))
        .map((r) => r.outcome);
      expect(attempts).toEqual(['error', 'success']);
      expect(report).toMatchObject({ status: 'completed', rowsImported: 200, duplicates: 50 });
      expect(await stock('s-crash')).toEqual(expected);
    } finally {
      dynamoDbClient().middlewareStack.remove('inventoryCrash');
    }
  });
});

describe('stock alerts (DynamoDB stream → SNS)', () => {
  it('alerts once when a second CSV sets a count to 0, and not again for the same CSV', async () => {
    // Prepare
    await importFile('inventory/alerts-1.csv', csv(['s-alerts,apple,5', 's-alerts,pear,3']));
    expect(alertsFor('s-alerts')).toEqual([]);

    // Act
    await importFile('inventory/alerts-2.csv', csv(['s-alerts,apple,0', 's-alerts,pear,3']));
    const afterFirst = alertsFor('s-alerts');
    await importFile('inventory/alerts-2.csv', csv(['s-alerts,apple,0', 's-alerts,pear,3']));

    // Assess
    expect(afterFirst).toHaveLength(1);
    expect(afterFirst[0]).toMatchObject({
      subject: 'Out of stock: apple at s-alerts',
      messageAttributes: {
        type: { DataType: 'String', StringValue: 'out_of_stock' },
        store: { DataType: 'String', StringValue: 's-alerts' },
        item: { DataType: 'String', StringValue: 'apple' },
      },
      body: {
        type: 'out_of_stock',
        store: 's-alerts',
        item: 'apple',
        previousCount: 5,
        newCount: 0,
        source: { key: 'inventory/alerts-2.csv' },
      },
    });
    expect(afterFirst[0]?.body.eventId).toBe(afterFirst[0]?.messageAttributes.eventId?.StringValue);
    expect(alertsFor('s-alerts')).toHaveLength(1);
  });

  it('announces an item back in stock with its own type', async () => {
    // Prepare
    await importFile('inventory/back-1.csv', csv(['s-back,fig,0']));

    // Act
    await importFile('inventory/back-2.csv', csv(['s-back,fig,4']));

    // Assess
    expect(alertsFor('s-back').map((m) => [m.subject, m.messageAttributes.type?.StringValue])).toEqual([
      ['Out of stock: fig at s-back', 'out_of_stock'],
      ['Back in stock: fig at s-back', 'back_in_stock'],
    ]);
  });

  it('retries the record whose publish failed, and publishes no alert twice', async () => {
    // Prepare: SNS refuses the alert for "flaky" once (it is never published that time).
    // "flaky" comes first, so Lambda's retry from its position brings "steady" again too.
    let refused = 0;
    snsClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PublishCommand') return next(args);
        const input = args.input as PublishCommandInput;
        const item = input.MessageAttributes?.item?.StringValue;
        if (item !== 'flaky' || refused > 0) return next(args);
        refused += 1;
        throw Object.assign(new Error('SNS is unavailable'), { name: 'InternalErrorException' });
      },
      { step: 'initialize', name: 'alertPublishFault' },
    );

    try {
      // Act
      await importFile('inventory/flaky.csv', csv(['s-flaky,flaky,0', 's-flaky,steady,0']));

      // Assess
      expect(refused).toBe(1);
      const messages = alertsFor('s-flaky');
      expect(messages.filter((m) => m.body.item === 'flaky')).toHaveLength(1);
      expect(messages.filter((m) => m.body.item === 'steady')).toHaveLength(1);
      const invocations = cloud
        .invocations('stockAlerts')
        .filter((r) => JSON.stringify(r.event).includes('s-flaky'));
      const flakyRecord = (invocations[0]?.event as DynamoDBStreamEvent | undefined)?.Records.find(
        (r) => r.dynamodb?.NewImage?.item?.S === 'flaky',
      );
      const reported = invocations.flatMap(
        (r) => (r.result as DynamoDBBatchResponse | undefined)?.batchItemFailures ?? [],
      );
      const failedWholly = invocations.filter((r) => r.outcome === 'error');
      // Either the record was reported alone, or it was alone in its batch and that batch failed.
      if (reported.length > 0)
        expect(reported).toEqual([{ itemIdentifier: flakyRecord?.dynamodb?.SequenceNumber }]);
      else expect(failedWholly.map((r) => (r.event as DynamoDBStreamEvent).Records.length)).toEqual([1]);
      const retry = invocations.at(-1)?.event as DynamoDBStreamEvent;
      expect(retry.Records[0]?.eventID).toBe(flakyRecord?.eventID);
      // The retry delivered "steady" again when it had shared the batch: published once all the same.
      const steadyRecord = (invocations[0]?.event as DynamoDBStreamEvent | undefined)?.Records.find(
        (r) => r.dynamodb?.NewImage?.item?.S === 'steady',
      );
      if (steadyRecord) expect(retry.Records.map((r) => r.eventID)).toContain(steadyRecord.eventID);
    } finally {
      snsClient().middlewareStack.remove('alertPublishFault');
    }
  });
});
