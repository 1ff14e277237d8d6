import { z } from 'zod';

/** The stock history function's configuration, parsed once at cold start (handler.ts). */
export const stockHistoryEnvironmentSchema = z.object({
  STOCK_HISTORY_TABLE: z.string().trim().min(1, 'expected the stock history table name'),
  STOCK_ATTENTION_TABLE: z.string().trim().min(1, 'expected the stock attention table name'),
  /** "Low" is 1 up to this count (parameter lowStockThreshold, as the dashboard's). */
  LOW_STOCK_THRESHOLD: z.coerce.number().int().min(0),
  /** Days a history item is kept (parameter historyRetentionDays). */
  HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1),
});

export type StockHistoryEnvironment = z.infer<typeof stockHistoryEnvironmentSchema>;
