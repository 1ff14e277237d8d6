import {
  type _Object,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPost } from '@aws-sdk/s3-presigned-post';
import { reportKeyFor } from '#shared/reports.ts';

export { listStoreSummaries } from '#shared/inventory/store-summaries-table.ts';
export { queryStoreItems } from '#shared/inventory/table.ts';

import { type ImportReportEntry, parseImportReport } from './reports.ts';

/**
 * Data access for the web function. Every function takes its client as an argument so the
 * controllers can be tested with fakes; nothing here knows about HTTP.
 */

export const INVENTORY_REPORTS_PREFIX = 'reports/inventory/';

/**
 * A value read at most once per `ttlMs` per container, with concurrent callers sharing one
 * read (single flight). The dashboard uses it for the summaries: they already trail the
 * inventory by the stream's batch window, so a second more costs nothing and spares the
 * table a Scan per page view under load.
 */
export class ShortLivedCache<T> {
  private cached: { at: number; value: T } | undefined;
  private loading: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<T> {
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.value;
    this.loading ??= (async () => {
      const at = this.now();
      try {
        const value = await this.load();
        if (this.ttlMs > 0) this.cached = { at, value };
        return value;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}

async function readReport(
  s3: S3Client,
  bucket: string,
  reportKey: string,
  lastModified?: string,
): Promise<ImportReportEntry | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey }));
    const text = (await object.Body?.transformToString('utf-8')) ?? '';
    return parseImportReport(reportKey, text, lastModified ?? object.LastModified?.toISOString());
  } catch (error) {
    // A report that disappeared between the list and the read (lifecycle expiry) is skipped.
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

/**
 * Reports S3 lists in key order, not by date: up to `maxListPages` pages (1,000 keys each) are
 * listed and the newest `limit` read. Reports expire after the bucket's retention period, which
 * keeps the listing short.
 */
export async function listRecentImportReports(
  s3: S3Client,
  bucket: string,
  limit: number,
  maxListPages = 5,
): Promise<ImportReportEntry[]> {
  const found: { key: string; lastModified: Date }[] = [];
  let continuationToken: string | undefined;
  let pages = 0;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: INVENTORY_REPORTS_PREFIX,
        ContinuationToken: continuationToken,
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key?.endsWith('.json')) {
        found.push({ key: object.Key, lastModified: object.LastModified ?? new Date(0) });
      }
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    pages += 1;
  } while (continuationToken && pages < maxListPages);
  const newest = found.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime()).slice(0, limit);
  const reports = await Promise.all(
    newest.map((entry) => readReport(s3, bucket, entry.key, entry.lastModified.toISOString())),
  );
  return reports.filter((report): report is ImportReportEntry => report !== undefined);
}

/**
 * The report of one source CSV, if there is one yet. It is listed before it is read: the
 * function may list only under `reports/`, and without list permission S3 answers a GET for a
 * missing key with 403 rather than 404
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax).
 */
export async function getImportReport(
  s3: S3Client,
  bucket: string,
  sourceKey: string,
): Promise<ImportReportEntry | undefined> {
  const reportKey = reportKeyFor('inventory', sourceKey);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: reportKey, MaxKeys: 1 }));
  const found = listed.Contents?.find((object) => object.Key === reportKey);
  if (!found) return undefined;
  return readReport(s3, bucket, reportKey, found.LastModified?.toISOString());
}

/**
 * Item images: an item's image is the upload `images/<item>` or `images/<item>.<ext>`; the
 * thumbnails function writes `<source key>/<width>.<ext>` into the thumbnails bucket.
 */
export const IMAGES_PREFIX = 'images/';
const EXTENSION = /\.[A-Za-z0-9]{1,5}$/;

/** The item an image source key belongs to, with and without its extension. */
export function itemNamesForImage(sourceKey: string): { exact: string; withoutExtension?: string } {
  const exact = sourceKey.slice(IMAGES_PREFIX.length);
  const withoutExtension = exact.replace(EXTENSION, '');
  return withoutExtension !== exact && withoutExtension.length > 0 ? { exact, withoutExtension } : { exact };
}

/**
 * Which items have thumbnails: one listing of the thumbnails bucket with a delimiter gives one
 * entry per source image (`images/<name>/`). It is cached per container for `ttlMs`, so a store
 * page costs no S3 request most of the time; a new image shows up within the TTL.
 */
