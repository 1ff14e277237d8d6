import { PassThrough } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { z } from 'zod';
import { bodyBytes, isMissingSource, isPreconditionFailed, unquoteEtag } from '#shared/aws/s3-objects.ts';
import { decodeUtf8, gunzip, readCsvRecords } from '#shared/inventory/csv-records.ts';
import { emptyFileError, InventoryFileRejectedError } from '#shared/inventory/errors.ts';
import { isGzipKey } from '#shared/inventory/files.ts';
import {
  directPartKey,
  type LargeImportInput,
  partsPrefixFor,
} from '#shared/inventory/large-import-input.ts';
import type { InventoryFileLimits } from '#shared/inventory/limits.ts';
import { coalesceRanges, type RangePlan, RangePlanner } from '#shared/inventory/ranges.ts';
import { resolveColumns } from '#shared/inventory/rows.ts';
import type { LargeImportConfig } from './config.ts';
import type { LargeImportJob, LargeImportPlan, PlannedRange, planRejectionSchema } from './job.ts';
import { getPart } from './parts.ts';

export interface PlanOptions {
  s3: S3Client;
  config: Pick<LargeImportConfig, 'rangeBytes' | 'maxRanges' | 'uploadsBucket' | 'fileLimits'>;
  input: LargeImportInput;
  executionName: string;
  executionArn: string;
  now?: () => Date;
}

type Rejection = z.infer<typeof planRejectionSchema>;

/**
 * The plan step: reads the object once, start to end, and
 * - rejects it before anything is written for the same file-level faults the direct path
 *   rejects (empty file, invalid UTF-8, corrupt gzip, bad header, an unclosed quote), and
 *   over the same caps (#shared/inventory/limits.ts: a header too long or too wide, a
 *   record too wide, a gzip bomb), as soon as they are passed;
 * - splits it into row-aligned byte ranges (#shared/inventory/ranges.ts) and parses the
 *   header once.
 *
 * A `.csv.gz` cannot be read by byte range (gzip has no random access), so it is gunzipped
 * once, in the same pass, to a staging object under the execution's parts prefix; the
 * ranges read that. The staging copy is deleted by the summary step.
 */
export async function planLargeImport(options: PlanOptions): Promise<LargeImportPlan> {
  const { s3, config, input } = options;
  const job = newJob(options);
  const object = await getSource(s3, input);
  if ('rejected' in object) return { job, ranges: [], rejected: object.rejected };
  pinToObject(job, input, object);

  const gzipped = isGzipKey(input.key);
  const staging = gzipped
    ? new StagingUpload(s3, config.uploadsBucket, `${job.partsPrefix}source.csv`)
    : undefined;
  try {
    const source = gzipped ? gunzip(bodyBytes(object), config.fileLimits) : bodyBytes(object);
    const rangeBytes = input.rangeBytes ?? config.rangeBytes;
    const resumed =
      input.resume && (await hasDirectPart(s3, config.uploadsBucket, job, input.resume.afterLine));
    const cutAtLine = resumed && input.resume ? input.resume.afterLine + 1 : undefined;
    const { plan, header } = await scanRanges(source, rangeBytes, config.fileLimits, staging, cutAtLine);
    if (staging) job.data = { bucket: config.uploadsBucket, key: staging.key, etag: await staging.done() };
    job.header = header;
    if (plan.recordDelimiter) job.recordDelimiter = plan.recordDelimiter;
    return { job, ranges: rangesToImport(plan, config.maxRanges) };
  } catch (error) {
    await staging?.abort();
    const rejected = rejectionOf(error);
    if (rejected) return { job, ranges: [], rejected };
    throw error;
  }
}

/**
 * The plan's ranges, at most `maxRanges`. After a direct import that ran out of time (the
 * plan was cut where the rest starts), the part it imported is range 0, marked `direct`:
 * the range step takes the direct import's part for it instead of importing it again, and
 * the reconcile and summary steps count it like any other range. The rest follows from 1.
 */
export function rangesToImport(plan: RangePlan, maxRanges: number): PlannedRange[] {
  const { cut } = plan;
  const done = cut ? plan.ranges.filter((range) => range.end <= cut.offset) : [];
  const first = done[0];
  if (!cut || !first) return coalesceRanges(plan.ranges, maxRanges);
  const rest = plan.ranges.filter((range) => range.start >= cut.offset);
  const direct: PlannedRange = {
    index: 0,
    start: first.start,
    end: cut.offset,
    firstLine: first.firstLine,
    direct: { afterLine: cut.line - 1 },
  };
  const after = coalesceRanges(rest, Math.max(1, maxRanges - 1)).map((range, position) => ({
    ...range,
    index: position + 1,
  }));
  return [direct, ...after];
}

/**
 * Whether the direct import's part is there to be range 0 (it is not when an operator runs
 * a resumed input again under another name): without it the whole file is planned, as a
 * range as large as what the direct import wrote could not be imported in one Lambda.
 * Any failure to read it counts as absent (without ListBucket, S3 answers a missing key 403).
 */
async function hasDirectPart(s3: S3Client, bucket: string, job: LargeImportJob, afterLine: number) {
  try {
    return (await getPart(s3, bucket, directPartKey(job, afterLine)))?.lastLine === afterLine;
  } catch {
    return false;
  }
}

