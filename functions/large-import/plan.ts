import { PassThrough } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { bodyBytes, isMissingObject, isPreconditionFailed, unquoteEtag } from '#shared/aws/s3-objects.ts';
import { decodeUtf8, gunzip, readCsvRecords } from '../import-inventory/csv-records.ts';
import { InventoryFileRejectedError } from '../import-inventory/errors.ts';
import { resolveColumns } from '../import-inventory/rows.ts';
import type { LargeImportConfig } from './config.ts';
import { type LargeImportInput, type LargeImportJob, type LargeImportPlan, PARTS_PREFIX } from './job.ts';
import { coalesceRanges, HeaderTooLargeError, RangePlanner } from './ranges.ts';

export interface PlanOptions {
  s3: S3Client;
  config: Pick<LargeImportConfig, 'rangeBytes' | 'maxRanges' | 'uploadsBucket'>;
  input: LargeImportInput;
  executionName: string;
  executionArn: string;
  now?: () => Date;
}

/**
 * The plan step: reads the object once, start to end, and
 * - rejects it before anything is written for the same file-level faults the direct path
 *   rejects (empty file, invalid UTF-8, corrupt gzip, bad header, an unclosed quote);
 * - splits it into row-aligned byte ranges (see ranges.ts) and parses the header once.
 *
 * A `.csv.gz` cannot be read by byte range (gzip has no random access), so it is gunzipped
 * once, in the same pass, to a staging object under the execution's parts prefix; the
 * ranges read that. The staging copy is deleted by the summary step.
 */
export async function planLargeImport(options: PlanOptions): Promise<LargeImportPlan> {
  const { s3, config, input, executionName, executionArn } = options;
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const partsPrefix = `${PARTS_PREFIX}${executionName}/`;
  const job: LargeImportJob = {
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
    partsPrefix,
    startedAt,
  };
  const rejected = (reason: string, detail: string): LargeImportPlan => ({
    job,
    ranges: [],
    rejected: { reason, detail },
  });

  let object: GetObjectCommandOutput;
  try {
    object = await s3.send(
      new GetObjectCommand({
        Bucket: input.bucket,
        Key: input.key,
        ...(input.versionId ? { VersionId: input.versionId } : input.etag ? { IfMatch: input.etag } : {}),
      }),
    );
  } catch (error) {
    if (isMissingObject(error)) return rejected('source_missing', 'the object no longer exists');
    // Replaced since the hand-off: the new version's own upload event imports it.
    if (isPreconditionFailed(error))
      return rejected('superseded', 'the object was replaced since the hand-off');
    throw error;
  }
  const etag = unquoteEtag(object.ETag);
  const versionId = object.VersionId ?? input.versionId;
  job.source = { bucket: input.bucket, key: input.key, etag, ...(versionId ? { versionId } : {}) };
  job.data = { bucket: input.bucket, key: input.key, etag, ...(versionId ? { versionId } : {}) };
  job.updatedAt = (object.LastModified ?? new Date(startedAt)).toISOString();

  const gzipped = input.key.toLowerCase().endsWith('.gz');
  const planner = new RangePlanner(input.rangeBytes ?? config.rangeBytes);
  const staging = gzipped
    ? new StagingUpload(s3, config.uploadsBucket, `${partsPrefix}source.csv`)
    : undefined;
  const source = gzipped ? gunzip(bodyBytes(object)) : bodyBytes(object);
  async function* scanned(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      planner.push(chunk);
      if (staging) await staging.write(chunk);
      yield chunk;
    }
  }
  try {
    // Strict UTF-8 decoding of the whole file, as the direct path's check pass does.
    for await (const _text of decodeUtf8(scanned())) {
      // decoded only to be validated
    }
  } catch (error) {
    await staging?.abort();
    if (error instanceof InventoryFileRejectedError) return rejected(error.reason, error.message);
    if (error instanceof HeaderTooLargeError) return rejected('malformed_csv', error.message);
    throw error;
  }
  const plan = planner.finish();
  if (plan.unterminatedQuote) {
    await staging?.abort();
    return rejected(
      'malformed_csv',
      `malformed CSV: the quoted field opened on line ${plan.unterminatedQuoteLine} is never closed`,
    );
  }
  let header: string[] | undefined;
  try {
    for await (const record of readCsvRecords(decodeUtf8(once(plan.headerBytes)))) {
      header = record.fields;
      break;
    }
    if (!header) {
      throw new InventoryFileRejectedError(
        'empty_file',
        'the file is empty; expected a header row: store,item,count',
      );
    }
    resolveColumns(header);
  } catch (error) {
    await staging?.abort();
    if (error instanceof InventoryFileRejectedError) return rejected(error.reason, error.message);
    throw error;
  }
  if (staging) {
    const stagedEtag = await staging.done();
    job.data = { bucket: config.uploadsBucket, key: staging.key, etag: stagedEtag };
  }
  job.header = header;
  return { job, ranges: coalesceRanges(plan.ranges, config.maxRanges) };
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
