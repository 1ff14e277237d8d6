import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  encodeMetadataValue,
  isThumbnailKeyOf,
  thumbnailKeyFor,
  thumbnailPrefixFor,
} from '#shared/images/keys.ts';
import { putJsonReport, reportKeyFor } from '#shared/reports.ts';
import type { ThumbnailConfig } from './config.ts';
import {
  ImageRejectedError,
  InsufficientTimeError,
  type RejectionReason,
  ThumbnailRecordsFailedError,
} from './errors.ts';
import { InputBuffers } from './input-buffers.ts';
import { type RenderedImage, ThumbnailRenderer } from './render.ts';
import { type ImageEvent, recordsOf, triageS3Record } from './s3-records.ts';
import { isNewerThan, SEQUENCER_METADATA_KEY } from './sequencer.ts';
import type { SkipReason, ThumbnailLogger, ThumbnailMetrics } from './telemetry.ts';

/**
 * Thumbnails are overwritten in place when their source is uploaded again, so they are not
 * `immutable`: a day of caching (browsers, a CDN in front of the bucket) bounds how long a
 * replaced photo can linger, while still sparing almost every request.
 */
export const THUMBNAIL_CACHE_CONTROL = 'public, max-age=86400';

/**
 * Do not start a record with less than this left of the invocation: a 24 MP photo takes
 * well under a second at 1536 MB, but S3 round trips and a cold libvips add up. A record
 * started too late fails transiently and the retry gets a whole timeout.
 */
export const MIN_REMAINING_MS_TO_START = 10_000;
/** Kept back from sharp's deadline for the uploads and the report that follow it. */
export const RESERVED_MS_AFTER_RENDER = 5_000;

/** S3 user metadata is limited to 2 KB in all; a longer encoded key is left out. */
const MAX_SOURCE_KEY_METADATA_LENGTH = 1_500;

export interface ImageThumbnailerOptions {
  s3: S3Client;
  config: ThumbnailConfig;
  logger: ThumbnailLogger;
  metrics: ThumbnailMetrics;
  renderer?: ThumbnailRenderer;
  now?: () => Date;
}

/** How much of the invocation is left (Lambda's `context.getRemainingTimeInMillis`). */
export interface InvocationClock {
  remainingTimeMs(): number;
}

export interface SourceReference {
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
}

export interface ThumbnailReference {
  bucket: string;
  key: string;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
}

/** `reports/images/<source key>.json` in the uploads bucket. */
export type ImageReport =
  | {
      source: SourceReference;
      status: 'processed';
      detectedFormat: string;
      original: { width: number; height: number };
      thumbnails: ThumbnailReference[];
      sequencer?: string;
      at: string;
    }
  | {
      source: SourceReference;
      status: 'rejected';
      reason: RejectionReason;
      detail: string;
      detectedFormat?: string;
      sequencer?: string;
      at: string;
    };

export type RecordOutcome =
  | { status: 'processed'; key: string; thumbnails: string[] }
  | { status: 'rejected'; key: string; reason: RejectionReason }
  | { status: 'removed'; key: string; deleted: string[]; kept: string[] }
  | { status: 'skipped'; key?: string; reason: SkipReason };

export interface EventSummary {
  records: RecordOutcome[];
}

/**
 * The product-images flow: S3 events in, thumbnails (and reports) out.
 *
 * - ObjectCreated: make every configured width from the object as it is NOW (GetObject
 *   without a version id), unless a newer event already wrote the thumbnails.
 * - ObjectRemoved: delete the source's thumbnails and report, unless the source exists
 *   again or the thumbnails come from a newer event.
 * - A bad upload is rejected (report, warning, metric) and the invocation succeeds; a
 *   transient fault is rethrown, after the event's other records, so Lambda retries.
 */
export class ImageThumbnailer {
  readonly #s3: S3Client;
  readonly #config: ThumbnailConfig;
  readonly #logger: ThumbnailLogger;
  readonly #metrics: ThumbnailMetrics;
  readonly #renderer: ThumbnailRenderer;
  readonly #now: () => Date;
  /** The previous source image's memory, reused for the next (see input-buffers.ts). */
  readonly #inputBuffers = new InputBuffers();

