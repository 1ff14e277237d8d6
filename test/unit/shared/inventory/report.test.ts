import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  boundReport,
  type InventoryImportReport,
  inventoryImportReportSchema,
  putImportReport,
  REPORT_LIST_LIMIT,
  RowErrorLog,
} from '../../../../shared/inventory/report.ts';

const base: InventoryImportReport = {
  source: { bucket: 'uploads', key: 'inventory/wide.csv', etag: 'e1' },
  status: 'completed_with_errors',
  rowsRead: 0,
  rowsImported: 0,
  rowsRejected: 0,
  duplicates: 0,
  errors: [],
  errorsTotal: 0,
  errorsTruncated: false,
  ignoredColumns: [],
  startedAt: '2025-03-01T10:00:00.000Z',
  finishedAt: '2025-03-01T10:00:01.000Z',
};

describe('boundReport', () => {
  it('lists the first 100 ignored columns, each clipped, and counts them all', () => {
    // Prepare
    const ignoredColumns = Array.from({ length: 1_000_000 }, (_, i) =>
      i === 0 ? 'n'.repeat(10_000) : `c${i}`,
    );

    // Act
    const bounded = boundReport({ ...base, ignoredColumns });

    // Assess
    expect(bounded.ignoredColumns).toHaveLength(REPORT_LIST_LIMIT);
    expect(bounded.ignoredColumns[0]).toBe(`${'n'.repeat(300)}…`);
    expect(bounded.ignoredColumns[99]).toBe('c99');
    expect(bounded.ignoredColumnsTotal).toBe(1_000_000);
  });

  it('caps failed ranges and clips every text, keeping the totals', () => {
    // Prepare
    const failedRanges = Array.from({ length: 2000 }, (_, index) => ({
      index,
      firstLine: index * 10 + 2,
      error: 'E'.repeat(5000),
    }));
    const errors = new RowErrorLog(1000);
    for (let line = 2; line < 5002; line += 1) errors.add(line, `bad ${'x'.repeat(5000)}`);

    // Act
    const bounded = boundReport({
      ...base,
      status: 'failed',
      reason: 'ranges_failed',
      detail: 'D'.repeat(100_000),
      failedRanges,
      ...errors.toReport(),
    });

    // Assess
    expect(bounded.failedRanges).toHaveLength(REPORT_LIST_LIMIT);
    expect(bounded.failedRanges?.[0]?.error).toHaveLength(301);
    expect(bounded.failedRangesTotal).toBe(2000);
    expect(bounded.detail).toHaveLength(2001);
    expect(bounded.errors).toHaveLength(1000);
    expect(bounded.errors[0]?.reason).toHaveLength(301);
    expect(bounded).toMatchObject({ errorsTotal: 5000, errorsTruncated: true });
    expect(Buffer.byteLength(JSON.stringify(bounded, null, 2))).toBeLessThan(400 * 1024);
  });

  it('leaves a small report as it is, adding the ignored-column count', () => {
    // Act
    const bounded = boundReport({ ...base, ignoredColumns: ['notes'], detail: 'fine' });

    // Assess
    expect(bounded).toEqual({ ...base, ignoredColumns: ['notes'], ignoredColumnsTotal: 1, detail: 'fine' });
    expect(boundReport(bounded)).toEqual(bounded);
  });
});

describe('putImportReport', () => {
  it('writes the bounded report and returns it', async () => {
    // Prepare
    const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const s3Mock = mockClient(s3);
    s3Mock.on(PutObjectCommand).resolves({});
    const ignoredColumns = Array.from({ length: 10_000 }, (_, i) => `column ${i}`);

    // Act
    const written = await putImportReport(s3, 'uploads', { ...base, ignoredColumns });

    // Assess
    const body = String(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Body);
    expect(inventoryImportReportSchema.parse(JSON.parse(body))).toEqual(written);
    expect(written.ignoredColumns).toHaveLength(100);
    expect(written.ignoredColumnsTotal).toBe(10_000);
  });
});
