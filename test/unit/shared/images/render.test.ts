import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageRejectedError, RenderTimeoutError } from '../../../../shared/images/errors.ts';
import {
  classifySharpError,
  type RenderOptions,
  ThumbnailRenderer,
} from '../../../../shared/images/render.ts';
import {
  animatedGif,
  cmykJpeg,
  HEIC_HEADER,
  jpegWithPrivateMetadata,
  leftRightColours,
  noisyJpeg,
  orientedJpeg,
  pngBomb,
  SVG,
  sixteenBitPng,
  solid,
  translucentPng,
  truncatedJpeg,
} from './fixtures.ts';

const defaults: RenderOptions = {
  widths: [200, 400],
  format: 'webp',
  quality: 80,
  maxInputPixels: 50_000_000,
  allowSvg: false,
};

const renderer = (options: Partial<RenderOptions> = {}): ThumbnailRenderer =>
  new ThumbnailRenderer({ ...defaults, ...options });

async function rejectionOf(promise: Promise<unknown>): Promise<ImageRejectedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageRejectedError);
  return error as ImageRejectedError;
}

describe('ThumbnailRenderer: output', () => {
  it('makes every configured width from a large photo, as WebP by default', async () => {
    // Prepare
    const photo = await noisyJpeg(1200, 800);

    // Act
    const result = await renderer().render(photo);

    // Assess
    expect(result.detectedFormat).toBe('jpeg');
    expect({ width: result.width, height: result.height }).toEqual({ width: 1200, height: 800 });
    expect(result.thumbnails.map((t) => [t.requestedWidth, t.width, t.height, t.contentType])).toEqual([
      [200, 200, 133, 'image/webp'],
      [400, 400, 267, 'image/webp'],
    ]);
    for (const thumbnail of result.thumbnails) {
      const meta = await sharp(thumbnail.data).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', thumbnail.width, thumbnail.height]);
    }
  });

  it('hands each thumbnail to a listener as it is encoded, all before it resolves', async () => {
    // Prepare
    const photo = await noisyJpeg(1200, 800);
    const heard: number[] = [];

    // Act
    const rendering = renderer({ widths: [100, 200, 400] }).render(photo, {}, (thumbnail) => {
      heard.push(thumbnail.requestedWidth);
    });
    const result = await rendering;
    const heardWhenResolved = [...heard];

    // Assess
    expect(heardWhenResolved.sort((a, b) => a - b)).toEqual([100, 200, 400]);
    expect(result.thumbnails.map((t) => t.requestedWidth)).toEqual([100, 200, 400]);
  });

  it('never upscales: a small image keeps its size at every width', async () => {
    // Prepare
    const small = await solid(150, 90, '#808080', 'png');

    // Act
    const result = await renderer().render(small);

    // Assess
    expect(result.thumbnails.map((t) => [t.width, t.height])).toEqual([
      [150, 90],
      [150, 90],
    ]);
  });

  it('turns the image upright from its EXIF orientation', async () => {
    // Prepare: stored 20×30, red on top, orientation 6
    const oriented = await orientedJpeg();

    // Act
    const result = await renderer({ widths: [200] }).render(oriented);

    // Assess: upright 30×20, so the red top is now on the right
    const [thumbnail] = result.thumbnails;
    expect([thumbnail?.width, thumbnail?.height]).toEqual([30, 20]);
    expect([result.width, result.height]).toEqual([30, 20]);
    const { left, right } = await leftRightColours(thumbnail?.data ?? Buffer.alloc(0));
    expect(right[0]).toBeGreaterThan(200);
    expect(left[2]).toBeGreaterThan(200);
    expect((await sharp(thumbnail?.data).metadata()).orientation).toBeUndefined();
  });

  it('strips EXIF, GPS, XMP and ICC metadata', async () => {
    // Prepare
    const source = await jpegWithPrivateMetadata();
    const sourceMeta = await sharp(source).metadata();
    expect([Boolean(sourceMeta.exif), Boolean(sourceMeta.icc)]).toEqual([true, true]);

    for (const format of ['webp', 'jpeg', 'png', 'avif'] as const) {
      // Act
      const result = await renderer({ format, widths: [200] }).render(source);

      // Assess
      const meta = await sharp(result.thumbnails[0]?.data).metadata();
      expect({ format, exif: meta.exif, icc: meta.icc, xmp: meta.xmp }).toEqual({
        format,
        exif: undefined,
        icc: undefined,
        xmp: undefined,
      });
    }
  });

  it('keeps alpha in WebP, PNG and AVIF, and flattens onto white in JPEG', async () => {
    // Prepare
    const source = await translucentPng();

    // Act
    const webp = await renderer({ format: 'webp' }).render(source);
    const png = await renderer({ format: 'png' }).render(source);
    const avif = await renderer({ format: 'avif' }).render(source);
    const jpeg = await renderer({ format: 'jpeg' }).render(source);

    // Assess
    for (const result of [webp, png, avif]) {
      expect((await sharp(result.thumbnails[0]?.data).metadata()).hasAlpha).toBe(true);
    }
    const jpegThumbnail = jpeg.thumbnails[0];
    expect(jpegThumbnail?.contentType).toBe('image/jpeg');
    const { data } = await sharp(jpegThumbnail?.data).raw().toBuffer({ resolveWithObject: true });
    // Half-transparent pure green over white is light green, not dark green over black.
    expect(data[0]).toBeGreaterThan(100);
    expect(data[1]).toBeGreaterThan(200);
    expect(data[2]).toBeGreaterThan(100);
  });

  it('turns CMYK and 16-bit inputs into 8-bit sRGB', async () => {
    for (const source of [await cmykJpeg(), await sixteenBitPng()]) {
      // Act
      const result = await renderer({ format: 'png' }).render(source);

      // Assess
      const meta = await sharp(result.thumbnails[0]?.data).metadata();
      expect([meta.space, meta.depth, meta.channels]).toEqual(['srgb', 'uchar', 3]);
    }
  });

  it('reads a GIF’s first frame, and TIFF and AVIF inputs', async () => {
    // Prepare
    const gif = await animatedGif();
    const tiff = await solid(30, 20, '#00ff00', 'tiff');
    const avif = await solid(30, 20, '#00ff00', 'avif');

    // Act
    const fromGif = await renderer({ widths: [200] }).render(gif);
    const fromTiff = await renderer({ widths: [200] }).render(tiff);
    const fromAvif = await renderer({ widths: [200] }).render(avif);

    // Assess
    expect([fromGif.detectedFormat, fromGif.thumbnails[0]?.width, fromGif.thumbnails[0]?.height]).toEqual([
      'gif',
      10,
      10,
    ]);
    const firstFrame = await leftRightColours(fromGif.thumbnails[0]?.data ?? Buffer.alloc(0));
    expect(firstFrame.left[0]).toBeGreaterThan(200);
    expect(firstFrame.left[2]).toBeLessThan(60);
    expect([fromTiff.detectedFormat, fromTiff.thumbnails[0]?.width]).toEqual(['tiff', 30]);
    expect([fromAvif.detectedFormat, fromAvif.thumbnails[0]?.width]).toEqual(['avif', 30]);
  });

  it('produces identical bytes for the same input (duplicate events change nothing)', async () => {
    // Prepare
    const photo = await noisyJpeg(640, 480);

    for (const format of ['webp', 'jpeg', 'png', 'avif'] as const) {
      // Act
      const first = await renderer({ format }).render(photo);
      const second = await renderer({ format }).render(photo);

      // Assess
      expect(second.thumbnails.map((t) => t.data.toString('base64'))).toEqual(
        first.thumbnails.map((t) => t.data.toString('base64')),
      );
    }
  });

  it('bounds the height of very tall images to ten times the width', async () => {
    // Prepare: a 10 × 5000 strip
    const strip = await solid(10, 5000, '#123456', 'png');

    // Act
    const result = await renderer({ widths: [200] }).render(strip);

    // Assess
    expect(result.thumbnails[0]?.height).toBe(2000);
    expect(result.thumbnails[0]?.width).toBe(4);
  });

  it('renders an SVG only when allowed', async () => {
    // Act
    const result = await renderer({ allowSvg: true, format: 'png' }).render(SVG);

    // Assess
    expect([result.detectedFormat, result.thumbnails[0]?.width, result.thumbnails[0]?.height]).toEqual([
      'svg',
      40,
      20,
    ]);
  });
});

