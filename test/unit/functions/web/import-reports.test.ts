import { GetObjectCommand, ListObjectsV2Command, NoSuchKey } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { getImportReport, listRecentImportReports } from '../../../../functions/web/import-reports.ts';
import { body, testClients } from './helpers.ts';

const report = (key: string) => JSON.stringify({ source: { key }, status: 'completed' });

describe('import reports', () => {
  it('lists at most the page cap and reads the newest reports first', async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [
          { Key: 'reports/inventory/inventory/old.csv.json', LastModified: new Date('2025-01-01T00:00:00Z') },
          { Key: 'reports/inventory/inventory/.parts/x', LastModified: new Date('2025-01-09T00:00:00Z') },
        ],
        IsTruncated: true,
        NextContinuationToken: 'page-2',
      })
      .resolvesOnce({
        Contents: [
          { Key: 'reports/inventory/inventory/new.csv.json', LastModified: new Date('2025-01-03T00:00:00Z') },
        ],
        IsTruncated: true,
        NextContinuationToken: 'page-3',
      })
      .resolves({ Contents: [{ Key: 'reports/inventory/inventory/never.csv.json' }] });
    mock.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
      Body: body(report(input.Key.replace('reports/inventory/', '').replace(/\.json$/, ''))),
    }));

    // Act
    const { entries } = await listRecentImportReports(s3, 'uploads', 10, 2);

    // Assess
    expect(mock.commandCalls(ListObjectsV2Command)).toHaveLength(2);
    expect(mock.commandCalls(ListObjectsV2Command)[1]?.args[0].input.ContinuationToken).toBe('page-2');
    expect(entries.map((entry) => entry.reportKey)).toEqual([
      'reports/inventory/inventory/new.csv.json',
      'reports/inventory/inventory/old.csv.json',
    ]);
    expect(entries[0]).toMatchObject({ readable: true, lastModified: '2025-01-03T00:00:00.000Z' });
  });

  it('skips a report that expired between the listing and the read', async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'reports/inventory/inventory/gone.csv.json', LastModified: new Date() }],
    });
    mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));

    // Act
    const { entries } = await listRecentImportReports(s3, 'uploads', 10);

    // Assess
    expect(entries).toEqual([]);
  });

  it('finds the report of one source by listing its exact key first', async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock
      .on(ListObjectsV2Command, { Prefix: 'reports/inventory/inventory/a.csv.json' })
      .resolves({ Contents: [{ Key: 'reports/inventory/inventory/a.csv.json' }] });
    mock.on(ListObjectsV2Command, { Prefix: 'reports/inventory/inventory/b.csv.json' }).resolves({});
    mock.on(GetObjectCommand).resolves({ Body: body(report('inventory/a.csv')) });

    // Act
    const found = await getImportReport(s3, 'uploads', 'inventory/a.csv');
    const missing = await getImportReport(s3, 'uploads', 'inventory/b.csv');

    // Assess
    expect(found).toMatchObject({ readable: true, report: { source: { key: 'inventory/a.csv' } } });
    expect(missing).toBeUndefined();
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('shows a report larger than it reads as unreadable, without reading it', async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock.on(ListObjectsV2Command).resolves({
      Contents: [
        {
          Key: 'reports/inventory/inventory/huge.csv.json',
          LastModified: new Date(),
          Size: 80 * 1024 * 1024,
        },
      ],
    });

    // Act
    const { entries } = await listRecentImportReports(s3, 'uploads', 10);

    // Assess
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(entries).toEqual([
      expect.objectContaining({
        readable: false,
        problem: 'the report is 80.0 MB, more than the 1 MB the dashboard reads',
      }),
    ]);
  });

  it('pages the reports newest first and says which page comes next', async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock.on(ListObjectsV2Command).resolves({
      Contents: [1, 2, 3, 4, 5].map((day) => ({
        Key: `reports/inventory/inventory/${day}.csv.json`,
        LastModified: new Date(`2025-01-0${day}T00:00:00Z`),
      })),
    });
    mock.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
      Body: body(report(input.Key.replace('reports/inventory/', '').replace(/\.json$/, ''))),
    }));

    // Act
    const first = await listRecentImportReports(s3, 'uploads', 2, 5, 1);
    const last = await listRecentImportReports(s3, 'uploads', 2, 5, 3);

    // Assess
    expect(first.entries.map((entry) => entry.reportKey)).toEqual([
      'reports/inventory/inventory/5.csv.json',
      'reports/inventory/inventory/4.csv.json',
    ]);
    expect(first.nextPage).toBe(2);
    expect(last.entries.map((entry) => entry.reportKey)).toEqual(['reports/inventory/inventory/1.csv.json']);
    expect(last.nextPage).toBeUndefined();
  });
});
