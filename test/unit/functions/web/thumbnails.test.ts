import { describe, expect, it } from 'vitest';
import { closestThumbnail, parseThumbnailKey } from '../../../../functions/web/thumbnails.ts';

describe('thumbnails', () => {
  it('reads a thumbnail key back into its source and width, and nothing else', () => {
    // Act
    const thumbnail = parseThumbnailKey('images/red shoe.jpg/400.webp');
    const nested = parseThumbnailKey('images/a.jpg/200.webp/200.webp');

    // Assess
    expect(thumbnail).toEqual({
      sourceKey: 'images/red shoe.jpg',
      thumbnail: { key: 'images/red shoe.jpg/400.webp', width: 400 },
    });
    expect(nested?.sourceKey).toBe('images/a.jpg/200.webp');
    for (const other of ['images/a.jpg/notes.txt', 'images/a.jpg/0.webp', 'images/a.jpg/200.gif', 'x']) {
      expect(parseThumbnailKey(other), other).toBeUndefined();
    }
  });

  it('picks the smallest thumbnail at least as wide as asked, else the widest', () => {
    // Prepare
    const thumbnails = [
      { key: 'images/w.jpg/400.webp', width: 400 },
      { key: 'images/w.jpg/200.webp', width: 200 },
    ];

    // Act
    const small = closestThumbnail(thumbnails, 150);
    const exact = closestThumbnail(thumbnails, 200);
    const large = closestThumbnail(thumbnails, 1000);

    // Assess
    expect(small?.width).toBe(200);
    expect(exact?.width).toBe(200);
    expect(large?.width).toBe(400);
    expect(closestThumbnail([], 200)).toBeUndefined();
  });
});
