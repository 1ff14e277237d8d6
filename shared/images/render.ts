import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { ImageRejectedError, RenderTimeoutError } from './errors.ts';
import { OUTPUT_FORMATS, type OutputFormat } from './keys.ts';
import { formatName, type SniffedFormat, sniffImageFormat } from './sniff.ts';

export interface RenderOptions {
  /** Distinct, ascending. */
  widths: readonly number[];
  format: OutputFormat;
  /** 1–100; PNG is lossless and ignores it. */
  quality: number;
  /** sharp's `limitInputPixels`, checked from the header before any pixel is decoded. */
  maxInputPixels: number;
  allowSvg: boolean;
  /**
   * Whether this sharp build decodes HEIC (HEVC). sharp's prebuilt libvips does not (HEVC
   * is patent-encumbered): it decodes AVIF only. Default: asked from sharp itself.
   */
  heicSupported?: boolean;
}

export interface RenderedThumbnail {
  /** The configured width: the key's `<width>`. */
  requestedWidth: number;
  width: number;
  height: number;
  format: OutputFormat;
  contentType: string;
  data: Buffer;
}

export interface RenderedImage {
  /** From the bytes: jpeg, png, gif, webp, tiff, avif, heic or svg. */
  detectedFormat: string;
  /** Upright (after EXIF orientation) size of the source. */
  width: number;
  height: number;
  thumbnails: RenderedThumbnail[];
}

export interface RenderLimits {
  /** sharp gives up after this long (whole seconds; rounded up to 1). Omit for no limit. */
  timeoutSeconds?: number;
}

/**
 * Told of each thumbnail the moment it is encoded, in the order they finish, before render()
 * resolves (and never after it settles): its upload can start while wider ones still encode.
 */
export type ThumbnailListener = (thumbnail: RenderedThumbnail) => void;

/**
 * `failOn: 'error'` — for untrusted uploads. sharp's default, 'warning', refuses many real
 * photos (phones and cameras often write JPEGs with harmless warnings such as extraneous
 * bytes before a marker); 'truncated' alone would accept decoder errors and render garbage.
 * 'error' implies 'truncated': a cut-off upload is refused, not padded with grey.
 * https://sharp.pixelplumbing.com/api-constructor
 */
export const FAIL_ON = 'error' as const;

/** A thumbnail is at most this many times as tall as it is wide (e.g. a 1×50 000 px strip). */
export const MAX_ASPECT_RATIO = 10;
/** WebP's maximum dimension, the smallest of our encoders'. */
const MAX_OUTPUT_DIMENSION = 16_383;

const maxHeightFor = (width: number): number => Math.min(width * MAX_ASPECT_RATIO, MAX_OUTPUT_DIMENSION);

/**
 * sharp's process-wide settings for a function that makes thumbnails of uploads, set once at
 * cold start. libvips' operation cache helps a process that reads the same images again; each
 * upload is new here, so the cache would only hold memory between invocations. libvips'
 * threads per image stay sharp's default (one per core): one thread per image, tried with
 * `npm run bench -- images` (two instances on two cores), made this renderer no faster and
 * sharp's `clone()` pipelines slower.
 */
export function configureSharpForThumbnails(): void {
  sharp.cache(false);
}

const defaultHeicSupport = (): boolean => sharp.format.heif?.input.fileSuffix?.includes('.heic') ?? false;

/**
 * Makes the thumbnails of one image with sharp (libvips). Pure: bytes in, thumbnails out,
 * or an `ImageRejectedError` saying why not. It knows nothing about S3.
 *
 * The image is decoded ONCE: the first pipeline decodes (with shrink-on-load for JPEG and
 * WebP, so a 24 MP photo is decoded at 1/8 scale), turns it upright, converts it to 8-bit
 * sRGB and shrinks it to the largest width; each thumbnail is then encoded from that small
 * raw image. sharp's `clone()` would decode the source once per size.
 */
export class ThumbnailRenderer {
  readonly #options: Required<RenderOptions>;

  constructor(options: RenderOptions) {
    if (options.widths.length === 0) throw new RangeError('at least one thumbnail width is needed');
    this.#options = { ...options, heicSupported: options.heicSupported ?? defaultHeicSupport() };
  }

