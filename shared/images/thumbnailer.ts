import { DeleteObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { putJsonReport, reportKeyFor } from '#shared/reports.ts';
import type { ThumbnailConfig } from './config.ts';
import { ImageRejectedError, InsufficientTimeError } from './errors.ts';
import { InputBuffers } from './input-buffers.ts';
import { fitsS3KeyLimit, keyByteLength, MAX_S3_KEY_BYTES, thumbnailKeyFor } from './keys.ts';
import {
  listThumbnailKeys,
  openSource,
  putThumbnail,
  sourceExists,
  storedSequencer,
  thumbnailMetadata,
} from './objects.ts';
import { type RenderedImage, type RenderedThumbnail, ThumbnailRenderer } from './render.ts';
import type { ImageReport, RecordOutcome, SourceReference } from './report.ts';
import { isNewerThan } from './sequencer.ts';
import { abandon, discard, readBody } from './source-body.ts';
import type { SkipReason, ThumbnailLogger, ThumbnailMetrics } from './telemetry.ts';

/**
 * Do not start a record with less than this left of the invocation: a 24 MP photo takes
 * well under a second at 1536 MB, but S3 round trips and a cold libvips add up. A record
 * started too late fails transiently and the retry gets a whole timeout.
 */
export const MIN_REMAINING_MS_TO_START = 10_000;
/** Kept back from sharp's deadline for the uploads and the report that follow it. */
export const RESERVED_MS_AFTER_RENDER = 5_000;

/** An upload or a delete of one source image, whatever told us of it (S3, a rebuild). */
export interface ImageEvent {
  kind: 'created' | 'removed';
  eventName: string;
  bucket: string;
  /** Decoded: as the object is named in S3. */
  key: string;
  /** ObjectCreated only: the size of the version that was written. */
  size?: number;
  eTag?: string;
  versionId?: string;
  /** Upper-cased hex (see sequencer.ts), when the event carries a valid one. */
  sequencer?: string;
}

/** How much of the invocation is left (Lambda's `context.getRemainingTimeInMillis`). */
export interface InvocationClock {
  remainingTimeMs(): number;
}

export interface ImageThumbnailerOptions {
  s3: S3Client;
  config: ThumbnailConfig;
  logger: ThumbnailLogger;
  metrics: ThumbnailMetrics;
  renderer?: ThumbnailRenderer;
  now?: () => Date;
}

/** Either the source to render, or what became of the event without it. */
type SourceCheck =
  | { current: true; response: GetObjectCommandOutput; source: SourceReference }
  | { current: false; outcome: RecordOutcome };

const SKIP_MESSAGES: Partial<Record<SkipReason, string>> = {
  stale: 'stale event',
  source_missing: 'source no longer exists',
  source_exists: 'stale delete: the source exists',
};

/**
 * The product-images flow: image events in, thumbnails (and reports) out.
 *
 * - created: make every configured width from the object as it is NOW (GetObject without
 *   a version id), unless a newer event already wrote the thumbnails.
 * - removed: delete the source's thumbnails and report, unless the source exists again
 *   or the thumbnails come from a newer event.
 * - A bad upload is rejected (report, warning, metric) and resolves; a transient fault
 *   rejects, for the caller to retry.
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

  async createThumbnails(event: ImageEvent, clock: InvocationClock): Promise<RecordOutcome> {
    this.#ensureTimeToStart(clock);
    const checked = await this.#checkSource(event);
    if (!checked.current) return checked.outcome;
    const rendered = await this.#render(event.key, checked.response, clock);
    if (rendered instanceof ImageRejectedError) return this.#reject(event, checked.source, rendered);
    return this.#publish(event, checked.source, rendered);
  }

  async removeThumbnails(event: ImageEvent, clock: InvocationClock): Promise<RecordOutcome> {
    this.#ensureTimeToStart(clock);
    // The object as it is NOW decides: if the key exists again (re-uploaded, or only a
    // non-current version was deleted), this delete is not the last word on it, and the
    // create event of what is there now keeps (or rewrites) the thumbnails.
    if (await sourceExists(this.#s3, this.#config.uploadsBucket, event.key)) {
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

  /**
   * Whether the event is still the latest word on its key, with the source opened if so.
   * Stale, missing and too-large sources end here, before a byte is downloaded.
   */
  async #checkSource(event: ImageEvent): Promise<SourceCheck> {
    const { key } = event;
    const eventSource: SourceReference = {
      bucket: event.bucket,
      key,
      ...(event.versionId && { versionId: event.versionId }),
      ...(event.eTag && { etag: event.eTag }),
    };
    // No thumbnail of a key this long can exist: reject it before any request names one.
    const unfit = this.#keyTooLong(key);
    if (unfit) return { current: false, outcome: await this.#reject(event, eventSource, unfit) };
    // The byte limit is checked from the event, before anything is downloaded.
    const tooLarge = event.size !== undefined && event.size > this.#config.maxInputBytes;
    // GetObject is sent alongside the staleness check (one round trip instead of two); its
    // body is read only once the event is known to be current.
    const opening = tooLarge ? undefined : openSource(this.#s3, event);
    // Marked as handled now: if it fails while the staleness check is still in flight, the
    // rejection must not count as unhandled (Lambda's runtime fails the invocation for
    // that). Awaiting `opening` below still throws the error.
    opening?.catch(() => undefined);
    let newer: string | undefined;
    try {
      newer = await this.#newerSequencer(key, event.sequencer);
    } catch (error) {
      await abandon(opening);
      throw error;
    }
    if (newer !== undefined) {
      await abandon(opening);
      return { current: false, outcome: this.#skip('stale', key, { sequencer: event.sequencer, newer }) };
    }
    if (!opening) {
      return {
        current: false,
        outcome: await this.#reject(event, eventSource, this.#tooLarge(event.size ?? 0)),
      };
    }
    const opened = await opening;
    if (opened === undefined) {
      return { current: false, outcome: this.#skip('source_missing', key, { eventName: event.eventName }) };
    }
    return { current: true, ...opened };
  }

  /**
   * A sequencer of a later event of this key, read from ONE thumbnail: the widest, which
   * #publish writes last, after every other width has been written with the same metadata.
   *
   * - The widest carries sequencer S: the event S wrote every width (or a later event
   *   overwrote some since), so an event older than S is stale, as with a HEAD per width.
   * - A newer event crashed after writing some widths but not the widest: this older event
   *   is not skipped. It renders the source as it is NOW (GetObject without a version id),
   *   so the thumbnails it writes show the newest image anyway; only their sequencer goes
   *   back to this event's. The crashed event failed, so it is retried, finds this older
   *   sequencer on the widest and writes every width again with its own.
   * So one HEAD instead of one per width loses no upload, and keeps the image right.
   */
  async #newerSequencer(key: string, sequencer: string | undefined): Promise<string | undefined> {
    const lastWritten = thumbnailKeyFor(key, this.#widestWidth(), this.#config.format);
    const stored = await storedSequencer(this.#s3, this.#config.thumbnailsBucket, lastWritten);
    return isNewerThan(stored, sequencer) ? stored : undefined;
  }

  #widestWidth(): number {
    return Math.max(...this.#config.widths);
  }

  /** Reads the source within the byte limit and renders it; a rejection is returned, not thrown. */
  async #render(
    key: string,
    response: GetObjectCommandOutput,
    clock: InvocationClock,
  ): Promise<RenderedImage | ImageRejectedError> {
    const { maxInputBytes } = this.#config;
    const declared = response.ContentLength;
    if (declared !== undefined && declared > maxInputBytes) {
      discard(response.Body);
      return this.#tooLarge(declared);
    }
    const body = await readBody(response.Body, declared, maxInputBytes, this.#inputBuffers);
    if (body === undefined) return this.#tooLarge(maxInputBytes + 1);
    try {
      const timeoutMs = clock.remainingTimeMs() - RESERVED_MS_AFTER_RENDER;
      if (timeoutMs < 1_000)
        throw new InsufficientTimeError(`only ${clock.remainingTimeMs()} ms left to render ${key}`);
      return await this.#renderer.render(body, { timeoutSeconds: timeoutMs / 1_000 });
    } catch (error) {
      if (error instanceof ImageRejectedError) return error;
      throw error;
    } finally {
      // Every sharp pipeline reading the source has ended: render() awaits them in turn.
      this.#inputBuffers.give(body);
    }
  }

  /** Writes the rendered thumbnails and the "processed" report. */
  async #publish(
    event: ImageEvent,
    source: SourceReference,
    rendered: RenderedImage,
  ): Promise<RecordOutcome> {
    const { key } = event;
    const bucket = this.#config.thumbnailsBucket;
    const metadata = thumbnailMetadata(source, event.sequencer);
    const write = (thumbnail: RenderedThumbnail) =>
      putThumbnail(
        this.#s3,
        { bucket, key: thumbnailKeyFor(key, thumbnail.requestedWidth, thumbnail.format), metadata },
        thumbnail,
      );
    // The widest goes last, once the others are written: #newerSequencer reads only it. That
    // costs the latency of the narrower (small) PUTs, and saves a HEAD per other width.
    // Widths are sorted (config.ts), so the report still lists them narrowest first.
    const widest = this.#widestWidth();
    const isWidest = (thumbnail: RenderedThumbnail) => thumbnail.requestedWidth === widest;
    const earlier = await Promise.all(rendered.thumbnails.filter((t) => !isWidest(t)).map(write));
    const last = await Promise.all(rendered.thumbnails.filter(isWidest).map(write));
    const written = [...earlier, ...last];
    await this.#writeReport(key, {
      source,
      status: 'processed',
      detectedFormat: rendered.detectedFormat,
      original: { width: rendered.width, height: rendered.height },
      thumbnails: written,
      ...(event.sequencer && { sequencer: event.sequencer }),
      at: this.#now().toISOString(),
    });
    const thumbnails = written.map((thumbnail) => thumbnail.key);
    this.#logger.info('thumbnails written', { key, detectedFormat: rendered.detectedFormat, thumbnails });
    this.#metrics.imageProcessed(written.length);
    return { status: 'processed', key, thumbnails };
  }

  #skip(reason: SkipReason, key: string, details: Record<string, unknown>): RecordOutcome {
    this.#logger.info(SKIP_MESSAGES[reason] ?? 'record skipped', { key, reason, ...details });
    this.#metrics.eventSkipped(reason);
    return { status: 'skipped', key, reason };
  }

  #tooLarge(size: number): ImageRejectedError {
    return new ImageRejectedError(
      'too_large',
      `${size} bytes is over the limit of ${this.#config.maxInputBytes} bytes`,
    );
  }

  /** A rejection when the widest thumbnail's key would not fit S3's key limit. */
  #keyTooLong(key: string): ImageRejectedError | undefined {
    const widest = thumbnailKeyFor(key, this.#widestWidth(), this.#config.format);
    if (fitsS3KeyLimit(widest)) return undefined;
    return new ImageRejectedError(
      'key_too_long',
      `the thumbnail key would be ${keyByteLength(widest)} bytes, over S3's ${MAX_S3_KEY_BYTES}-byte key limit`,
    );
  }

  async #reject(
    event: ImageEvent,
    source: SourceReference,
    rejection: ImageRejectedError,
  ): Promise<RecordOutcome> {
    // Thumbnails of an earlier, good upload of this key no longer show what the key holds
    // (a key too long for thumbnails has none to remove).
    const { deleted } =
      rejection.reason === 'key_too_long'
        ? { deleted: [] }
        : await this.#deleteThumbnailsOlderThan(event.key, event.sequencer);
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

  /**
   * Deletes the source's thumbnails — every width and format, so sizes configured in the
   * past go too — except those written for a newer event.
   */
  async #deleteThumbnailsOlderThan(
    sourceKey: string,
    sequencer: string | undefined,
  ): Promise<{ deleted: string[]; kept: string[] }> {
    const bucket = this.#config.thumbnailsBucket;
    const keys = await listThumbnailKeys(this.#s3, bucket, sourceKey);
    const deleted: string[] = [];
    const kept: string[] = [];
    await Promise.all(
      keys.map(async (key) => {
        if (isNewerThan(await storedSequencer(this.#s3, bucket, key), sequencer)) {
          kept.push(key);
          return;
        }
        await this.#s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        deleted.push(key);
      }),
    );
    return { deleted: deleted.sort(), kept: kept.sort() };
  }
}
