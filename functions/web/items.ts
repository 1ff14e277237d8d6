import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { InventoryItem } from '#shared/inventory/table.ts';
import { stockStatus } from '#shared/stock/status.ts';

export const STATUS_FILTERS = ['all', 'in', 'low', 'out'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];
export const SORT_KEYS = ['item', 'count', 'updated'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortOrder = 'asc' | 'desc';

export interface ItemQuery {
  status: StatusFilter;
  sort: SortKey;
  order: SortOrder;
}

function sortValue(item: InventoryItem, sort: SortKey): string | number {
  switch (sort) {
    case 'count':
      return item.count;
    case 'updated':
      return item.updatedAt ?? '';
    default:
      return item.item;
  }
}

function compareValues(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A position in the total order (sort value, then item name — item names are unique). */
export interface ItemPosition {
  value: string | number;
  item: string;
}

function comparePositions(a: ItemPosition, b: ItemPosition, order: SortOrder): number {
  const primary = compareValues(a.value, b.value);
  const result = primary !== 0 ? primary : compareValues(a.item, b.item);
  return order === 'desc' ? -result : result;
}

export function positionOf(item: InventoryItem, sort: SortKey): ItemPosition {
  return { value: sortValue(item, sort), item: item.item };
}

/** Filters and sorts a store's items in memory: the partition has been read whole. */
export function selectItems(
  items: InventoryItem[],
  query: ItemQuery,
  lowStockThreshold: number,
): InventoryItem[] {
  const wanted =
    query.status === 'all'
      ? items
      : items.filter((item) => stockStatus(item.count, lowStockThreshold) === query.status);
  return [...wanted].sort((a, b) =>
    comparePositions(positionOf(a, query.sort), positionOf(b, query.sort), query.order),
  );
}

export interface NumberedPage<T> {
  entries: T[];
  page: number;
  pageCount: number;
  total: number;
}

/** Page `page` (1-based) of `pageSize`; a page past the end is empty, not an error. */
export function numberedPage<T>(entries: T[], page: number, pageSize: number): NumberedPage<T> {
  const pageCount = Math.max(1, Math.ceil(entries.length / pageSize));
  const start = (page - 1) * pageSize;
  return { entries: entries.slice(start, start + pageSize), page, pageCount, total: entries.length };
}

/** A cursor is bound to the query it was issued for, and says where the last page ended. */
const cursorPayloadSchema = z.object({
  v: z.literal(1),
  q: z.string().max(64),
  k: z.union([z.string().max(4096), z.number().finite()]),
  i: z.string().max(4096),
});

/** Its message says what is wrong with the cursor ("is malformed"), to follow the word `cursor`. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

function queryFingerprint(query: ItemQuery): string {
  return `${query.status}.${query.sort}.${query.order}`;
}

function checksum(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 12);
}

/**
 * An opaque cursor: base64url JSON plus a checksum, so an edited or truncated cursor is
 * rejected (400) rather than silently restarting. It is not a secret: a cursor only ever
 * points into data the caller may read anyway.
 */
export function encodeCursor(position: ItemPosition, query: ItemQuery): string {
  const payload = Buffer.from(
    JSON.stringify({ v: 1, q: queryFingerprint(query), k: position.value, i: position.item }),
  ).toString('base64url');
  return `${payload}.${checksum(payload)}`;
}

export function decodeCursor(cursor: string, query: ItemQuery): ItemPosition {
  const [payload, sum, ...rest] = cursor.split('.');
  if (!payload || !sum || rest.length > 0 || checksum(payload) !== sum) {
    throw new InvalidCursorError('is malformed or was modified');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError('is malformed', { cause: error });
  }
  const result = cursorPayloadSchema.safeParse(parsed);
  if (!result.success) throw new InvalidCursorError('is malformed', { cause: result.error });
  if (result.data.q !== queryFingerprint(query)) {
    throw new InvalidCursorError('belongs to a different filter or sort order');
  }
  const expectsNumber = query.sort === 'count';
  if (expectsNumber !== (typeof result.data.k === 'number')) {
    throw new InvalidCursorError('is malformed');
  }
  return { value: result.data.k, item: result.data.i };
}

export interface CursorPage<T> {
  entries: T[];
  nextCursor: string | null;
}

/** The `limit` entries after `after` in an already-sorted list (keyset pagination). */
export function cursorPage(
  sorted: InventoryItem[],
  query: ItemQuery,
  limit: number,
  after: ItemPosition | undefined,
): CursorPage<InventoryItem> {
  const start = after
    ? sorted.findIndex((item) => comparePositions(positionOf(item, query.sort), after, query.order) > 0)
    : 0;
  const from = start < 0 ? sorted.length : start;
  const entries = sorted.slice(from, from + limit);
  const last = entries.at(-1);
  const hasMore = from + limit < sorted.length;
  return {
    entries,
    nextCursor: hasMore && last ? encodeCursor(positionOf(last, query.sort), query) : null,
  };
}
