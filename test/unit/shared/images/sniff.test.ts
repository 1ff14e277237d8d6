import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from '../../../../shared/images/sniff.ts';
import { HEIC_HEADER, SVG, solid } from './fixtures.ts';

describe('sniffImageFormat', () => {
  it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)(
    'recognises %s from its bytes',
    async (format) => {
      // Prepare
      const bytes = await solid(8, 8, '#abcdef', format);

      // Act
      const sniffed = sniffImageFormat(bytes);

      // Assess
      expect(sniffed).toEqual({ kind: 'raster', format });
    },
  );

  it.each([
    ['nothing', Buffer.alloc(0), { kind: 'empty' }],
    ['HEIC', HEIC_HEADER, { kind: 'raster', format: 'heic' }],
    ['SVG with an XML prologue', SVG, { kind: 'svg' }],
    [
      'SVG with a BOM and no prologue',
      Buffer.from('\ufeff  <svg xmlns="http://www.w3.org/2000/svg"/>'),
      { kind: 'svg' },
    ],
    ['HTML', Buffer.from('<!doctype html><html><script>alert(1)</script></html>'), { kind: 'unknown' }],
    ['PDF', Buffer.from('%PDF-1.4\n'), { kind: 'blocked', format: 'pdf' }],
    ['PostScript', Buffer.from('%!PS-Adobe-3.0\n'), { kind: 'blocked', format: 'postscript' }],
    ['Photoshop', Buffer.from('8BPS\x00\x01'), { kind: 'unsupported', format: 'psd' }],
    ['JPEG XL', Buffer.from([0xff, 0x0a, 0x00]), { kind: 'unsupported', format: 'jpeg-xl' }],
    ['CSV', Buffer.from('store,item,count\n'), { kind: 'unknown' }],
    ['a JPEG signature cut short', Buffer.from([0xff, 0xd8]), { kind: 'unknown' }],
  ])('classifies %s', (_name, bytes, expected) => {
    expect(sniffImageFormat(bytes)).toEqual(expected);
  });
});
