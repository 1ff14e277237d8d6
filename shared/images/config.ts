import { z } from 'zod';
import { booleanFlag, positiveIntegerList } from '#shared/env.ts';
import { OUTPUT_FORMATS, type OutputFormat } from './keys.ts';

/**
 * The widest thumbnail we agree to make. Thumbnails are small by nature, and the cap keeps
 * the height bound below (10 × width) inside every encoder's limits (WebP: 16383 px).
 */
export const MAX_THUMBNAIL_WIDTH = 4096;

/**
 * The configuration of the functions that make thumbnails (the thumbnails function, the
 * rebuild's batches), parsed once at cold start by their handlers. The tunables default to
 * the values serverless.yml sets, so a missing bucket name is the only thing that can be
 * forgotten — and that fails the cold start.
 */
export const thumbnailEnvironmentSchema = z
  .object({
    UPLOADS_BUCKET: z.string().trim().min(1),
    THUMBNAILS_BUCKET: z.string().trim().min(1),
    THUMBNAIL_WIDTHS: positiveIntegerList
      .default([200, 400])
      .refine(
        (widths) => widths.every((width) => width <= MAX_THUMBNAIL_WIDTH),
        `every width must be <= ${MAX_THUMBNAIL_WIDTH}`,
      ),
    THUMBNAIL_FORMAT: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(Object.keys(OUTPUT_FORMATS) as [OutputFormat, ...OutputFormat[]]))
      .default('webp'),
    THUMBNAIL_QUALITY: z.coerce.number().int().min(1).max(100).default(80),
    THUMBNAIL_MAX_INPUT_BYTES: z.coerce.number().int().positive().default(52_428_800),
    THUMBNAIL_MAX_INPUT_PIXELS: z.coerce.number().int().positive().default(50_000_000),
    THUMBNAIL_ALLOW_SVG: booleanFlag.default(false),
  })
  // Thumbnails are written under the source's own key (`images/a.jpg/200.webp`). In the
  // uploads bucket that is again under `images/`, so every thumbnail would trigger the
  // function again: an endless, billable loop. Refuse to start instead.
  // https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html (avoid recursive invocations)
  .refine((env) => env.UPLOADS_BUCKET.toLowerCase() !== env.THUMBNAILS_BUCKET.toLowerCase(), {
    message: 'THUMBNAILS_BUCKET must differ from UPLOADS_BUCKET (the function would read its own output)',
    path: ['THUMBNAILS_BUCKET'],
  });

export type ThumbnailEnvironment = z.infer<typeof thumbnailEnvironmentSchema>;

export interface ThumbnailConfig {
  uploadsBucket: string;
  thumbnailsBucket: string;
  /** Distinct, ascending. */
  widths: number[];
  format: OutputFormat;
  quality: number;
  maxInputBytes: number;
  maxInputPixels: number;
  allowSvg: boolean;
}

export function thumbnailConfigFrom(env: ThumbnailEnvironment): ThumbnailConfig {
  return {
    uploadsBucket: env.UPLOADS_BUCKET,
    thumbnailsBucket: env.THUMBNAILS_BUCKET,
    widths: [...new Set(env.THUMBNAIL_WIDTHS)].sort((a, b) => a - b),
    format: env.THUMBNAIL_FORMAT,
    quality: env.THUMBNAIL_QUALITY,
    maxInputBytes: env.THUMBNAIL_MAX_INPUT_BYTES,
    maxInputPixels: env.THUMBNAIL_MAX_INPUT_PIXELS,
    allowSvg: env.THUMBNAIL_ALLOW_SVG,
  };
}
