import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Where a flow's machine-readable reports live in the uploads bucket. */
export const REPORTS_PREFIX = 'reports/';

/**
 * The report key for a source object: `reports/<flow>/<source key>.json`. The source key
 * is kept verbatim (S3 keys are arbitrary UTF-8), so a report is found from its source.
 */
export function reportKeyFor(flow: 'images' | 'inventory', sourceKey: string): string {
  return `${REPORTS_PREFIX}${flow}/${sourceKey}.json`;
}

export async function putJsonReport(
  s3: S3Client,
  bucket: string,
  key: string,
  report: unknown,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(report, null, 2)}\n`,
      ContentType: 'application/json; charset=utf-8',
      CacheControl: 'no-cache',
    }),
  );
}