export class ImageIndex {
  private cached: { at: number; images: Map<string, string> } | undefined;
  private loading: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly ttlMs = 30_000,
    private readonly maxListPages = 10,
    private readonly now: () => number = Date.now,
  ) {}

  /** Maps item name → the source image's prefix in the thumbnails bucket. */
  async images(): Promise<Map<string, string>> {
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.images;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<Map<string, string>> {
    const startedAt = this.now();
    const exact = new Map<string, string>();
    const stripped = new Map<string, string>();
    let continuationToken: string | undefined;
    let pages = 0;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: IMAGES_PREFIX,
          Delimiter: '/',
          ContinuationToken: continuationToken,
        }),
      );
      for (const { Prefix: prefix } of page.CommonPrefixes ?? []) {
        if (!prefix) continue;
        const names = itemNamesForImage(prefix.slice(0, -1));
        exact.set(names.exact, prefix);
        // Several images per item (widget.jpg, widget.png): the one listed last wins.
        if (names.withoutExtension) stripped.set(names.withoutExtension, prefix);
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      pages += 1;
    } while (continuationToken && pages < this.maxListPages);
    // An exact name (`images/<item>`) beats one with its extension stripped.
    const images = new Map([...stripped, ...exact]);
    this.cached = { at: startedAt, images };
    return images;
  }
}

export interface ThumbnailObject {
  key: string;
  etag?: string;
  size: number;
  width: number;
}

const THUMBNAIL_NAME = /^(\d{1,5})\.([A-Za-z0-9]{1,5})$/;

/**
 * Finds the thumbnail of an item closest to `width`: the smallest at least as wide, else the
 * widest. Two small listings in parallel — the thumbnails of `images/<item>` itself, and the
 * images `images/<item>.<ext>` (delimited: one entry per image) — then, if only the latter
 * exists, that image's thumbnails. An exact `images/<item>` wins; among extensions the last
 * listed does, as in ImageIndex.
 */
export async function findThumbnail(
  s3: S3Client,
  bucket: string,
  item: string,
  width: number,
): Promise<ThumbnailObject | undefined> {
  const exactPrefix = `${IMAGES_PREFIX}${item}/`;
  const [exact, withExtension] = await Promise.all([
    s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: exactPrefix, MaxKeys: 50 })),
    s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `${IMAGES_PREFIX}${item}.`,
        Delimiter: '/',
        MaxKeys: 100,
      }),
    ),
  ]);
  let thumbnails = thumbnailsIn(exactPrefix, exact.Contents ?? []);
  if (thumbnails.length === 0) {
    const prefix = (withExtension.CommonPrefixes ?? [])
      .map(({ Prefix: candidate }) => candidate)
      .filter((candidate): candidate is string => {
        if (!candidate) return false;
        return itemNamesForImage(candidate.slice(0, -1)).withoutExtension === item;
      })
      .at(-1);
    if (!prefix) return undefined;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 50 }));
    thumbnails = thumbnailsIn(prefix, listed.Contents ?? []);
  }
  thumbnails.sort((a, b) => a.width - b.width);
  return thumbnails.find((thumbnail) => thumbnail.width >= width) ?? thumbnails.at(-1);
}

function thumbnailsIn(prefix: string, objects: _Object[]): ThumbnailObject[] {
  const thumbnails: ThumbnailObject[] = [];
  for (const object of objects) {
    const match = object.Key ? THUMBNAIL_NAME.exec(object.Key.slice(prefix.length)) : null;
    if (!match || !object.Key) continue;
    thumbnails.push({
      key: object.Key,
      size: object.Size ?? 0,
      width: Number(match[1]),
      ...(object.ETag ? { etag: object.ETag } : {}),
    });
  }
  return thumbnails;
}

export interface ThumbnailBytes {
  bytes: Uint8Array;
  contentType: string | undefined;
}

export async function readThumbnail(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<ThumbnailBytes | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    return { bytes, contentType: object.ContentType };
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

export interface UploadPostOptions {
  bucket: string;
  key: string;
  contentType: string;
  maxBytes: number;
  expiresInSeconds: number;
  successRedirect?: string;
  metadata?: Record<string, string>;
}

/**
 * A presigned POST whose policy fixes the key and the Content-Type and bounds the size
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
 * Every field in `Fields` also becomes an exact-match condition.
 */
export async function createUploadPost(s3: S3Client, options: UploadPostOptions): Promise<PresignedPost> {
  const fields: Record<string, string> = { 'Content-Type': options.contentType };
  if (options.successRedirect) fields.success_action_redirect = options.successRedirect;
  for (const [name, value] of Object.entries(options.metadata ?? {})) fields[`x-amz-meta-${name}`] = value;
  return createPresignedPost(s3, {
    Bucket: options.bucket,
    Key: options.key,
    Fields: fields,
    Conditions: [['content-length-range', 1, options.maxBytes]],
    Expires: options.expiresInSeconds,
  });
}
