import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import { ASSETS } from './assets.ts';
import type { WebConfig } from './config.ts';
import {
  createUploadPost,
  findThumbnail,
  getImportReport,
  type ImageIndex,
  listRecentImportReports,
  listStoreSummaries,
  queryStoreItems,
  readThumbnail,
  ShortLivedCache,
} from './data.ts';
import {
  type HttpEvent,
  HttpProblemError,
  type HttpResponse,
  htmlResponse,
  ifNoneMatchSatisfied,
  invalidParameters,
  jsonResponse,
  requestPath,
} from './http.ts';
import {
  cursorPage,
  decodeCursor,
  InvalidCursorError,
  type InventoryItem,
  type ItemPosition,
  numberedPage,
  selectItems,
  stockStatus,
} from './items.ts';
import {
  IMAGE_TYPES,
  importsQuerySchema,
  itemName,
  parseOrBadRequest,
  pathParameter,
  queryOf,
  storeItemsApiQuerySchema,
  storeName,
  storePageQuerySchema,
  thumbnailQuerySchema,
  type UploadRequest,
  uploadRequestSchema,
} from './params.ts';
import { type PageChrome, renderDashboardPage, renderImportsPage, renderStorePage } from './render.ts';

export interface WebDependencies {
  config: WebConfig;
  documentClient: DynamoDBDocumentClient;
  s3: S3Client;
  imageIndex: ImageIndex;
  now?: () => Date;
  /** How long the store summaries are reused per container (ms). Default SUMMARIES_TTL_MS. */
  summariesTtlMs?: number;
}

export type Controller = (event: HttpEvent) => Promise<HttpResponse>;

/** The dashboard's summaries are read at most once a second per container (see ShortLivedCache). */
export const SUMMARIES_TTL_MS = 1000;
/** Rows per page on the store page. */
export const STORE_PAGE_SIZE = 50;
/** Presigned POSTs are short-lived: the browser uses one straight away. */
export const UPLOAD_EXPIRES_SECONDS = 300;
/** Size limits enforced by the POST policy (content-length-range). */
export const MAX_CSV_BYTES = 100 * 1024 * 1024;
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
/** A thumbnail larger than this is not proxied (Lambda responses are capped at 6 MB). */
export const MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024;
const THUMBNAIL_TYPES = new Set(['image/webp', 'image/jpeg', 'image/png', 'image/avif', 'image/gif']);
const MAX_UPLOAD_REQUEST_BYTES = 8 * 1024;

function notFound(detail: string): HttpProblemError {
  return new HttpProblemError(404, 'Not Found', detail);
}

function summaryJson(summary: StoreSummary) {
  return {
    store: summary.store,
    itemCount: summary.itemCount,
    totalUnits: summary.totalUnits,
    outOfStockCount: summary.outOfStockCount,
    lastUpdatedAt: summary.lastUpdatedAt ?? null,
  };
}

function itemJson(item: InventoryItem, lowStockThreshold: number) {
  return {
    item: item.item,
    count: item.count,
    status: stockStatus(item.count, lowStockThreshold),
    updatedAt: item.updatedAt ?? null,
    source: item.source ?? null,
  };
}

/** The upload key of a file just uploaded through a form (S3 redirects back with `?uploaded=`). */
function uploadedKeyOf(event: HttpEvent): string | undefined {
  const value = event.queryStringParameters?.uploaded;
  return value && value.length <= 1024 ? value : undefined;
}

function jwtClaims(event: HttpEvent): Record<string, unknown> | undefined {
  return event.requestContext.authorizer?.jwt?.claims;
}

/** A safe, readable file name for an upload key: letters, digits, dot, dash, underscore. */
export function safeFileName(filename: string): string {
  const base = filename.split(/[\\/]/).at(-1) ?? 'upload.csv';
  const lower = base.toLowerCase();
  const suffix = lower.endsWith('.csv.gz') ? '.csv.gz' : '.csv';
  const stem = base
    .slice(0, base.length - suffix.length)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return `${stem || 'inventory'}${suffix}`;
}

