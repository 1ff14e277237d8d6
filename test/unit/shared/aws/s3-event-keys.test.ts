import { describe, expect, it } from 'vitest';
import { decodeS3EventKey } from '../../../../shared/aws/s3-event-keys.ts';

describe('decodeS3EventKey', () => {
  it.each([
    ['images/red+shoe.jpg', 'images/red shoe.jpg'],
    ['images/a%2Bb.png', 'images/a+b.png'],
    ['images/100%25.png', 'images/100%.png'],
    ['images/caf%C3%A9/Gr%C3%B6%C3%9Fe+1.jpg', 'images/café/Größe 1.jpg'],
    ['images/%E5%95%86%E5%93%81.webp', 'images/商品.webp'],
  ])('%s → %s', (encoded, decoded) => {
    expect(decodeS3EventKey(encoded)).toBe(decoded);
  });

  it('refuses a key that is not valid percent-encoding', () => {
    expect(decodeS3EventKey('images/100%.png')).toBeUndefined();
  });
});
