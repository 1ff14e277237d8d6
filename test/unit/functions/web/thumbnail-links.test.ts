import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedThumbnailLink } from '../../../../functions/web/thumbnail-links.ts';

const SECRET = 'edge-secret-0123456789abcdef0123456789';

function partsOf(link: string) {
  const url = new URL(link, 'https://dashboard.test');
  return {
    path: url.pathname,
    expires: Number(url.searchParams.get('expires')),
    signature: url.searchParams.get('signature'),
  };
}

describe('signed thumbnail links', () => {
  it('link /thumbnails/<key> with an expiry and an HMAC-SHA256 of purpose, expiry and key', () => {
    // Act
    const link = signedThumbnailLink('images/widget.png/200.webp', SECRET, new Date('2025-01-01T10:20:00Z'));
    const { path, expires, signature } = partsOf(link);

    // Assess
    expect(path).toBe('/thumbnails/images/widget.png/200.webp');
    expect(expires).toBe(Date.parse('2025-01-01T12:00:00Z') / 1000);
    expect(signature).toBe(
      createHmac('sha256', SECRET)
        .update(`thumbnail\n${expires}\nimages/widget.png/200.webp`)
        .digest('base64url'),
    );
  });

  it('stay the same for a clock hour and live one to two hours', () => {
    // Act
    const at = (time: string) => signedThumbnailLink('images/a/200.webp', SECRET, new Date(time));
    const early = at('2025-01-01T10:00:00Z');
    const late = at('2025-01-01T10:59:59Z');
    const next = at('2025-01-01T11:00:00Z');

    // Assess
    expect(late).toBe(early);
    expect(next).not.toBe(early);
    expect(partsOf(early).expires - Date.parse('2025-01-01T10:00:00Z') / 1000).toBe(7200);
    expect(partsOf(late).expires - Date.parse('2025-01-01T10:59:59Z') / 1000).toBe(3601);
  });

  it('encode each segment of the key, and sign the key itself', () => {
    // Prepare
    const key = 'images/tag 10%25 off ü?#.png/200.webp';

    // Act
    const link = signedThumbnailLink(key, SECRET, new Date(0));
    const { path, expires, signature } = partsOf(link);

    // Assess
    expect(link).toMatch(
      /^\/thumbnails\/images\/tag%2010%2525%20off%20%C3%BC%3F%23\.png\/200\.webp\?expires=\d+&signature=[\w-]+$/,
    );
    expect(decodeURIComponent(path.slice('/thumbnails/'.length))).toBe(key);
    expect(signature).toBe(
      createHmac('sha256', SECRET).update(`thumbnail\n${expires}\n${key}`).digest('base64url'),
    );
  });

  it('differ with the secret', () => {
    // Act
    const one = signedThumbnailLink('images/a/200.webp', SECRET, new Date(0));
    const other = signedThumbnailLink('images/a/200.webp', `${SECRET}x`, new Date(0));

    // Assess
    expect(partsOf(one).signature).not.toBe(partsOf(other).signature);
  });
});