  constructor(options: ImageThumbnailerOptions) {
    this.#s3 = options.s3;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#renderer =
      options.renderer ??
      new ThumbnailRenderer({
        widths: options.config.widths,
        format: options.config.format,
        quality: options.config.quality,
        maxInputPixels: options.config.maxInputPixels,
        allowSvg: options.config.allowSvg,
      });
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Handles every record, one after the other (one image's memory at a time). A record's
   * rejection does not touch the others; transient failures are collected and rethrown
   * together at the end. Lambda then retries the WHOLE event: records that succeeded are
   * done again, which costs time but changes nothing (the output is deterministic).
   */
  async handleEvent(event: unknown, clock: InvocationClock): Promise<EventSummary> {
    const records = recordsOf(event);
    if (records.length === 0) this.#logger.info('event without S3 records ignored');
    const outcomes: RecordOutcome[] = [];
    const failures: { key: string; error: unknown }[] = [];
    for (const record of records) {
      const triage = triageS3Record(record, this.#config);
      if (!triage.accepted) {
        this.#logger.warn('record skipped', {
          reason: triage.reason,
          detail: triage.detail,
          key: triage.key,
        });
        this.#metrics.eventSkipped(triage.reason);
        outcomes.push({ status: 'skipped', reason: triage.reason, ...(triage.key && { key: triage.key }) });
        continue;
      }
      const imageEvent = triage.event;
      try {
        outcomes.push(
          imageEvent.kind === 'created'
            ? await this.createThumbnails(imageEvent, clock)
            : await this.removeThumbnails(imageEvent, clock),
        );
      } catch (error) {
        this.#logger.error('record failed; the event will be retried', {
          key: imageEvent.key,
          eventName: imageEvent.eventName,
          error,
        });
        failures.push({ key: imageEvent.key, error });
      }
    }
    if (failures.length > 0) throw new ThumbnailRecordsFailedError(failures);
    return { records: outcomes };
  }

  async createThumbnails(event: ImageEvent, clock: InvocationClock): Promise<RecordOutcome> {
    this.#ensureTimeToStart(clock);
    const { key } = event;
    const targets = this.#config.widths.map((width) => thumbnailKeyFor(key, width, this.#config.format));

    const eventSource: SourceReference = {
      bucket: event.bucket,
      key,
      ...(event.versionId && { versionId: event.versionId }),
      ...(event.eTag && { etag: event.eTag }),
    };
    // The byte limit is checked from the event, before anything is downloaded.
    const tooLarge = event.size !== undefined && event.size > this.#config.maxInputBytes;
    // GetObject is sent alongside the staleness check (one round trip instead of two); its
    // body is read only once the event is known to be current.
    const opening = tooLarge ? undefined : this.#openSource(event);
    // Marked as handled now: if it fails while the staleness check is still in flight, the
    // rejection must not count as unhandled (Lambda's runtime fails the invocation for
    // that). Awaiting `opening` below still throws the error.
    opening?.catch(() => undefined);
    let stored: (string | undefined)[];
    try {
      stored = await Promise.all(targets.map((target) => this.#storedSequencer(target)));
    } catch (error) {
      await abandon(opening);
      throw error;
    }
    // A thumbnail written for a later event of this key wins: this event is stale.
    const newer = stored.find((sequencer) => isNewerThan(sequencer, event.sequencer));
    if (newer !== undefined) {
      await abandon(opening);
      return this.#skip('stale', key, { sequencer: event.sequencer, newer });
    }
    if (tooLarge || !opening) return this.#reject(event, eventSource, this.#tooLarge(event.size ?? 0));

    const opened = await opening;
    if (opened === undefined) return this.#skip('source_missing', key, { eventName: event.eventName });
    const { response, source } = opened;
    const declared = response.ContentLength;
    if (declared !== undefined && declared > this.#config.maxInputBytes) {
      discard(response.Body);
      return this.#reject(event, source, this.#tooLarge(declared));
    }
    const body = await readBody(response.Body, declared, this.#config.maxInputBytes, this.#inputBuffers);
    if (body === undefined)
      return this.#reject(event, source, this.#tooLarge(this.#config.maxInputBytes + 1));

    let rendered: RenderedImage;
    try {
      const timeoutMs = clock.remainingTimeMs() - RESERVED_MS_AFTER_RENDER;
      if (timeoutMs < 1_000)
        throw new InsufficientTimeError(`only ${clock.remainingTimeMs()} ms left to render ${key}`);
      rendered = await this.#renderer.render(body, { timeoutSeconds: timeoutMs / 1_000 });
    } catch (error) {
      if (error instanceof ImageRejectedError) return this.#reject(event, source, error);
      throw error;
    } finally {
      // Every sharp pipeline reading the source has ended: render() awaits them in turn.
      this.#inputBuffers.give(body);
    }

    const metadata = this.#thumbnailMetadata(source, event.sequencer);
    const written = await Promise.all(
      rendered.thumbnails.map(async (thumbnail): Promise<ThumbnailReference> => {
        const thumbnailKey = thumbnailKeyFor(key, thumbnail.requestedWidth, thumbnail.format);
        await this.#s3.send(
          new PutObjectCommand({
            Bucket: this.#config.thumbnailsBucket,
            Key: thumbnailKey,
            Body: thumbnail.data,
            ContentLength: thumbnail.data.length,
            ContentType: thumbnail.contentType,
            CacheControl: THUMBNAIL_CACHE_CONTROL,
            Metadata: metadata,
          }),
        );
        return {
          bucket: this.#config.thumbnailsBucket,
          key: thumbnailKey,
          width: thumbnail.width,
          height: thumbnail.height,
          bytes: thumbnail.data.length,
          contentType: thumbnail.contentType,
        };
      }),
    );
    await this.#writeReport(key, {
      source,
      status: 'processed',
      detectedFormat: rendered.detectedFormat,
      original: { width: rendered.width, height: rendered.height },
      thumbnails: written,
      ...(event.sequencer && { sequencer: event.sequencer }),
      at: this.#now().toISOString(),
    });
    this.#logger.info('thumbnails written', {
      key,
      detectedFormat: rendered.detectedFormat,
      thumbnails: written.map((thumbnail) => thumbnail.key),
    });
    this.#metrics.imageProcessed(written.length);
    return { status: 'processed', key, thumbnails: written.map((thumbnail) => thumbnail.key) };
  }

  async removeThumbnails(event: ImageEvent, clock: InvocationClock): Promise<RecordOutcome> {
    this.#ensureTimeToStart(clock);
    // The object as it is NOW decides: if the key exists again (re-uploaded, or only a
    // non-current version was deleted), this delete is not the last word on it, and the
    // create event of what is there now keeps (or rewrites) the thumbnails.
    if (await this.#sourceExists(event.key)) {
      return this.#skip('source_exists', event.key, { eventName: event.eventName });
    }
    const { deleted, kept } = await this.#deleteThumbnailsOlderThan(event.key, event.sequencer);
    // A thumbnail of a newer event still stands: the report describes that newer upload.
    if (kept.length === 0) {
      await this.#s3.send(
        new DeleteObjectCommand({
          Bucket: this.#config.uploadsBucket,
          Key: reportKeyFor('images', event.key),
        }),
      );
    }
    this.#logger.info('thumbnails removed', { key: event.key, deleted, kept });
    this.#metrics.thumbnailsRemoved(deleted.length);
    return { status: 'removed', key: event.key, deleted, kept };
  }

  #ensureTimeToStart(clock: InvocationClock): void {
    const remaining = clock.remainingTimeMs();
    if (remaining < MIN_REMAINING_MS_TO_START) {
      throw new InsufficientTimeError(
        `only ${remaining} ms left of the invocation (need ${MIN_REMAINING_MS_TO_START} ms to start a record)`,
      );
    }
  }

  #skip(reason: SkipReason, key: string, details: Record<string, unknown>): RecordOutcome {
    const message =
      reason === 'stale'
        ? 'stale event'
        : reason === 'source_missing'
          ? 'source no longer exists'
          : reason === 'source_exists'
            ? 'stale delete: the source exists'
            : 'record skipped';
    this.#logger.info(message, { key, reason, ...details });
    this.#metrics.eventSkipped(reason);
    return { status: 'skipped', key, reason };
  }

  #tooLarge(size: number): ImageRejectedError {
    return new ImageRejectedError(
      'too_large',
      `${size} bytes is over the limit of ${this.#config.maxInputBytes} bytes`,
    );
  }

  /**
   * GetObject WITHOUT a version id: the newest version. A stale or duplicate event then
   * renders what the key holds now, so thumbnails converge on the current image whatever
   * order events arrive in, and a deleted image is never brought back from an old version.
   * Undefined when the key no longer exists (a delete will follow, or already came).
   */
  async #openSource(
    event: ImageEvent,
  ): Promise<{ response: GetObjectCommandOutput; source: SourceReference } | undefined> {
    let response: GetObjectCommandOutput;
    try {
      response = await this.#s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: event.key }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const source: SourceReference = {
      bucket: event.bucket,
      key: event.key,
      ...(response.VersionId && response.VersionId !== 'null' && { versionId: response.VersionId }),
      ...(response.ETag && { etag: unquote(response.ETag) }),
    };
    return { response, source };
  }

  async #reject(
    event: ImageEvent,
    source: SourceReference,
    rejection: ImageRejectedError,
  ): Promise<RecordOutcome> {
    // Thumbnails of an earlier, good upload of this key no longer show what the key holds.
    const { deleted } = await this.#deleteThumbnailsOlderThan(event.key, event.sequencer);
    await this.#writeReport(event.key, {
      source,
      status: 'rejected',
      reason: rejection.reason,
      detail: rejection.message,
      ...(rejection.detectedFormat && { detectedFormat: rejection.detectedFormat }),
      ...(event.sequencer && { sequencer: event.sequencer }),
      at: this.#now().toISOString(),
    });
    this.#logger.warn('image rejected', {
      key: event.key,
      reason: rejection.reason,
      detail: rejection.message,
      detectedFormat: rejection.detectedFormat,
      removedThumbnails: deleted,
    });
    this.#metrics.imageRejected(rejection.reason);
    return { status: 'rejected', key: event.key, reason: rejection.reason };
  }

  async #writeReport(sourceKey: string, report: ImageReport): Promise<void> {
    await putJsonReport(this.#s3, this.#config.uploadsBucket, reportKeyFor('images', sourceKey), report);
  }

  #thumbnailMetadata(source: SourceReference, sequencer: string | undefined): Record<string, string> {
    const encodedKey = encodeMetadataValue(source.key);
    return {
      ...(encodedKey.length <= MAX_SOURCE_KEY_METADATA_LENGTH && { 'source-key': encodedKey }),
      ...(source.etag && { 'source-etag': source.etag }),
      ...(source.versionId && { 'source-version-id': source.versionId }),
      ...(sequencer && { [SEQUENCER_METADATA_KEY]: sequencer }),
    };
  }

  /** The sequencer a thumbnail was written with; undefined when it does not exist. */
  async #storedSequencer(thumbnailKey: string): Promise<string | undefined> {
    try {
      const head = await this.#s3.send(
        new HeadObjectCommand({ Bucket: this.#config.thumbnailsBucket, Key: thumbnailKey }),
      );
      return head.Metadata?.[SEQUENCER_METADATA_KEY];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #sourceExists(key: string): Promise<boolean> {
    try {
      await this.#s3.send(new HeadObjectCommand({ Bucket: this.#config.uploadsBucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Deletes the source's thumbnails — every width and format found under `<source key>/`,
   * so sizes configured in the past go too — except those written for a newer event.
   */
  async #deleteThumbnailsOlderThan(
    sourceKey: string,
    sequencer: string | undefined,
  ): Promise<{ deleted: string[]; kept: string[] }> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: this.#config.thumbnailsBucket,
          Prefix: thumbnailPrefixFor(sourceKey),
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key && isThumbnailKeyOf(sourceKey, object.Key)) keys.push(object.Key);
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);

    const deleted: string[] = [];
    const kept: string[] = [];
    await Promise.all(
      keys.map(async (key) => {
        const stored = await this.#storedSequencer(key);
        if (isNewerThan(stored, sequencer)) {
          kept.push(key);
          return;
        }
        await this.#s3.send(new DeleteObjectCommand({ Bucket: this.#config.thumbnailsBucket, Key: key }));
        deleted.push(key);
      }),
    );
    return { deleted: deleted.sort(), kept: kept.sort() };
  }
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404;
}

