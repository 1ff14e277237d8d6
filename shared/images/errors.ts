/**
 * Why an upload is refused. Permanent: the same bytes would be refused again, so these are
 * reported (a JSON report, a warning, a metric) and the invocation succeeds — no retry.
 */
export const REJECTION_REASONS = [
  'empty',
  'not_an_image',
  'truncated',
  'corrupt',
  'too_many_pixels',
  'too_large',
  'unsupported_format',
  'blocked_format',
  // The key leaves no room for `/<width>.<ext>` under S3's 1,024-byte limit.
  'key_too_long',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** The upload is not an image we will make thumbnails of. */
export class ImageRejectedError extends Error {
  override name = 'ImageRejectedError';
  readonly reason: RejectionReason;
  readonly detectedFormat: string | undefined;

  constructor(
    reason: RejectionReason,
    detail: string,
    options: { detectedFormat?: string | undefined; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.reason = reason;
    this.detectedFormat = options.detectedFormat;
  }
}

/**
 * Too little of the invocation is left to finish safely. Transient: Lambda retries the
 * event, and the retry starts with a whole timeout.
 */
export class InsufficientTimeError extends Error {
  override name = 'InsufficientTimeError';
}

/** sharp gave up at the deadline derived from the invocation's remaining time. Transient. */
export class RenderTimeoutError extends Error {
  override name = 'RenderTimeoutError';
}
