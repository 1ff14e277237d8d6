export type StockTransition = 'out_of_stock' | 'back_in_stock';

/**
 * An item *becomes* out of stock when it appears with count 0 or its count drops from
 * above 0 to 0; it is back in stock when its count rises from 0. Anything else — 0 → 0
 * (a re-import), 5 → 3, a change to another attribute, a removal — is no news.
 */
export function classifyStockTransition(
  oldImage: { count: number } | undefined,
  newImage: { count: number } | undefined,
): StockTransition | undefined {
  if (newImage === undefined) return undefined;
  if (newImage.count === 0 && (oldImage === undefined || oldImage.count > 0)) return 'out_of_stock';
  if (newImage.count > 0 && oldImage !== undefined && oldImage.count === 0) return 'back_in_stock';
  return undefined;
}
