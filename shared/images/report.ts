import type { RejectionReason } from './errors.ts';
import type { SkipReason } from './telemetry.ts';

/** The source object a report describes, as it was read (or as its event named it). */
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

/** What became of one image event (the thumbnails function's summary, the rebuild's counts). */
export type RecordOutcome =
  | { status: 'processed'; key: string; thumbnails: string[] }
  | { status: 'rejected'; key: string; reason: RejectionReason }
  | { status: 'removed'; key: string; deleted: string[]; kept: string[] }
  | { status: 'skipped'; key?: string; reason: SkipReason };
