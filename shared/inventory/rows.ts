import { z } from 'zod';
import { InventoryFileRejectedError } from './errors.ts';
import { DEFAULT_FILE_LIMITS } from './limits.ts';

export const REQUIRED_COLUMNS = ['store', 'item', 'count'] as const;
type Column = (typeof REQUIRED_COLUMNS)[number];

/**
 * DynamoDB's key limits, in UTF-8 bytes: partition key ≤ 2048, sort key ≤ 1024.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys
 */
export const MAX_STORE_BYTES = 2048;
export const MAX_ITEM_BYTES = 1024;

/** Where the required columns are in each record, and which header cells we ignore. */
export interface ColumnLayout {
  indexes: Record<Column, number>;
  width: number;
  ignoredColumns: string[];
}

/**
 * Reads the header row: `store`, `item` and `count` in any order and case, surrounded by any
 * spaces. Other columns are ignored (and named in the report). A missing or repeated
 * required column rejects the file: no row could be read with certainty. So does a header
 * of more than `maxColumns` cells (e.g. a header followed by thousands of commas): every
 * row would be as wide.
 */
export function resolveColumns(
  header: readonly string[],
  maxColumns = DEFAULT_FILE_LIMITS.maxColumns,
): ColumnLayout {
  if (header.length > maxColumns) {
    throw new InventoryFileRejectedError(
      'too_many_columns',
      `the header row has ${header.length} columns; at most ${maxColumns} are accepted (store, item, count and others)`,
    );
  }
  const found = new Map<Column, number[]>();
  const ignoredColumns: string[] = [];
  header.forEach((cell, index) => {
    const name = cell.trim().toLowerCase();
    if ((REQUIRED_COLUMNS as readonly string[]).includes(name)) {
      const column = name as Column;
      found.set(column, [...(found.get(column) ?? []), index]);
    } else {
      ignoredColumns.push(cell.trim());
    }
  });
  const missing = REQUIRED_COLUMNS.filter((column) => !found.has(column));
  if (missing.length > 0) {
    throw new InventoryFileRejectedError(
      'missing_columns',
      `the header row lacks ${missing.map((c) => `"${c}"`).join(', ')}; expected a header naming store, item and count`,
    );
  }
  const repeated = REQUIRED_COLUMNS.filter((column) => (found.get(column)?.length ?? 0) > 1);
  if (repeated.length > 0) {
    throw new InventoryFileRejectedError(
      'duplicate_columns',
      `the header row names ${repeated.map((c) => `"${c}"`).join(', ')} more than once`,
    );
  }
  const indexOf = (column: Column): number => found.get(column)?.[0] ?? -1;
  return {
    indexes: { store: indexOf('store'), item: indexOf('item'), count: indexOf('count') },
    width: header.length,
    ignoredColumns,
  };
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * One inventory row. Cell text is kept as text — `=HYPERLINK(…)` is an item name like any
 * other — trimmed of surrounding spaces. `count` is a whole number written in ASCII digits
 * only: no sign, no decimals, no exponent, nothing beyond 2^53 − 1.
 */
export const inventoryRowSchema = z.object({
  store: z
    .string()
    .trim()
    .min(1, 'store is empty')
    .refine((value) => utf8Bytes(value) <= MAX_STORE_BYTES, `store is longer than ${MAX_STORE_BYTES} bytes`),
  item: z
    .string()
    .trim()
    .min(1, 'item is empty')
    .refine((value) => utf8Bytes(value) <= MAX_ITEM_BYTES, `item is longer than ${MAX_ITEM_BYTES} bytes`),
  count: z
    .string()
    .trim()
    .regex(/^\d+$/, 'count must be a whole number ≥ 0')
    .transform(Number)
    .refine(Number.isSafeInteger, `count is larger than ${Number.MAX_SAFE_INTEGER}`),
});
export type InventoryRow = z.infer<typeof inventoryRowSchema>;

export type RowResult = { ok: true; row: InventoryRow } | { ok: false; reason: string };

/** Validates one record against the header layout; the reason is for a person. */
export function validateInventoryRow(fields: readonly string[], layout: ColumnLayout): RowResult {
  if (fields.length !== layout.width) {
    return {
      ok: false,
      reason: `expected ${layout.width} fields (as in the header), found ${fields.length}`,
    };
  }
  const result = inventoryRowSchema.safeParse({
    store: fields[layout.indexes.store],
    item: fields[layout.indexes.item],
    count: fields[layout.indexes.count],
  });
  if (result.success) return { ok: true, row: result.data };
  const reasons = result.error.issues.map((issue) =>
    issue.path[0] === 'count' && issue.code === 'invalid_format'
      ? `${issue.message} (got ${quoteForReport(fields[layout.indexes.count] ?? '')})`
      : issue.message,
  );
  return { ok: false, reason: reasons.join('; ') };
}

/** Echoes a bad cell in a report, short and on one line. */
function quoteForReport(value: string): string {
  const oneLine = value.replace(/[\r\n\t]+/g, ' ');
  return JSON.stringify(oneLine.length > 40 ? `${oneLine.slice(0, 40)}…` : oneLine);
}
