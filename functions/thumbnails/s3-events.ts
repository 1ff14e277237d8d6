import type { ThumbnailConfig } from '#shared/images/config.ts';
import type { RecordOutcome } from '#shared/images/report.ts';
import type { ThumbnailLogger, ThumbnailMetrics } from '#shared/images/telemetry.ts';
import type { ImageThumbnailer, InvocationClock } from '#shared/images/thumbnailer.ts';
import { recordsOf, triageS3Record } from './s3-records.ts';

export interface EventSummary {
  records: RecordOutcome[];
}

/**
 * One or more records of an S3 event failed transiently. Thrown after every other record
 * was handled, so that Lambda retries the event (the records that succeeded are redone,
 * with identical results).
 */
export class ThumbnailRecordsFailedError extends Error {
  override name = 'ThumbnailRecordsFailedError';
  readonly failures: { key: string; error: unknown }[];

  constructor(failures: { key: string; error: unknown }[]) {
    super(
      `${failures.length} record(s) failed and will be retried: ${failures.map((failure) => failure.key).join(', ')}`,
      { cause: failures[0]?.error },
    );
    this.failures = failures;
  }
}

export interface S3EventFlow {
  thumbnailer: ImageThumbnailer;
  config: ThumbnailConfig;
  logger: ThumbnailLogger;
  metrics: ThumbnailMetrics;
}

/**
 * Handles every record of an S3 event notification, one after the other (one image's
 * memory at a time). A record's rejection does not touch the others; transient failures
 * are collected and rethrown together at the end. Lambda then retries the WHOLE event:
 * records that succeeded are done again, which costs time but changes nothing (the output
 * is deterministic).
 */
export async function handleS3Event(
  event: unknown,
  clock: InvocationClock,
  flow: S3EventFlow,
): Promise<EventSummary> {
  const { thumbnailer, config, logger, metrics } = flow;
  const records = recordsOf(event);
  if (records.length === 0) logger.info('event without S3 records ignored');
  const outcomes: RecordOutcome[] = [];
  const failures: { key: string; error: unknown }[] = [];
  for (const record of records) {
    const triage = triageS3Record(record, config);
    if (!triage.accepted) {
      logger.warn('record skipped', { reason: triage.reason, detail: triage.detail, key: triage.key });
      metrics.eventSkipped(triage.reason);
      outcomes.push({ status: 'skipped', reason: triage.reason, ...(triage.key && { key: triage.key }) });
      continue;
    }
    const imageEvent = triage.event;
    try {
      outcomes.push(
        imageEvent.kind === 'created'
          ? await thumbnailer.createThumbnails(imageEvent, clock)
          : await thumbnailer.removeThumbnails(imageEvent, clock),
      );
    } catch (error) {
      logger.error('record failed; the event will be retried', {
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
