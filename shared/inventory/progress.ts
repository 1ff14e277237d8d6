import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { isMissingObject } from '#shared/aws/s3-objects.ts';
import { INVENTORY_PROGRESS_PREFIX, progressKeyFor, putJsonReport } from '#shared/reports.ts';
import { importSourceSchema } from './report.ts';

/**
 * A running import's progress object, `reports/progress/inventory/<source key>.json` in the
 * uploads bucket: written by the direct import while it runs (at most every 2 s), deleted once
 * its report is written. It is kept apart from the report so that whatever waits for a report
 * (the dashboard, the mail-in reply, tests) sees only final ones. The Step Functions import
 * writes none: a handed-off file shows its `handed_off` report.
 */
export const importProgressSchema = z.object({
  source: importSourceSchema,
  startedAt: z.string(),
  updatedAt: z.string(),
  /**
   * When the writing pass read its first byte (after the check pass); absent before that, and
   * in objects written before it was kept, where the rate counts from `startedAt`.
   */
  writingSince: z.string().optional(),
  /** Data rows parsed so far by the writing pass (0 while the file is being checked). */
  rowsSoFar: z.number().int().nonnegative(),
  /** Bytes of the stored object read so far by the writing pass (compressed bytes for .csv.gz). */
  bytesRead: z.number().int().nonnegative(),
  /** The stored object's ContentLength. */
  totalBytes: z.number().int().nonnegative(),
});
export type ImportProgress = z.infer<typeof importProgressSchema>;

export interface RunningImport extends ImportProgress {
  /** 0–1 from bytesRead/totalBytes; undefined when totalBytes is 0. */
  fraction?: number;
  /**
   * Estimated ms left, from the writing pass's rate so far (from `writingSince`: the check
   * pass reads the whole object first, and counting it would make the estimate err long);
   * undefined before 1 s of writing, before any byte is read, and once stalled.
   */
  remainingMs?: number;
  /** No update for longer than STALLED_AFTER_MS (the import died or is stuck). */
  stalled: boolean;
}

/** 30 times the writer's interval: a healthy import cannot go this long without an update. */
export const STALLED_AFTER_MS = 60_000;

/** No estimate from less than this much progress. */
const MIN_ELAPSED_FOR_ESTIMATE_MS = 1_000;

/**
 * Progress objects are a few hundred bytes; a larger one under the prefix is not ours and is
 * not read into the web function.
 */
const MAX_PROGRESS_BYTES = 64 * 1024;

/** Writes (or overwrites) the progress object of `progress.source`. */
export async function putImportProgress(
  s3: S3Client,
  uploadsBucket: string,
  progress: ImportProgress,
): Promise<void> {
  await putJsonReport(s3, uploadsBucket, progressKeyFor(progress.source.key), progress);
}

/** Deletes the progress object of `sourceKey` (S3 answers success for a key that is not there). */
export async function deleteImportProgress(
  s3: S3Client,
  uploadsBucket: string,
  sourceKey: string,
): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: uploadsBucket, Key: progressKeyFor(sourceKey) }));
}

/** What a progress object says at `now`: how far, how long still, and whether it has stalled. */
export function runningImportAt(progress: ImportProgress, now: Date): RunningImport {
  const writingSince = Date.parse(progress.writingSince ?? progress.startedAt);
  const updatedAt = Date.parse(progress.updatedAt);
  const sinceUpdate = now.getTime() - updatedAt;
  // An unreadable time cannot show the import alive.
  const stalled = !Number.isFinite(sinceUpdate) || sinceUpdate > STALLED_AFTER_MS;
  const { bytesRead, totalBytes } = progress;
  const fraction = totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : undefined;
  const elapsed = updatedAt - writingSince;
  let remainingMs: number | undefined;
  if (!stalled && fraction !== undefined && bytesRead > 0 && elapsed >= MIN_ELAPSED_FOR_ESTIMATE_MS) {
    const leftAtUpdate = (Math.max(0, totalBytes - bytesRead) * elapsed) / bytesRead;
    remainingMs = Math.max(0, Math.round(leftAtUpdate - Math.max(0, sinceUpdate)));
  }
  return {
    ...progress,
    ...(fraction === undefined ? {} : { fraction }),
    ...(remainingMs === undefined ? {} : { remainingMs }),
    stalled,
  };
}

/**
 * The progress objects under reports/progress/inventory/ (one listing, up to 1,000; read in
 * parallel), newest first (by `startedAt`, so that the list does not reorder as updates
 * arrive), as RunningImport at `now`. Ones whose final report is newer need not be filtered
 * here: the writer deletes its progress object after the final report. An object that is gone
 * by the time it is read (its import just finished) or is not a progress object is left out.
 */
export async function listRunningImports(s3: S3Client, bucket: string, now: Date): Promise<RunningImport[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: INVENTORY_PROGRESS_PREFIX, MaxKeys: 1000 }),
  );
  const keys = (listed.Contents ?? [])
    .filter((object) => object.Key?.endsWith('.json') && (object.Size ?? 0) <= MAX_PROGRESS_BYTES)
    .map((object) => object.Key ?? '');
  const read = await Promise.all(keys.map((key) => readProgress(s3, bucket, key)));
  return read
    .filter((progress): progress is ImportProgress => progress !== undefined)
    .map((progress) => runningImportAt(progress, now))
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
}

/**
 * One source's progress, undefined when there is none. Listed before it is read: the web
 * function may list only under its prefixes, and without list permission S3 answers a GET
 * for a missing key with 403 rather than 404
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax).
 */
export async function getRunningImport(
  s3: S3Client,
  bucket: string,
  sourceKey: string,
  now: Date,
): Promise<RunningImport | undefined> {
  const key = progressKeyFor(sourceKey);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  const found = listed.Contents?.find((object) => object.Key === key);
  if (!found || (found.Size ?? 0) > MAX_PROGRESS_BYTES) return undefined;
  const progress = await readProgress(s3, bucket, key);
  return progress && runningImportAt(progress, now);
}

async function readProgress(s3: S3Client, bucket: string, key: string): Promise<ImportProgress | undefined> {
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await object.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    // Deleted between the listing and the read: that import has just written its report.
    if (isMissingObject(error)) return undefined;
    throw error;
  }
  try {
    const parsed = importProgressSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
