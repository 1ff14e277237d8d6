import type { S3Client } from '@aws-sdk/client-s3';
import { deleteImportProgress, type ImportProgress, putImportProgress } from '#shared/inventory/progress.ts';
import type { ImportSource } from '#shared/inventory/report.ts';
import { progressKeyFor } from '#shared/reports.ts';

/** At most one progress PUT per this interval: ~1 PUT per 2 s of import. */
export const PROGRESS_INTERVAL_MS = 2_000;

/** What an import knows when it starts: its object, read once (ETag, size). */
export interface ProgressStart {
  source: ImportSource;
  startedAt: string;
  /** The object's ContentLength. */
  totalBytes: number;
}

/** A progress write that failed: logged, never a reason to fail the import. */
export interface ProgressFailure {
  action: 'put' | 'delete';
  progressKey: string;
  error: unknown;
}

/** What the import tells of its progress (import-object.ts); ProgressWriter is the one in use. */
export interface ImportProgressSink {
  /** Writes the first progress object (0 rows) without waiting for it. */
  start(): void;
  /**
   * `source` as it is read. Counted (the writing pass), its bytes are `bytesRead`; uncounted
   * (the check pass), it only keeps the object fresh, so a long check is not taken for a stall.
   */
  meter(source: AsyncIterable<Uint8Array>, counted: boolean): AsyncIterable<Uint8Array>;
  /** The data rows parsed so far by the writing pass. */
  rowsParsed(rows: number): void;
  /** No more PUTs; resolves once the one in flight, if any, has ended. Call before the report. */
  settle(): Promise<void>;
  /** Settles, then deletes the object if one was written. Call after the report. */
  remove(): Promise<void>;
}

export interface ProgressWriterOptions extends ProgressStart {
  s3: S3Client;
  uploadsBucket: string;
  intervalMs?: number;
  now?: () => Date;
  onFailure?: (failure: ProgressFailure) => void;
}

/**
 * Writes a running import's progress object (#shared/inventory/progress.ts) off the hot path:
 * a PUT is sent, never awaited, when the interval has passed and none is in flight, with the
 * newest figures at that moment; figures that arrive meanwhile go with the next one. So there
 * is at most one PUT in flight and one per interval, whatever the row rate, and a slow or
 * failing S3 slows nothing. The report is never overtaken: `settle` waits for the PUT in
 * flight and stops all others, and `remove` deletes only after that.
 */
export class ProgressWriter implements ImportProgressSink {
  readonly #options: ProgressWriterOptions;
  readonly #intervalMs: number;
  readonly #now: () => Date;
  #rowsSoFar = 0;
  #bytesRead = 0;
  #writingSince: string | undefined;
  #lastPutAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #settled = false;
  #written = false;
  #removed = false;

  constructor(options: ProgressWriterOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? PROGRESS_INTERVAL_MS;
    this.#now = options.now ?? (() => new Date());
  }

  start(): void {
    this.#putIfDue();
  }

  meter(source: AsyncIterable<Uint8Array>, counted: boolean): AsyncIterable<Uint8Array> {
    const writer = this;
    return (async function* metered() {
      for await (const chunk of source) {
        if (counted) {
          writer.#writingSince ??= writer.#now().toISOString();
          writer.#bytesRead += chunk.length;
        }
        writer.#putIfDue();
        yield chunk;
      }
    })();
  }

  rowsParsed(rows: number): void {
    this.#rowsSoFar = rows;
    this.#putIfDue();
  }

  async settle(): Promise<void> {
    this.#settled = true;
    await this.#inFlight;
  }

  async remove(): Promise<void> {
    await this.settle();
    if (!this.#written || this.#removed) return;
    this.#removed = true;
    const { s3, uploadsBucket, source } = this.#options;
    try {
      await deleteImportProgress(s3, uploadsBucket, source.key);
    } catch (error) {
      this.#failed('delete', error);
    }
  }

  #putIfDue(): void {
    if (this.#settled || this.#inFlight) return;
    const now = this.#now();
    if (now.getTime() - this.#lastPutAt < this.#intervalMs) return;
    this.#lastPutAt = now.getTime();
    this.#written = true;
    const { s3, uploadsBucket, source, startedAt, totalBytes } = this.#options;
    const progress: ImportProgress = {
      source,
      startedAt,
      updatedAt: now.toISOString(),
      ...(this.#writingSince === undefined ? {} : { writingSince: this.#writingSince }),
      rowsSoFar: this.#rowsSoFar,
      bytesRead: this.#bytesRead,
      totalBytes,
    };
    this.#inFlight = putImportProgress(s3, uploadsBucket, progress)
      .catch((error: unknown) => this.#failed('put', error))
      .finally(() => {
        this.#inFlight = undefined;
      });
  }

  #failed(action: ProgressFailure['action'], error: unknown): void {
    try {
      this.#options.onFailure?.({ action, progressKey: progressKeyFor(this.#options.source.key), error });
    } catch {
      // A failing logger must not fail the import either.
    }
  }
}
