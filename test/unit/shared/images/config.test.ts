import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseEnvironment } from '#shared/env.ts';
import { thumbnailConfigFrom, thumbnailEnvironmentSchema } from '../../../../shared/images/config.ts';

const buckets = { UPLOADS_BUCKET: 'stockroom-uploads', THUMBNAILS_BUCKET: 'stockroom-thumbnails' };

describe('thumbnail configuration', () => {
  it('defaults to 200 and 400 px WebP at quality 80, SVG blocked', () => {
    // Act
    const config = thumbnailConfigFrom(parseEnvironment(thumbnailEnvironmentSchema, buckets));

    // Assess
    expect(config).toEqual({
      uploadsBucket: 'stockroom-uploads',
      thumbnailsBucket: 'stockroom-thumbnails',
      widths: [200, 400],
      format: 'webp',
      quality: 80,
      maxInputBytes: 52_428_800,
      maxInputPixels: 50_000_000,
      allowSvg: false,
    });
  });

  it('reads every setting, with widths de-duplicated and sorted', () => {
    // Act
    const config = thumbnailConfigFrom(
      parseEnvironment(thumbnailEnvironmentSchema, {
        ...buckets,
        THUMBNAIL_WIDTHS: '800, 120,800',
        THUMBNAIL_FORMAT: 'AVIF',
        THUMBNAIL_QUALITY: '55',
        THUMBNAIL_MAX_INPUT_BYTES: '1000',
        THUMBNAIL_MAX_INPUT_PIXELS: '2000',
        THUMBNAIL_ALLOW_SVG: 'true',
      }),
    );

    // Assess
    expect([
      config.widths,
      config.format,
      config.quality,
      config.maxInputBytes,
      config.maxInputPixels,
    ]).toEqual([[120, 800], 'avif', 55, 1000, 2000]);
    expect(config.allowSvg).toBe(true);
  });

  it('refuses to start when thumbnails would go to the uploads bucket (a loop)', () => {
    // Act
    const parse = () =>
      parseEnvironment(thumbnailEnvironmentSchema, {
        UPLOADS_BUCKET: 'stockroom-uploads',
        THUMBNAILS_BUCKET: 'Stockroom-Uploads',
      });

    // Assess
    expect(parse).toThrow(ConfigurationError);
    expect(parse).toThrow(/THUMBNAILS_BUCKET must differ from UPLOADS_BUCKET/);
  });

  it.each([
    ['a missing bucket', { UPLOADS_BUCKET: 'u' }, /THUMBNAILS_BUCKET/],
    ['an unknown format', { ...buckets, THUMBNAIL_FORMAT: 'gif' }, /THUMBNAIL_FORMAT/],
    ['a zero width', { ...buckets, THUMBNAIL_WIDTHS: '0,200' }, /THUMBNAIL_WIDTHS/],
    ['a huge width', { ...buckets, THUMBNAIL_WIDTHS: '200,5000' }, /THUMBNAIL_WIDTHS/],
    ['quality over 100', { ...buckets, THUMBNAIL_QUALITY: '101' }, /THUMBNAIL_QUALITY/],
    ['a yes/no flag that is neither', { ...buckets, THUMBNAIL_ALLOW_SVG: 'yes' }, /THUMBNAIL_ALLOW_SVG/],
  ])('fails at cold start on %s', (_name, env, problem) => {
    expect(() => parseEnvironment(thumbnailEnvironmentSchema, env)).toThrow(problem);
  });
});
