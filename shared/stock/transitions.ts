import { isOutOfStock } from './status.ts';

export type StockTransition = 'out_of_stock' | 'back_in_stock';

/**
 * An item *becomes* out of stock when it appears out of stock or its count drops to 0 from
 * above; it is back in stock when its count rises from 0. Anything else — 0 → 0 (a
 * re-import), 5 → 3, a change to another attribute, a removal — is no news.
 */
export function classifyStockTransition(
  oldImage: { count: number } | undefined,
  newImage: { count: number } | undefined,
): StockTransition | undefined {
  if (newImage === undefined) return undefined;
  const wasOut = oldImage !== undefined && isOutOfStock(oldImage.count);
  if (isOutOfStock(newImage.count) && !wasOut) return 'out_of_stock';
  if (!isOutOfStock(newImage.count) && wasOut) return 'back_in_stock';
  return undefined;
}
