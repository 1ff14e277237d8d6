import { describe, expect, it } from 'vitest';
import type { RangePart } from '../../../../functions/large-import/job.ts';
import { type SummaryInput, summariseLargeImport } from '../../../../functions/large-import/summarise.ts';
import { inventoryImportReportSchema } from '../../../../shared/inventory/report.ts';
import { BUCKET, jobFor, MemoryCloud } from './memory-cloud.ts';

const KEY = 'inventory/big.csv';
const PARTS = 'reports/inventory/.parts/import-test/';
const REPORT = `reports/inventory/${KEY}.json`;
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alerts';
const ranges = [0, 1, 2].map((index) => ({
  index,
  start: index * 100,
  end: index * 100 + 100,
  firstLine: 2 + index * 10,
}));

function part(index: number, fields: Partial<RangePart> = {}): RangePart {
  return {
    index,
    status: 'imported',
    rowsRead: 10,
    rowsImported: 10,
    rowsRejected: 0,
    duplicates: 0,
    errors: [],
    errorsTotal: 0,
    lastLine: 11 + index * 10,
    keys: 10,
    ...fields,
  };
}

function withParts(...parts: RangePart[]): MemoryCloud {
  const cloud = new MemoryCloud();
  cloud.put(KEY, 'the source');
  for (const stored of parts) cloud.put(`${PARTS}range-0000${stored.index}.json`, JSON.stringify(stored));
  return cloud;
}

function summarise(cloud: MemoryCloud, input: Partial<SummaryInput>, failureTolerance = 0) {
  return summariseLargeImport({
    s3: cloud.s3,
    sns: cloud.sns,
    topicArn: TOPIC,
    bucket: BUCKET,
    maxReportedErrors: 3,
    failureTolerance,
    input: {
      job: jobFor(cloud, KEY, { header: ['store', 'item', 'count', 'note'] }),
      ranges,
      results: ranges.map((range) => ({ index: range.index, status: 'imported' as const })),
      ...input,
    },
    now: () => new Date('2025-04-01T09:30:00.000Z'),
  });
}

