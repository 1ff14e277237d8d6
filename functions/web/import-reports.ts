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

async function readReport(
  s3: S3Client,
  bucket: string,
  reportKey: string,
  lastModified?: string,
): Promise<ImportReportEntry | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey }));
    const text = (await object.Body?.transformToString('utf-8')) ?? '';
    return parseImportReport(reportKey, text, lastModified ?? object.LastModified?.toISOString());
  } catch (error) {
    // A report that disappeared between the list and the read (lifecycle expiry) is skipped.
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

/**
 * Reports S3 lists in key order, not by date: up to `maxListPages` pages (1,000 keys each) are
 * listed and the newest `limit` read. Reports expire after the bucket's retention period, which
 * keeps the listing short.
 */
export async function listRecentImportReports(
  s3: S3Client,
  bucket: string,
  limit: number,
  maxListPages = 5,
): Promise<ImportReportEntry[]> {
  const found: { key: string; lastModified: Date }[] = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: INVENTORY_REPORTS_PREFIX },
  )) {
    for (const object of page.Contents ?? []) {
      if (object.Key?.endsWith('.json')) {
        found.push({ key: object.Key, lastModified: object.LastModified ?? new Date(0) });
      }
    }
    pages += 1;
    if (pages >= maxListPages) break;
  }
  const newest = found.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime()).slice(0, limit);
  const reports = await Promise.all(
    newest.map((entry) => readReport(s3, bucket, entry.key, entry.lastModified.toISOString())),
  );
  return reports.filter((report): report is ImportReportEntry => report !== undefined);
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
  return readReport(s3, bucket, reportKey, found.LastModified?.toISOString());
}
