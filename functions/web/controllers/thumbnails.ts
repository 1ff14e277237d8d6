import type { S3Client } from '@aws-sdk/client-s3';
import { accessOf } from '../auth/access.ts';
import type { WebConfig } from '../config.ts';
import type { Controller } from '../controllers.ts';
import { ifNoneMatchSatisfied } from '../etag.ts';
import { itemName, parseOrBadRequest, pathParameter, queryOf, thumbnailQuerySchema } from '../params.ts';
import { notFound } from '../problem.ts';
import type { WebReads } from '../reads.ts';
import { findThumbnail, readThumbnail } from '../thumbnails.ts';

/** A thumbnail larger than this is not proxied (Lambda responses are capped at 6 MB). */
export const MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024;
const THUMBNAIL_TYPES = new Set(['image/webp', 'image/jpeg', 'image/png', 'image/avif', 'image/gif']);

/**
 * `GET /items/{item}/thumbnail?w=`: the bytes of the item's thumbnail closest to `w`, from the
 * private thumbnails bucket, so that the CSP stays at `img-src 'self'`. Images belong to items,
 * not stores: a user limited to some stores sees the thumbnail of an item one of them has, and
 * a 404 for any other, as if it had none.
 */
export function createThumbnailController(config: WebConfig, s3: S3Client, reads: WebReads): Controller {
  return async (event) => {
    const item = pathParameter(event, 'item', itemName);
    const { w } = parseOrBadRequest(thumbnailQuerySchema, queryOf(event));
    const { stores } = accessOf(event);
    if (stores && !(await reads.anyStoreHasItem(stores, item)))
      throw notFound(`There is no thumbnail for “${item}”.`);
    const found = await findThumbnail(s3, config.thumbnailsBucket, item, w);
    if (!found || found.size > MAX_THUMBNAIL_BYTES) throw notFound(`There is no thumbnail for “${item}”.`);
    const headers = {
      // Short: a replaced photo shows up within minutes; the ETag makes revalidation cheap.
      'cache-control': 'private, max-age=300',
      ...(found.etag ? { etag: found.etag } : {}),
    };
    // S3's ETag is already a quoted entity tag: it is passed on as it is.
    if (found.etag && ifNoneMatchSatisfied(event.headers?.['if-none-match'], found.etag)) {
      return { statusCode: 304, headers, body: '' };
    }
    const thumbnail = await readThumbnail(s3, config.thumbnailsBucket, found.key);
    const contentType = thumbnail?.contentType?.split(';')[0]?.trim().toLowerCase();
    // Only image types are served from the bucket, whatever an object claims to be.
    if (!thumbnail || !contentType || !THUMBNAIL_TYPES.has(contentType)) {
      throw notFound(`There is no thumbnail for “${item}”.`);
    }
    return {
      statusCode: 200,
      headers: { ...headers, 'content-type': contentType },
      body: Buffer.from(thumbnail.bytes).toString('base64'),
      isBase64Encoded: true,
    };
  };
}