describe('ThumbnailRenderer: rejections', () => {
  it.each([
    ['empty', () => Buffer.alloc(0), 'empty', undefined],
    ['a text file', () => Buffer.from('store,item,count\nS1,shoe,4\n'), 'not_an_image', undefined],
    ['a truncated JPEG', truncatedJpeg, 'truncated', 'jpeg'],
    ['an SVG (blocked by default)', () => SVG, 'blocked_format', 'svg'],
    [
      'a PDF',
      () => Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /JavaScript (app.alert(1)) >>\n'),
      'blocked_format',
      'pdf',
    ],
    ['an HEIC photo (no HEVC decoder)', () => HEIC_HEADER, 'unsupported_format', 'heic'],
    ['a BMP', () => Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]), 'unsupported_format', 'bmp'],
    ['a PNG bomb declaring 10 gigapixels', () => pngBomb(), 'too_many_pixels', 'png'],
  ] as const)('rejects %s', async (_name, make, reason, detectedFormat) => {
    // Prepare
    const input = await make();

    // Act
    const rejection = await rejectionOf(renderer({ heicSupported: false }).render(input));

    // Assess
    expect([rejection.reason, rejection.detectedFormat]).toEqual([reason, detectedFormat]);
    expect(rejection.message.length).toBeGreaterThan(0);
  });

  it('rejects an image over the pixel limit from its header, before decoding', async () => {
    // Prepare: 300×300 = 90 000 pixels against a 10 000 limit
    const image = await solid(300, 300, '#ff00ff', 'png');

    // Act
    const rejection = await rejectionOf(renderer({ maxInputPixels: 10_000 }).render(image));

    // Assess
    expect(rejection.reason).toBe('too_many_pixels');
    expect(rejection.message).toContain('90000');
  });

  it('rejects a PNG whose pixel data is corrupt', async () => {
    // Prepare
    const png = await sharp({
      create: {
        width: 64,
        height: 64,
        channels: 3,
        background: '#000000',
        noise: { type: 'gaussian', mean: 128, sigma: 50 },
      },
    })
      .png()
      .toBuffer();
    const damaged = Buffer.from(png);
    for (let i = 200; i < damaged.length - 20; i += 5) damaged[i] = (damaged[i] ?? 0) ^ 0x5a;

    // Act
    const rejection = await rejectionOf(renderer().render(damaged));

    // Assess
    expect(['corrupt', 'truncated']).toContain(rejection.reason);
  });
});

describe('classifySharpError', () => {
  it('treats a timeout as transient and unknown errors as unexpected', () => {
    // Act
    const timeout = classifySharpError(new Error('timeout: 67% complete'), 'png');
    const memory = new Error('vips_tracked: out of memory');
    const unknown = new Error('something else entirely');

    // Assess
    expect(timeout).toBeInstanceOf(RenderTimeoutError);
    expect(classifySharpError(memory, 'png')).toBe(memory);
    expect(classifySharpError(unknown, 'png')).toBe(unknown);
  });

  it('names the truncation of a HEIF container', () => {
    // Act
    const error = classifySharpError(
      new Error(
        'Input buffer has corrupt header: source: bad seek to 1024\nheif: Invalid input: Unspecified: Insufficient input data (2.0)',
      ),
      'avif',
    );

    // Assess
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect((error as ImageRejectedError).reason).toBe('truncated');
    expect(error.message).not.toContain('\n');
  });
});
