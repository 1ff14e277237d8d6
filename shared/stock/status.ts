/**
 * The stock rules, in one place: what "out of stock" and "low" mean for a count. The alerts
 * (transitions), the store summaries and the dashboard all ask these functions.
 *
 * Imported counts are whole numbers ≥ 0 (see the row schema); a count below 0 can only come
 * from a hand-edited item and is treated as out of stock rather than as "in".
 */
export type StockStatus = 'in' | 'low' | 'out';

/** Out of stock: nothing left to sell. */
export function isOutOfStock(count: number): boolean {
  return count <= 0;
}

/** Out at 0; low from 1 up to the threshold (inclusive); in stock above it. */
export function stockStatus(count: number, lowStockThreshold: number): StockStatus {
  if (isOutOfStock(count)) return 'out';
  if (count <= lowStockThreshold) return 'low';
  return 'in';
}
