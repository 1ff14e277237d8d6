import { z } from 'zod';

/**
 * One item of the store summaries table (key `store`), written by the storeSummaries
 * function and read by the dashboard. `computedAt` orders concurrent recomputes: a summary
 * is only replaced by one computed later (see summaries.ts).
 */
export const storeSummarySchema = z.object({
  store: z.string().min(1),
  itemCount: z.number().int().nonnegative(),
  totalUnits: z.number().nonnegative(),
  outOfStockCount: z.number().int().nonnegative(),
  /** The newest `updatedAt` among the store's items, if any item has one. */
  lastUpdatedAt: z.string().optional(),
  /** When the recompute started reading the store's partition (ISO 8601, UTC). */
  computedAt: z.string(),
});

export type StoreSummary = z.infer<typeof storeSummarySchema>;