  async render(
    input: Buffer,
    limits: RenderLimits = {},
    onThumbnail?: ThumbnailListener,
  ): Promise<RenderedImage> {
    const sniffed = sniffImageFormat(input);
    this.#refuseUnwanted(sniffed, input.length);
    const detectedFormat = formatName(sniffed) ?? 'unknown';

    const sourceOptions: SharpOptions = {
      failOn: FAIL_ON,
      limitInputPixels: this.#options.maxInputPixels,
      autoOrient: true,
      // Top-to-bottom decoding: libvips streams strips instead of holding the whole image.
      sequentialRead: true,
    };

    // The header alone, no pixels: its declared size is checked here so that the report
    // can say how big the image claims to be (the decoding pipelines enforce it again).
    const header = await this.#guard(detectedFormat, () =>
      sharp(input, { ...sourceOptions, limitInputPixels: false }).metadata(),
    );
    const pixels = (header.width ?? 0) * (header.pageHeight ?? header.height ?? 0);
    if (pixels > this.#options.maxInputPixels) {
      throw new ImageRejectedError(
        'too_many_pixels',
        `${header.width}×${header.height} is ${pixels} pixels, over the limit of ${this.#options.maxInputPixels}`,
        { detectedFormat },
      );
    }

    const largest = this.#options.widths[this.#options.widths.length - 1] ?? 0;
    const base = await this.#guard(detectedFormat, () =>
      withTimeout(sharp(input, sourceOptions), limits)
        .resize({ width: largest, height: maxHeightFor(largest), fit: 'inside', withoutEnlargement: true })
        // CMYK, 16-bit, greyscale and profiled inputs all become 8-bit sRGB (alpha kept).
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true }),
    );

    const upright = uprightSize(header);
    const encodings = this.#options.widths.map(async (width) => {
      const thumbnail = await this.#guard(detectedFormat, () =>
        this.#encode(
          base.data,
          base.info,
          width,
          width === largest ? undefined : sizeFor(upright, width),
          limits,
        ),
      );
      onThumbnail?.(thumbnail);
      return thumbnail;
    });
    // Every encoding ends before render() settles, so no listener call comes after it.
    const thumbnails: RenderedThumbnail[] = [];
    for (const settled of await Promise.allSettled(encodings)) {
      if (settled.status === 'rejected') throw settled.reason;
      thumbnails.push(settled.value);
    }
    return { detectedFormat, width: upright.width, height: upright.height, thumbnails };
  }

  #refuseUnwanted(sniffed: SniffedFormat, size: number): void {
    switch (sniffed.kind) {
      case 'empty':
        throw new ImageRejectedError('empty', 'the file is empty (0 bytes)');
      case 'unknown':
        throw new ImageRejectedError(
          'not_an_image',
          `the first bytes of this ${size}-byte file match no image format`,
        );
      case 'blocked':
        throw new ImageRejectedError(
          'blocked_format',
          `${sniffed.format} can carry scripts and is never processed`,
          {
            detectedFormat: sniffed.format,
          },
        );
      case 'unsupported':
        throw new ImageRejectedError('unsupported_format', `${sniffed.format} images are not supported`, {
          detectedFormat: sniffed.format,
        });
      case 'svg':
        if (!this.#options.allowSvg) {
          throw new ImageRejectedError(
            'blocked_format',
            'SVG can carry scripts and external references; it is processed only when THUMBNAIL_ALLOW_SVG=true',
            { detectedFormat: 'svg' },
          );
        }
        return;
      case 'raster':
        if (sniffed.format === 'heic' && !this.#options.heicSupported) {
          throw new ImageRejectedError(
            'unsupported_format',
            'HEIC needs an HEVC decoder, which this sharp build does not include; upload JPEG, PNG, WebP or AVIF',
            { detectedFormat: 'heic' },
          );
        }
        return;
    }
  }

  async #encode(
    pixels: Buffer,
    info: sharp.OutputInfo,
    width: number,
    /** Exact output size; undefined to encode the intermediate as it is (the largest width). */
    size: { width: number; height: number } | undefined,
    limits: RenderLimits,
  ): Promise<RenderedThumbnail> {
    let pipeline = withTimeout(
      sharp(pixels, {
        raw: { width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 },
      }),
      limits,
    );
    if (size && (size.width !== info.width || size.height !== info.height)) {
      pipeline = pipeline.resize({ ...size, fit: 'fill' });
    }
    const { format, quality } = this.#options;
    if (!OUTPUT_FORMATS[format].hasAlpha) pipeline = pipeline.flatten({ background: '#ffffff' });
    // No `withMetadata`/`keepMetadata`: sharp writes no EXIF, GPS, XMP or ICC profile.
    switch (format) {
      case 'webp':
        pipeline = pipeline.webp({ quality });
        break;
      case 'jpeg':
        pipeline = pipeline.jpeg({ quality });
        break;
      case 'png':
        pipeline = pipeline.png();
        break;
      case 'avif':
        pipeline = pipeline.avif({ quality });
        break;
    }
    const { data, info: out } = await pipeline.toBuffer({ resolveWithObject: true });
    return {
      requestedWidth: width,
      width: out.width,
      height: out.height,
      format,
      contentType: OUTPUT_FORMATS[format].contentType,
      data,
    };
  }

  /** Runs sharp work, turning its errors about the input into rejections. */
  async #guard<T>(detectedFormat: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw classifySharpError(error, detectedFormat);
    }
  }
}

