import { z } from 'zod';
import {
  decodeS3EventKey,
  fitsS3KeyLimit,
  IMAGES_PREFIX,
  reportKeyFor,
  thumbnailKeyFor,
} from '#shared/images/keys.ts';
import type { ThumbnailConfig } from './config.ts';
import { normalizeSequencer } from './sequencer.ts';
import type { SkipReason } from './telemetry.ts';

/**
 * One S3 event notification record, as far as this flow reads it.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
const s3RecordSchema = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string(),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

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
  /** Upper-cased hex (see sequencer.ts), when the record carries a valid one. */
  sequencer?: string;
}

export type RecordTriage =
  | { accepted: true; event: ImageEvent }
  | { accepted: false; reason: SkipReason; detail: string; key?: string };

/** The records of an S3 event; anything else (e.g. S3's `s3:TestEvent`) has none. */
export function recordsOf(event: unknown): unknown[] {
  if (typeof event === 'object' && event !== null && 'Records' in event && Array.isArray(event.Records)) {
    return event.Records;
  }
  return [];
}

/**
 * Decides whether a record is one this function must act on. Anything that could make it
 * read its own output, or act on another bucket's objects, is skipped and said so — never
 * retried, never looped.
 */
export function triageS3Record(record: unknown, config: ThumbnailConfig): RecordTriage {
  const parsed = s3RecordSchema.safeParse(record);
  if (!parsed.success) {
    return { accepted: false, reason: 'not_s3', detail: 'not an S3 event notification record' };
  }
  const { eventName, s3 } = parsed.data;
  const kind = eventName.startsWith('ObjectCreated:')
    ? 'created'
    : eventName.startsWith('ObjectRemoved:')
      ? 'removed'
      : undefined;
  if (!kind)
    return { accepted: false, reason: 'unhandled_event', detail: `event ${eventName} is not handled` };

  if (s3.bucket.name !== config.uploadsBucket) {
    return {
      accepted: false,
      reason: 'foreign_bucket',
      detail: `bucket ${s3.bucket.name} is not the uploads bucket ${config.uploadsBucket}`,
    };
  }
  const key = decodeS3EventKey(s3.object.key);
  if (key === undefined) {
    return {
      accepted: false,
      reason: 'undecodable_key',
      detail: `key ${JSON.stringify(s3.object.key)} is not URL-encoded`,
    };
  }
  if (!key.startsWith(IMAGES_PREFIX)) {
    return { accepted: false, reason: 'outside_prefix', detail: `key is not under ${IMAGES_PREFIX}`, key };
  }
  // The console's "Create folder" writes an empty object whose key ends in `/`.
  if (key.endsWith('/')) return { accepted: false, reason: 'folder_marker', detail: 'a folder marker', key };
  const longest = thumbnailKeyFor(key, Math.max(...config.widths), config.format);
  if (!fitsS3KeyLimit(longest) || !fitsS3KeyLimit(reportKeyFor('images', key))) {
    return {
      accepted: false,
      reason: 'key_too_long',
      detail: 'the thumbnail or report key would exceed S3’s 1024-byte key limit',
      key,
    };
  }
  const sequencer = normalizeSequencer(s3.object.sequencer);
  return {
    accepted: true,
    event: {
      kind,
      eventName,
      bucket: s3.bucket.name,
      key,
      ...(s3.object.size !== undefined && { size: s3.object.size }),
      ...(s3.object.eTag && { eTag: s3.object.eTag }),
      ...(s3.object.versionId && { versionId: s3.object.versionId }),
      ...(sequencer && { sequencer }),
    },
  };
}
