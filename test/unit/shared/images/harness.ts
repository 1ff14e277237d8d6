import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { ThumbnailConfig } from '../../../../shared/images/config.ts';
import type { RejectionReason } from '../../../../shared/images/errors.ts';
import type { ThumbnailRenderer } from '../../../../shared/images/render.ts';
import type { SkipReason, ThumbnailLogger, ThumbnailMetrics } from '../../../../shared/images/telemetry.ts';
import { ImageThumbnailer, type InvocationClock } from '../../../../shared/images/thumbnailer.ts';
import { FakeS3 } from './fake-s3.ts';

/** An ImageThumbnailer on a FakeS3, with its logs and metrics recorded. */

export const UPLOADS = 'stockroom-test-uploads';
export const THUMBS = 'stockroom-test-thumbnails';
export const AT = new Date('2025-01-02T03:04:05.000Z');

export const baseConfig: ThumbnailConfig = {
  uploadsBucket: UPLOADS,
  thumbnailsBucket: THUMBS,
  widths: [200, 400],
  format: 'webp',
  quality: 80,
  maxInputBytes: 1_000_000,
  maxInputPixels: 50_000_000,
  allowSvg: false,
};

export const plenty: InvocationClock = { remainingTimeMs: () => 55_000 };

export interface Harness {
  s3: FakeS3;
  config: ThumbnailConfig;
  thumbnailer: ImageThumbnailer;
  logger: ThumbnailLogger;
  metrics: ThumbnailMetrics;
  logs: { level: string; message: string; attributes: Record<string, unknown> }[];
  rejected: RejectionReason[];
  skipped: SkipReason[];
  processed: number[];
  removed: number[];
}

export function harness(
  config: Partial<ThumbnailConfig> = {},
  s3 = new FakeS3({ versioned: true }),
  renderer?: ThumbnailRenderer,
): Harness {
  const logs: Harness['logs'] = [];
  const log =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]): void => {
      logs.push({ level, message, attributes: Object.assign({}, ...attributes) });
    };
  const logger: ThumbnailLogger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
  const rejected: RejectionReason[] = [];
  const skipped: SkipReason[] = [];
  const processed: number[] = [];
  const removed: number[] = [];
  const metrics: ThumbnailMetrics = {
    imageProcessed: (count) => processed.push(count),
    imageRejected: (reason) => rejected.push(reason),
    eventSkipped: (reason) => skipped.push(reason),
    thumbnailsRemoved: (count) => removed.push(count),
  };
  const merged = { ...baseConfig, ...config };
  const thumbnailer = new ImageThumbnailer({
    s3: s3.client,
    config: merged,
    logger,
    metrics,
    now: () => AT,
    ...(renderer && { renderer }),
  });
  return { s3, config: merged, thumbnailer, logger, metrics, logs, rejected, skipped, processed, removed };
}

/** Uploads a source, then forgets the calls that made it. */
export async function upload(h: Harness, key: string, body: Buffer | string) {
  const put = await h.s3.client.send(new PutObjectCommand({ Bucket: UPLOADS, Key: key, Body: body }));
  h.s3.calls.length = 0;
  return put;
}

export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (error: unknown) => error,
  );
}