function withTimeout(pipeline: Sharp, limits: RenderLimits): Sharp {
  if (limits.timeoutSeconds === undefined) return pipeline;
  return pipeline.timeout({ seconds: Math.max(1, Math.ceil(limits.timeoutSeconds)) });
}

/**
 * The size of the `width` thumbnail, computed from the SOURCE's proportions (not from the
 * already-shrunk intermediate, whose rounding would shift a pixel): fit inside
 * width × maxHeightFor(width), never enlarged.
 */
function sizeFor(
  source: { width: number; height: number },
  width: number,
): { width: number; height: number } {
  const scale = Math.min(1, width / source.width, maxHeightFor(width) / source.height);
  return {
    width: Math.max(1, Math.round(source.width * scale)),
    height: Math.max(1, Math.round(source.height * scale)),
  };
}

function uprightSize(header: sharp.Metadata): { width: number; height: number } {
  const width = header.width ?? 0;
  const height = header.pageHeight ?? header.height ?? 0;
  // EXIF orientations 5–8 turn the image a quarter.
  return (header.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height };
}

/**
 * sharp reports bad input as plain `Error`s whose message comes from libvips and its
 * loaders. Messages that speak of the input become rejections; a timeout is transient;
 * anything else (out of memory, a bug of ours) is rethrown as it is, so Lambda retries.
 */
export function classifySharpError(error: unknown, detectedFormat: string): Error {
  if (!(error instanceof Error)) return new Error(String(error), { cause: error });
  const message = error.message;
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const detail = [lines[0], lines.length > 1 ? lines[lines.length - 1] : undefined]
    .filter(Boolean)
    .join(' … ')
    .slice(0, 300);
  if (/^timeout:/i.test(message)) {
    return new RenderTimeoutError(`sharp stopped at the deadline (${lines[0]})`, { cause: error });
  }
  if (/out of memory|bad_alloc|cannot allocate/i.test(message)) return error;
  if (/exceeds pixel limit/i.test(message)) {
    return new ImageRejectedError('too_many_pixels', detail, { detectedFormat, cause: error });
  }
  if (
    /premature end|unexpected end|end of file|truncated|insufficient input data|not enough data/i.test(
      message,
    )
  ) {
    return new ImageRejectedError('truncated', detail, { detectedFormat, cause: error });
  }
  if (
    /corrupt|unsupported image format|read error|invalid|unable to parse|bogus|bad |load(_buffer)?:|heif:|vipsjpeg|tiff|not a /i.test(
      message,
    )
  ) {
    return new ImageRejectedError('corrupt', detail, { detectedFormat, cause: error });
  }
  return error;
}