/** The job as the input names it; the object's own ETag, version and time replace these once it is read. */
function newJob(options: PlanOptions): LargeImportJob {
  const { input, executionName, executionArn } = options;
  const startedAt = (options.now ?? (() => new Date()))().toISOString();
  return {
    executionName,
    executionArn,
    source: {
      bucket: input.bucket,
      key: input.key,
      etag: input.etag ?? '',
      ...(input.versionId ? { versionId: input.versionId } : {}),
    },
    data: { bucket: input.bucket, key: input.key, etag: input.etag ?? '' },
    header: [],
    updatedAt: startedAt,
    partsPrefix: partsPrefixFor(executionName),
    startedAt,
  };
}

/** The object the hand-off named: the version it saw (VersionId, else If-Match on its ETag). */
async function getSource(
  s3: S3Client,
  input: LargeImportInput,
): Promise<GetObjectCommandOutput | { rejected: Rejection }> {
  try {
    return await s3.send(
      new GetObjectCommand({
        Bucket: input.bucket,
        Key: input.key,
        ...(input.versionId ? { VersionId: input.versionId } : input.etag ? { IfMatch: input.etag } : {}),
      }),
    );
  } catch (error) {
    // Replaced since the hand-off: the new version's own upload event imports it.
    if (isPreconditionFailed(error)) {
      return { rejected: { reason: 'superseded', detail: 'the object was replaced since the hand-off' } };
    }
    if (await isMissingSource(s3, input.bucket, input.key, error)) {
      return { rejected: { reason: 'source_missing', detail: 'the object no longer exists' } };
    }
    throw error;
  }
}

/** Every range reads the version read here; every item is stamped with its upload time. */
function pinToObject(job: LargeImportJob, input: LargeImportInput, object: GetObjectCommandOutput): void {
  const etag = unquoteEtag(object.ETag);
  const versionId = object.VersionId ?? input.versionId;
  job.source = { bucket: input.bucket, key: input.key, etag, ...(versionId ? { versionId } : {}) };
  job.data = { bucket: input.bucket, key: input.key, etag, ...(versionId ? { versionId } : {}) };
  job.updatedAt = (object.LastModified ?? new Date(job.startedAt)).toISOString();
}

/**
 * One pass over the file's bytes: the planner cuts them into ranges (and caps the header
 * and the records), the decoder checks they are UTF-8 (as the direct path's check pass
 * does), the staging upload (if any) keeps them. The header is judged as soon as it ends,
 * not after the whole file. Throws InventoryFileRejectedError for a file the import must refuse.
 */
async function scanRanges(
  source: AsyncIterable<Uint8Array>,
  rangeBytes: number,
  limits: InventoryFileLimits,
  staging: StagingUpload | undefined,
  cutAtLine: number | undefined,
): Promise<{ plan: RangePlan; header: string[] }> {
  const planner = new RangePlanner(rangeBytes, limits.maxHeaderBytes, cutAtLine);
  let header: string[] | undefined;
  async function* scanned(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      planner.push(chunk);
      const found = header ? undefined : planner.foundHeaderBytes;
      if (found) header = await headerOf(found, limits);
      if (staging) await staging.write(chunk);
      yield chunk;
    }
  }
  for await (const _text of decodeUtf8(scanned())) {
    // decoded only to be validated
  }
  const plan = planner.finish();
  if (plan.unterminatedQuote) {
    throw new InventoryFileRejectedError(
      'malformed_csv',
      `malformed CSV: the quoted field opened on line ${plan.unterminatedQuoteLine} is never closed`,
    );
  }
  return { plan, header: header ?? (await headerOf(plan.headerBytes, limits)) };
}

/**
 * The workflow carries the header in its state, next to up to 2,000 ranges, and Step
 * Functions caps a state at 256 KiB: the header's JSON must fit in the header's budget too
 * (escapes can make it six times its bytes).
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
const MAX_HEADER_STATE_BYTES = 64 * 1024;

/** The header's cells, parsed once for every range; a header the import cannot read is refused. */
async function headerOf(headerBytes: Uint8Array, limits: InventoryFileLimits): Promise<string[]> {
  for await (const record of readCsvRecords(decodeUtf8(once(headerBytes)))) {
    resolveColumns(record.fields, limits.maxColumns);
    if (Buffer.byteLength(JSON.stringify(record.fields)) > MAX_HEADER_STATE_BYTES) {
      throw new InventoryFileRejectedError(
        'header_too_long',
        `the header row takes more than ${MAX_HEADER_STATE_BYTES} bytes once escaped; name fewer or shorter columns`,
      );
    }
    return record.fields;
  }
  throw emptyFileError();
}

function rejectionOf(error: unknown): Rejection | undefined {
  if (error instanceof InventoryFileRejectedError) return { reason: error.reason, detail: error.message };
  return undefined;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** A streamed multipart upload fed chunk by chunk, with backpressure. */
class StagingUpload {
  readonly key: string;
  readonly #stream = new PassThrough({ highWaterMark: 8 * 1024 * 1024 });
  readonly #upload: Upload;
  readonly #finished: Promise<string>;

  constructor(s3: S3Client, bucket: string, key: string) {
    this.key = key;
    this.#upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: this.#stream, ContentType: 'text/csv; charset=utf-8' },
    });
    this.#finished = this.#upload.done().then((output) => unquoteEtag(output.ETag));
    // Observed here so an early failure is not unhandled; `done()` rethrows it.
    this.#finished.catch(() => undefined);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (!this.#stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        this.#stream.once('drain', resolve);
        this.#finished.catch(reject);
      });
    }
  }

  async done(): Promise<string> {
    this.#stream.end();
    return this.#finished;
  }

  async abort(): Promise<void> {
    await this.#upload.abort().catch(() => undefined);
    this.#stream.destroy();
  }
}
