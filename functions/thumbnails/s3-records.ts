import { S3Schema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { decodeS3EventKey } from '#shared/aws/s3-event-keys.ts';
import type { ThumbnailConfig } from '#shared/images/config.ts';
import { IMAGES_PREFIX } from '#shared/images/keys.ts';
import { normalizeSequencer } from '#shared/images/sequencer.ts';
import type { SkipReason } from '#shared/images/telemetry.ts';
import type { ImageEvent } from '#shared/images/thumbnailer.ts';

/**
 * One S3 event notification record, as far as this flow reads it: Powertools' record
 * schema, cut down to the fields used here. The whole schema would also judge fields that
 * do not matter to thumbnails, and refuse real uploads for them: its `sourceIPAddress` must
 * be IPv4, so an upload over S3's dual-stack (IPv6) endpoints would be skipped. Bucket names
 * are never empty and sizes are whole bytes; anything else is not a record S3 sent.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
const powertoolsS3Record = S3Schema.shape.Records.element;
const { bucket, object } = powertoolsS3Record.shape.s3.shape;
const s3RecordSchema = powertoolsS3Record.pick({ eventSource: true, eventName: true }).extend({
  s3: z.object({
    bucket: z.object({ name: bucket.shape.name.min(1) }),
    object: object
      .pick({ key: true, eTag: true, versionId: true, sequencer: true })
      .extend({ size: z.number().int().nonnegative().optional() }),
  }),
});

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

const kindOf = (eventName: string): ImageEvent['kind'] | undefined =>
  eventName.startsWith('ObjectCreated:')
    ? 'created'
    : eventName.startsWith('ObjectRemoved:')
      ? 'removed'
      : undefined;

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
  const kind = kindOf(eventName);
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
  const unfit = unfitKey(key);
  if (unfit) return { accepted: false, ...unfit, key };
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

/** Why a decoded key is not an image to thumbnail, if it is not. */
function unfitKey(key: string): { reason: SkipReason; detail: string } | undefined {
  if (!key.startsWith(IMAGES_PREFIX)) {
    return { reason: 'outside_prefix', detail: `key is not under ${IMAGES_PREFIX}` };
  }
  // The console's "Create folder" writes an empty object whose key ends in `/`.
  if (key.endsWith('/')) return { reason: 'folder_marker', detail: 'a folder marker' };
  // A key too long for its thumbnails is not skipped here: the thumbnailer rejects it with a
  // report, so that no upload goes unexplained.
  return undefined;
}
