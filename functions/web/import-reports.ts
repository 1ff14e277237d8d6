import {
  GetObjectCommand,
  ListObjectsV2Command,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isMissingObject } from '#shared/aws/s3-objects.ts';
import { REPORTS_PREFIX, reportKeyFor } from '#shared/reports.ts';
import { type ImportReportEntry, parseImportReport } from './reports.ts';

/** Listing and reading the import reports the import function writes into the uploads bucket. */

export const INVENTORY_REPORTS_PREFIX = `${REPORTS_PREFIX}inventory/`;

/**
 * The largest report the dashboard reads. The importer caps what a report lists, so real
 * reports stay far below this; a larger object (an old or hand-written one) is shown as
 * unreadable instead of being read into a Lambda whose whole response may be 6 MB
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const MAX_REPORT_BYTES = 1024 * 1024;

interface ListedReport {
  key: string;
  lastModified: Date;
  size: number;
}

async function readReport(
  s3: S3Client,
  bucket: string,
  listed: ListedReport,
): Promise<ImportReportEntry | undefined> {
  const reportKey = listed.key;
  const lastModified = listed.lastModified.toISOString();
  if (listed.size > MAX_REPORT_BYTES) {
    const megabytes = (listed.size / (1024 * 1024)).toFixed(1);
    return {
      reportKey,
      lastModified,
      readable: false,
      problem: `the report is ${megabytes} MB, more than the ${MAX_REPORT_BYTES / (1024 * 1024)} MB the dashboard reads`,
    };
  }
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey }));
    const text = (await object.Body?.transformToString('utf-8')) ?? '';
    return parseImportReport(reportKey, text, lastModified);
  } catch (error) {
    // A report that disappeared between the list and the read (lifecycle expiry) is skipped.
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

export interface ImportReportsPage {
  entries: ImportReportEntry[];
  /** The next page's number, when there are more reports. */
  nextPage?: number;
}

/**
 * Reports S3 lists in key order, not by date: up to `maxListPages` pages (1,000 keys each) are
 * listed, sorted newest first, and page `page` of `limit` reports read. Reports expire after
 * the bucket's retention period, which keeps the listing short.
 */
export async function listRecentImportReports(
  s3: S3Client,
  bucket: string,
  limit: number,
  maxListPages = 5,
  page = 1,
): Promise<ImportReportsPage> {
  const found: ListedReport[] = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: INVENTORY_REPORTS_PREFIX },
  )) {
    for (const object of page.Contents ?? []) {
      if (object.Key?.endsWith('.json')) {
        found.push({
          key: object.Key,
          lastModified: object.LastModified ?? new Date(0),
          size: object.Size ?? 0,
        });
      }
    }
    pages += 1;
    if (pages >= maxListPages) break;
  }
  const start = (page - 1) * limit;
  const newest = found
    .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime())
    .slice(start, start + limit);
  const reports = await Promise.all(newest.map((entry) => readReport(s3, bucket, entry)));
  const entries = reports.filter((report): report is ImportReportEntry => report !== undefined);
  return found.length > start + limit ? { entries, nextPage: page + 1 } : { entries };
}

/**
 * The report of one source CSV, if there is one yet. It is listed before it is read: the
 * function may list only under `reports/`, and without list permission S3 answers a GET for a
 * missing key with 403 rather than 404
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax).
 */
export async function getImportReport(
  s3: S3Client,
  bucket: string,
  sourceKey: string,
): Promise<ImportReportEntry | undefined> {
  const reportKey = reportKeyFor('inventory', sourceKey);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: reportKey, MaxKeys: 1 }));
  const found = listed.Contents?.find((object) => object.Key === reportKey);
  if (!found) return undefined;
  return readReport(s3, bucket, {
    key: reportKey,
    lastModified: found.LastModified ?? new Date(0),
    size: found.Size ?? 0,
  });
}
