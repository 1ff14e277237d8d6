import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { putJsonReport, reportKeyFor } from '#shared/reports.ts';
import type { ThumbnailConfig } from './config.ts';
import { ImageRejectedError, InsufficientTimeError } from './errors.ts';
import { InputBuffers } from './input-buffers.ts';
import { fitsS3KeyLimit, keyByteLength, MAX_S3_KEY_BYTES, thumbnailKeyFor } from './keys.ts';
import {
  listThumbnailKeys,
  putThumbnail,
  sourceExists,
  storedSequencer,
  thumbnailMetadata,
} from './objects.ts';
import {
  type RenderedImage,
  type RenderedThumbnail,
  type ThumbnailListener,
  ThumbnailRenderer,
} from './render.ts';
import type { ImageReport, RecordOutcome, SourceReference, ThumbnailReference } from './report.ts';
import { isNewerThan } from './sequencer.ts';
import { downloadSource } from './source-body.ts';
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

/** Either the source to render (read into memory), or what became of the event without it. */
type SourceCheck =
  | { current: true; body: Buffer; source: SourceReference }
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
    return this.#renderAndPublish(event, checked.source, checked.body, clock);
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
   * Whether the event is still the latest word on its key, with the source read if so.
   * Stale, missing and too-large sources end here (too large from the event: before a byte
   * is downloaded).
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
    // The source is downloaded alongside the staleness check, body and all: the HEAD's round
    // trip overlaps the transfer instead of delaying it. A stale event (rare) stops it. A
    // failed download is marked as handled (see SourceDownload) while the check is in flight.
    const download = tooLarge
      ? undefined
      : downloadSource(this.#s3, event, this.#config.maxInputBytes, this.#inputBuffers);
    let newer: string | undefined;
    try {
      newer = await this.#newerSequencer(key, event.sequencer);
    } catch (error) {
      await download?.stop();
      throw error;
    }
    if (newer !== undefined) {
      await download?.stop();
      return { current: false, outcome: this.#skip('stale', key, { sequencer: event.sequencer, newer }) };
    }
    const downloaded = await download?.result;
    switch (downloaded?.kind) {
      case undefined:
        return {
          current: false,
          outcome: await this.#reject(event, eventSource, this.#tooLarge(event.size ?? 0)),
        };
      case 'read':
        return { current: true, body: downloaded.body, source: downloaded.source };
      case 'too_large':
        return {
          current: false,
          outcome: await this.#reject(event, downloaded.source, this.#tooLarge(downloaded.size)),
        };
      default:
        // 'missing' ('stopped' cannot happen: nothing stopped it).
        return { current: false, outcome: this.#skip('source_missing', key, { eventName: event.eventName }) };
    }
  }

  /**
   * A sequencer of a later event of this key, read from ONE thumbnail: the widest, which
   * #renderAndPublish writes last, after every other width has been written with the same metadata.
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

  /** Renders the source read into `body`; a rejection is returned, not thrown. */
  async #render(
    key: string,
    body: Buffer,
    clock: InvocationClock,
    onThumbnail: ThumbnailListener,
  ): Promise<RenderedImage | ImageRejectedError> {
    try {
      const timeoutMs = clock.remainingTimeMs() - RESERVED_MS_AFTER_RENDER;
      if (timeoutMs < 1_000)
        throw new InsufficientTimeError(`only ${clock.remainingTimeMs()} ms left to render ${key}`);
      return await this.#renderer.render(body, { timeoutSeconds: timeoutMs / 1_000 }, onThumbnail);
    } catch (error) {
      if (error instanceof ImageRejectedError) return error;
      throw error;
    } finally {
      // Every sharp pipeline reading the source has ended: render() awaits them in turn.
      this.#inputBuffers.give(body);
    }
  }

  /**
   * Renders the source and writes its thumbnails, then the "processed" report; or reports a
   * rejection. Each narrower width is written as soon as it is encoded, while wider ones still
   * encode; the widest goes last, once every other width is written (#newerSequencer reads only
   * it: that saves a HEAD per other width); the report goes after the widest, so a report that
   * says "processed" lists thumbnails that exist.
   */
  async #renderAndPublish(
    event: ImageEvent,
    source: SourceReference,
    body: Buffer,
    clock: InvocationClock,
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
    const widest = this.#widestWidth();
    const narrower = new Map<number, Promise<ThumbnailReference>>();
    const startNarrower: ThumbnailListener = (thumbnail) => {
      if (thumbnail.requestedWidth === widest) return;
      const writing = write(thumbnail);
      // Marked as handled now: a failure while wider widths still encode is thrown below.
      writing.catch(() => undefined);
      narrower.set(thumbnail.requestedWidth, writing);
    };
    let rendered: RenderedImage | ImageRejectedError;
    try {
      rendered = await this.#render(key, body, clock, startNarrower);
    } finally {
      // Writes already started end before anything else is done: a rejection's cleanup then
      // finds (and deletes) a width written before the failure, and a transient failure
      // leaves no write running after the invocation.
      if (narrower.size > 0) await Promise.allSettled(narrower.values());
    }
    if (rendered instanceof ImageRejectedError) return this.#reject(event, source, rendered);
    const isWidest = (thumbnail: RenderedThumbnail) => thumbnail.requestedWidth === widest;
    // Every narrower write was started by the listener (and has ended); `?? write` is for the types.
    // Widths are sorted (config.ts), so the report lists them narrowest first.
    const earlier = await Promise.all(
      rendered.thumbnails.filter((t) => !isWidest(t)).map((t) => narrower.get(t.requestedWidth) ?? write(t)),
    );
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