const unquote = (etag: string): string => etag.replace(/^"|"$/g, '');

/** Stops a GetObject that turned out not to be needed, whatever became of it. */
async function abandon(
  opening: Promise<{ response: GetObjectCommandOutput } | undefined> | undefined,
): Promise<void> {
  const opened = await opening?.catch(() => undefined);
  discard(opened?.response.Body);
}

function discard(body: unknown): void {
  if (body && typeof body === 'object' && 'destroy' in body && typeof body.destroy === 'function') {
    body.destroy();
  }
}

/**
 * Reads a GetObject body into ONE buffer, sized from Content-Length up front. sharp needs
 * the whole encoded file anyway (libvips seeks in it; given a stream, sharp concatenates the
 * chunks itself), so this is the same memory without the extra concatenated copy, and it
 * stops — undefined — the moment the body outgrows the byte limit.
 *
 * The memory comes from `buffers` (default: a new buffer each time); the result is a view
 * of it, to be given back to `buffers` once nothing reads it any more.
 */
export async function readBody(
  body: unknown,
  declaredLength: number | undefined,
  maxBytes: number,
  buffers: Pick<InputBuffers, 'take' | 'give'> = freshBuffers,
): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (!isAsyncIterable(body)) throw new TypeError('GetObject returned a body that is not a stream');
  let buffer = buffers.take(Math.min(maxBytes, declaredLength ?? 64 * 1024));
  let length = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    if (length + bytes.length > maxBytes) {
      discard(body);
      buffers.give(buffer);
      return undefined;
    }
    if (length + bytes.length > buffer.length) {
      const grown = buffers.take(Math.min(maxBytes, Math.max(buffer.length * 2, length + bytes.length)));
      buffer.copy(grown, 0, 0, length);
      buffers.give(buffer);
      buffer = grown;
    }
    buffer.set(bytes, length);
    length += bytes.length;
  }
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}

const freshBuffers = {
  take: (size: number) => Buffer.allocUnsafe(size),
  give: () => undefined,
};

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
