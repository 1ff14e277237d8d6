import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Where a flow's machine-readable reports live in the uploads bucket. */
export const REPORTS_PREFIX = 'reports/';

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html */
const MAX_S3_KEY_BYTES = 1024;

/**
 * The report key for a source object: `reports/<flow>/<source key>.json`. The source key
 * is kept verbatim (S3 keys are arbitrary UTF-8), so a report is found from its source.
 *
 * A source key near S3's 1,024-byte limit leaves no room for the 20-odd bytes this adds;
 * its report goes to `reports/<flow>/too-long/<sha-256 of the key>.json` instead (the key
 * itself is in the report's `source`), so that no upload goes unreported. No source key can
 * collide with that folder: sources live under `images/` or `inventory/`.
 */
export function reportKeyFor(flow: 'images' | 'inventory', sourceKey: string): string {
  return keyUnder(`${REPORTS_PREFIX}${flow}/`, sourceKey);
}

/** Where running imports keep their progress objects (shared/inventory/progress.ts). */
export const INVENTORY_PROGRESS_PREFIX = `${REPORTS_PREFIX}progress/inventory/`;

/**
 * The progress object's key for a source object while it is imported:
 * `reports/progress/inventory/<source key>.json`, or, for a key too long for that,
 * `reports/progress/inventory/too-long/<sha-256 of the key>.json` (as `reportKeyFor` does).
 */
export function progressKeyFor(sourceKey: string): string {
  return keyUnder(INVENTORY_PROGRESS_PREFIX, sourceKey);
}

function keyUnder(folder: string, sourceKey: string): string {
  const key = `${folder}${sourceKey}.json`;
  if (Buffer.byteLength(key, 'utf8') <= MAX_S3_KEY_BYTES) return key;
  const digest = createHash('sha256').update(sourceKey, 'utf8').digest('hex');
  return `${folder}too-long/${digest}.json`;
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