/**
 * The absolute URL S3 redirects the browser to after a form upload. It is only built for a
 * same-origin request (the Origin header names the host the request was sent to), so the
 * API cannot be used to bounce browsers to another site.
 */
function successRedirect(event: HttpEvent, returnTo: string | undefined, key: string): string | undefined {
  const origin = event.headers?.origin;
  const host = event.headers?.host;
  if (!returnTo || !origin || !host) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return undefined;
  }
  if (parsed.host !== host || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return undefined;
  const target = new URL(returnTo, parsed.origin);
  if (target.origin !== parsed.origin) return undefined;
  target.searchParams.set('uploaded', key);
  return target.toString();
}

function readJsonBody(event: HttpEvent): unknown {
  const contentType = event.headers?.['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new HttpProblemError(415, 'Unsupported Media Type', 'Send the upload request as application/json.');
  }
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_UPLOAD_REQUEST_BYTES) {
    throw new HttpProblemError(413, 'Content Too Large', 'The upload request is too large.');
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw invalidParameters([{ parameter: 'body', detail: 'is not valid JSON' }], cause);
  }
}

export function createControllers(dependencies: WebDependencies) {
  const { config, documentClient, s3, imageIndex } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const summaries = new ShortLivedCache(
    () => listStoreSummaries(documentClient, config.storeSummariesTable),
    dependencies.summariesTtlMs ?? SUMMARIES_TTL_MS,
  );
  const chromeFor = (event: HttpEvent): PageChrome => {
    const uploadedKey = uploadedKeyOf(event);
    return {
      uploads: config.authMode === 'jwt' ? 'token' : 'open',
      ...(uploadedKey ? { uploadedKey } : {}),
    };
  };

  async function storeItemsOrNotFound(store: string): Promise<InventoryItem[]> {
    const items = await queryStoreItems(documentClient, config.inventoryTable, store);
    if (items.length === 0) throw notFound(`There is no store named “${store}” with items.`);
    return items;
  }

  const dashboardPage: Controller = async (event) =>
    htmlResponse(renderDashboardPage(await summaries.get(), chromeFor(event)));

  const storePage: Controller = async (event) => {
    const store = pathParameter(event, 'store', storeName);
    const query = parseOrBadRequest(storePageQuerySchema, queryOf(event));
    const [items, images] = await Promise.all([storeItemsOrNotFound(store), imageIndex.images()]);
    const selected = selectItems(items, query, config.lowStockThreshold);
    const page = numberedPage(selected, query.page, STORE_PAGE_SIZE);
    const itemsWithImages = new Set(
      page.entries.map((entry) => entry.item).filter((name) => images.has(name)),
    );
    return htmlResponse(
      renderStorePage(
        {
          store,
          items: page,
          query,
          lowStockThreshold: config.lowStockThreshold,
          itemsWithImages,
          storeItemCount: items.length,
        },
        chromeFor(event),
      ),
    );
  };

  const importsPage: Controller = async (event) => {
    const query = parseOrBadRequest(importsQuerySchema, queryOf(event));
    const entries = query.source
      ? [await getImportReport(s3, config.uploadsBucket, query.source)].filter((entry) => entry !== undefined)
      : await listRecentImportReports(s3, config.uploadsBucket, query.limit);
    return htmlResponse(
      renderImportsPage({ entries, ...(query.source ? { source: query.source } : {}) }, chromeFor(event)),
    );
  };

  const apiStores: Controller = async () =>
    jsonResponse({ stores: (await summaries.get()).map(summaryJson) });

  const apiStoreItems: Controller = async (event) => {
    const store = pathParameter(event, 'store', storeName);
    const query = parseOrBadRequest(storeItemsApiQuerySchema, queryOf(event));
    let after: ItemPosition | undefined;
    if (query.cursor) {
      try {
        after = decodeCursor(query.cursor, query);
      } catch (error) {
        if (error instanceof InvalidCursorError) {
          throw invalidParameters([{ parameter: 'cursor', detail: error.message }], error);
        }
        throw error;
      }
    }
    const items = await storeItemsOrNotFound(store);
    const selected = selectItems(items, query, config.lowStockThreshold);
    const page = cursorPage(selected, query, query.limit, after);
    return jsonResponse({
      store,
      total: selected.length,
      items: page.entries.map((item) => itemJson(item, config.lowStockThreshold)),
      nextCursor: page.nextCursor,
    });
  };

  const apiImports: Controller = async (event) => {
    const query = parseOrBadRequest(importsQuerySchema, queryOf(event));
    const entries = query.source
      ? [await getImportReport(s3, config.uploadsBucket, query.source)].filter((entry) => entry !== undefined)
      : await listRecentImportReports(s3, config.uploadsBucket, query.limit);
    return jsonResponse({ reports: entries });
  };

  function uploadTarget(request: UploadRequest): { key: string; contentType: string; maxBytes: number } {
    if (request.kind === 'inventory') {
      const at = now().toISOString();
      const stamp = `${at.slice(0, 10)}/${at.slice(11, 19).replaceAll(':', '')}-${randomBytes(4).toString('hex')}`;
      const name = safeFileName(request.filename);
      return {
        key: `inventory/${stamp}-${name}`,
        contentType: name.endsWith('.gz') ? 'application/gzip' : 'text/csv',
        maxBytes: MAX_CSV_BYTES,
      };
    }
    return {
      key: `images/${request.item}${IMAGE_TYPES[request.contentType] ?? ''}`,
      contentType: request.contentType,
      maxBytes: MAX_IMAGE_BYTES,
    };
  }

  const apiUploads: Controller = async (event) => {
    const claims = jwtClaims(event);
    // API Gateway's JWT authorizer guards this route on AWS; checking its claims here too
    // means a routing mistake cannot open writes.
    if (config.authMode === 'jwt' && !claims) {
      throw new HttpProblemError(401, 'Unauthorized', 'Sign in to upload files.', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const request = parseOrBadRequest(uploadRequestSchema, readJsonBody(event), 'body');
    const target = uploadTarget(request);
    const redirect = successRedirect(event, request.returnTo, target.key);
    const subject = typeof claims?.sub === 'string' ? claims.sub : undefined;
    const post = await createUploadPost(s3, {
      bucket: config.uploadsBucket,
      key: target.key,
      contentType: target.contentType,
      maxBytes: target.maxBytes,
      expiresInSeconds: UPLOAD_EXPIRES_SECONDS,
      ...(redirect ? { successRedirect: redirect } : {}),
      ...(subject ? { metadata: { 'uploaded-by': subject } } : {}),
    });
    return jsonResponse(
      {
        url: post.url,
        fields: post.fields,
        key: target.key,
        contentType: target.contentType,
        maxBytes: target.maxBytes,
        expiresAt: new Date(now().getTime() + UPLOAD_EXPIRES_SECONDS * 1000).toISOString(),
      },
      200,
      { 'cache-control': 'no-store' },
    );
  };

  const itemThumbnail: Controller = async (event) => {
    const item = pathParameter(event, 'item', itemName);
    const { w } = parseOrBadRequest(thumbnailQuerySchema, queryOf(event));
    const found = await findThumbnail(s3, config.thumbnailsBucket, item, w);
    if (!found || found.size > MAX_THUMBNAIL_BYTES) throw notFound(`There is no thumbnail for “${item}”.`);
    const headers = {
      // Short: a replaced photo shows up within minutes; the ETag makes revalidation cheap.
      'cache-control': 'private, max-age=300',
      ...(found.etag ? { etag: found.etag } : {}),
    };
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

  const asset: Controller = async (event) => {
    const found = ASSETS[requestPath(event)];
    if (!found) throw notFound('There is no such asset.');
    return {
      statusCode: 200,
      headers: {
        'content-type': found.contentType,
        'cache-control': 'public, max-age=300',
        etag: found.etag,
      },
      body: found.body,
    };
  };

  const healthz: Controller = async () => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ status: 'ok' }),
  });

  return {
    dashboardPage,
    storePage,
    importsPage,
    apiStores,
    apiStoreItems,
    apiImports,
    apiUploads,
    itemThumbnail,
    asset,
    healthz,
  };
}

export type Controllers = ReturnType<typeof createControllers>;