describe('summariseLargeImport', () => {
  it('merges the parts into one report, as a direct import of the file would write it', async () => {
    // Prepare
    const cloud = withParts(
      part(0, {
        rowsRejected: 2,
        rowsImported: 8,
        errors: [
          { line: 3, reason: 'r3' },
          { line: 5, reason: 'r5' },
        ],
        errorsTotal: 2,
      }),
      part(1, { duplicates: 1 }),
      part(2, { rowsRejected: 3, rowsImported: 7, errors: [{ line: 22, reason: 'r22' }], errorsTotal: 3 }),
    );

    // Act
    const result = await summarise(cloud, { reconcile: { crossRangeDuplicates: 4 } });

    // Assess
    expect(result).toEqual({
      status: 'completed_with_errors',
      failed: false,
      report: `s3://${BUCKET}/${REPORT}`,
    });
    expect(inventoryImportReportSchema.parse(cloud.json(REPORT))).toEqual({
      source: { bucket: BUCKET, key: KEY, etag: cloud.objects.get(KEY)?.etag },
      status: 'completed_with_errors',
      rowsRead: 30,
      rowsImported: 25,
      rowsRejected: 5,
      duplicates: 5,
      errors: [
        { line: 3, reason: 'r3' },
        { line: 5, reason: 'r5' },
        { line: 22, reason: 'r22' },
      ],
      errorsTotal: 5,
      errorsTruncated: true,
      ignoredColumns: ['note'],
      ignoredColumnsTotal: 1,
      executionArn: jobFor(cloud, KEY).executionArn,
      startedAt: '2025-04-01T09:00:00.000Z',
      finishedAt: '2025-04-01T09:30:00.000Z',
    });
  });

  it('publishes import_finished and removes the execution’s parts', async () => {
    // Prepare
    const cloud = withParts(part(0), part(1), part(2));

    // Act
    await summarise(cloud, {});

    // Assess
    expect(cloud.published).toHaveLength(1);
    const [message] = cloud.published;
    expect(message).toMatchObject({
      TopicArn: TOPIC,
      Subject: `Inventory import completed: ${KEY}`,
      MessageAttributes: { type: { DataType: 'String', StringValue: 'import_finished' } },
    });
    expect(JSON.parse(message?.Message ?? '')).toMatchObject({
      type: 'import_finished',
      status: 'completed',
      rowsRead: 30,
      rowsImported: 30,
      failedRanges: 0,
      report: `s3://${BUCKET}/${REPORT}`,
    });
    expect(cloud.deleted).toHaveLength(9);
    expect([...cloud.objects.keys()].sort()).toEqual([KEY, REPORT].sort());
  });

  it('counts the direct import’s part as range 0, and removes its objects with the rest', async () => {
    // Prepare: range 0 is what a direct import wrote up to line 11 before it ran out of time.
    const cloud = withParts(part(0, { rowsRejected: 1, rowsImported: 9 }), part(1), part(2));
    cloud.put(`${PARTS}direct-11.json`, JSON.stringify(part(0)));
    cloud.put(`${PARTS}direct-11.keys`, Buffer.alloc(8));
    const resumed = [
      { ...ranges[0], direct: { afterLine: 11 } },
      ...ranges.slice(1),
    ] as SummaryInput['ranges'];

    // Act
    const result = await summarise(cloud, { ranges: resumed });

    // Assess
    expect(result).toMatchObject({ status: 'completed_with_errors', failed: false });
    expect(inventoryImportReportSchema.parse(cloud.json(REPORT))).toMatchObject({
      rowsRead: 30,
      rowsImported: 29,
      rowsRejected: 1,
    });
    expect([...cloud.objects.keys()].sort()).toEqual([KEY, REPORT].sort());
  });

  it('fails the import when more ranges failed than tolerated, naming their lines', async () => {
    // Prepare
    const cloud = withParts(part(0), part(2));

    // Act
    const result = await summarise(cloud, {
      results: [
        { index: 0, status: 'imported' },
        { index: 1, status: 'failed', error: 'InventoryWriteError' },
        { index: 2, status: 'imported' },
      ],
    });

    // Assess
    expect(result).toMatchObject({ status: 'failed', failed: true, error: 'LargeImportFailedError' });
    expect(result.cause).toContain('range 1 (lines 12–21): InventoryWriteError');
    expect(cloud.json(REPORT)).toMatchObject({
      status: 'failed',
      reason: 'ranges_failed',
      rowsImported: 20,
      failedRanges: [{ index: 1, firstLine: 12, lastLine: 21, error: 'InventoryWriteError' }],
    });
  });

  it('completes with errors when the failed ranges are within the tolerance, and counts a failed repair', async () => {
    // Prepare
    const cloud = withParts(part(0), part(1), part(2));

    // Act
    const result = await summarise(
      cloud,
      { repairResults: [{ index: 2, status: 'failed', error: 'States.Timeout' }] },
      0.5,
    );

    // Assess
    expect(result.status).toBe('completed_with_errors');
    expect(cloud.json(REPORT)).toMatchObject({
      detail: '1 of 3 ranges failed: range 2 (lines 22–end): States.Timeout',
      failedRanges: [{ index: 2, firstLine: 22, error: 'States.Timeout' }],
    });
  });

  it('reports the plan’s rejection, and a range’s', async () => {
    // Prepare
    const planned = withParts();
    const ranged = withParts(
      part(0),
      part(1, { status: 'rejected', reason: 'malformed_csv', detail: 'bad' }),
      part(2),
    );

    // Act
    await summarise(planned, {
      ranges: [],
      results: [],
      rejected: { reason: 'invalid_utf8', detail: 'line 4' },
    });
    await summarise(ranged, {});

    // Assess
    expect(planned.json(REPORT)).toMatchObject({
      status: 'rejected',
      reason: 'invalid_utf8',
      detail: 'line 4',
      ignoredColumns: [],
    });
    expect(ranged.json(REPORT)).toMatchObject({
      status: 'rejected',
      reason: 'malformed_csv',
      detail: 'bad (range 1; rows of other ranges were imported)',
    });
  });

  it('says nothing for an object replaced since the hand-off', async () => {
    // Prepare
    const cloud = withParts();

    // Act
    const result = await summarise(cloud, { rejected: { reason: 'superseded', detail: 'replaced' } });

    // Assess
    expect(result).toEqual({ status: 'superseded', failed: false });
    expect(cloud.objects.has(REPORT)).toBe(false);
    expect(cloud.published).toEqual([]);
  });
});
