import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RejectionReason } from './errors.ts';

/** What the thumbnailer logs through: Powertools' Logger in Lambda, a fake in tests. */
export interface ThumbnailLogger {
  debug(message: string, ...attributes: LogAttributes[]): void;
  info(message: string, ...attributes: LogAttributes[]): void;
  warn(message: string, ...attributes: LogAttributes[]): void;
  error(message: string, ...attributes: LogAttributes[]): void;
}

/** Why a record was not acted on (a log and an `EventSkipped` metric, never a retry). */
export type SkipReason =
  | 'not_s3'
  | 'unhandled_event'
  | 'foreign_bucket'
  | 'outside_prefix'
  | 'undecodable_key'
  | 'folder_marker'
  | 'stale'
  | 'source_missing'
  | 'source_exists';

/** The flow's business metrics, named so that a dashboard reads like the domain. */
export interface ThumbnailMetrics {
  imageProcessed(thumbnailCount: number): void;
  imageRejected(reason: RejectionReason): void;
  eventSkipped(reason: SkipReason): void;
  thumbnailsRemoved(count: number): void;
}

/**
 * Powertools Metrics (CloudWatch EMF). Counts without a dimension go with the invocation's
 * flush (`logMetrics` middleware); a count with a `reason` dimension is a single metric,
 * written at once, so each reason is its own series.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/#single-metric
 */
export function powertoolsThumbnailMetrics(metrics: Metrics): ThumbnailMetrics {
  const countWithReason = (name: string, reason: string): void => {
    const single = metrics.singleMetric();
    single.addDimension('reason', reason);
    single.addMetric(name, MetricUnit.Count, 1);
  };
  return {
    imageProcessed(thumbnailCount) {
      metrics.addMetric('ImageProcessed', MetricUnit.Count, 1);
      metrics.addMetric('ThumbnailsWritten', MetricUnit.Count, thumbnailCount);
    },
    imageRejected(reason) {
      metrics.addMetric('ImageRejected', MetricUnit.Count, 1);
      countWithReason('ImageRejected', reason);
    },
    eventSkipped(reason) {
      metrics.addMetric('EventSkipped', MetricUnit.Count, 1);
      countWithReason('EventSkipped', reason);
    },
    thumbnailsRemoved(count) {
      metrics.addMetric('ThumbnailsRemoved', MetricUnit.Count, count);
    },
  };
}
