import { describe, expect, it } from 'vitest';
import {
  encodeMetadataValue,
  fitsS3KeyLimit,
  isThumbnailKeyOf,
  reportKeyFor,
  thumbnailKeyFor,
  thumbnailPrefixFor,
} from '../../../../shared/images/keys.ts';

describe('thumbnail key scheme', () => {
  it.each([
    ['images/red shoe.jpg', 200, 'webp', 'images/red shoe.jpg/200.webp'],
    ['images/red shoe.jpg', 400, 'webp', 'images/red shoe.jpg/400.webp'],
    ['images/a+b.png', 200, 'jpeg', 'images/a+b.png/200.jpg'],
    ['images/100%.png', 400, 'png', 'images/100%.png/400.png'],
    ['images/café/Größe 1.avif', 200, 'avif', 'images/café/Größe 1.avif/200.avif'],
  ] as const)('%s at %i as %s → %s', (source, width, format, expected) => {
    // Act
    const key = thumbnailKeyFor(source, width, format);

    // Assess
    expect(key).toBe(expected);
    expect(isThumbnailKeyOf(source, key)).toBe(true);
  });

  it('recognises only direct `<width>.<ext>` children as a source’s thumbnails', () => {
    // Prepare
    const source = 'images/a.jpg';

    // Act
    const verdicts = [
      'images/a.jpg/200.webp',
      'images/a.jpg/1600.avif',
      'images/a.jpg/200.webp/200.webp', // the thumbnails of another source, images/a.jpg/200.webp
      'images/a.jpg/notes.txt',
      'images/a.jpg/0200.webp',
      'images/a.jpg/200.gif',
      'images/a.jpgx/200.webp',
    ].map((key) => isThumbnailKeyOf(source, key));

    // Assess
    expect(verdicts).toEqual([true, true, false, false, false, false, false]);
    expect(thumbnailPrefixFor(source)).toBe('images/a.jpg/');
  });

  it('puts reports beside the source under reports/images/', () => {
    expect(reportKeyFor('images', 'images/red shoe.jpg')).toBe('reports/images/images/red shoe.jpg.json');
  });

  it('measures the 1024-byte key limit in UTF-8 bytes', () => {
    // Prepare: 'é' is two bytes
    const ascii = `images/${'a'.repeat(1017)}`;
    const accented = `images/${'é'.repeat(509)}`;

    // Assess
    expect([ascii.length, fitsS3KeyLimit(ascii), fitsS3KeyLimit(`${ascii}x`)]).toEqual([1024, true, false]);
    expect([accented.length, fitsS3KeyLimit(accented)]).toEqual([516, false]);
  });
});

describe('encodeMetadataValue', () => {
  it('makes any key ASCII, reversibly', () => {
    // Prepare
    const key = 'images/café 商品 100% a+b.jpg';

    // Act
    const encoded = encodeMetadataValue(key);

    // Assess
    expect(/^[\x20-\x7e]*$/.test(encoded)).toBe(true);
    expect(decodeURIComponent(encoded)).toBe(key);
  });
});
