import { createHmac } from 'node:crypto';

/** Where the distribution serves the thumbnails bucket (serverless.yml, `/thumbnails/*`). */
export const THUMBNAILS_PATH = '/thumbnails/';

const HOUR_SECONDS = 3600;

/** What is signed: the purpose, the expiry and the key, so a signature fits nothing else. */
export function thumbnailSignatureOf(secret: string, key: string, expires: number): string {
  return createHmac('sha256', secret).update(`thumbnail\n${expires}\n${key}`).digest('base64url');
}

/**
 * A page's link to a thumbnail: `/thumbnails/<key>?expires=<epoch s>&signature=<HMAC>`. The
 * gate at the edge (ThumbnailsGate in serverless.yml; locally the same code) lets it through
 * until `expires`, for this key only, and the bucket answers; the web function signs only the
 * thumbnails of items on a page it shows the user, so a user limited to some stores gets links
 * to no other item's. Links end at the end of the next clock hour: one link stays the same for
 * a whole hour (the browser's cache and the page's ETag see the same URL), and lives one to two
 * hours — a page kept open longer needs a reload for its images.
 */
export function signedThumbnailLink(key: string, secret: string, now: Date): string {
  const expires = (Math.floor(now.getTime() / 1000 / HOUR_SECONDS) + 2) * HOUR_SECONDS;
  const path = key.split('/').map(encodeURIComponent).join('/');
  return `${THUMBNAILS_PATH}${path}?expires=${expires}&signature=${thumbnailSignatureOf(secret, key, expires)}`;
}
