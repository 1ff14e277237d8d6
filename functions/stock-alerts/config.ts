import { z } from 'zod';

/**
 * The stockAlerts function's configuration, parsed once at cold start (handler.ts): the topic
 * and table of the alerts, and the tables of the stock history and attention, which the same
 * function keeps (see handler.ts for why one function reads the stream for both).
 */
export const alertsEnvironmentSchema = z.object({
  OUT_OF_STOCK_TOPIC_ARN: z.string().trim().startsWith('arn:', 'expected an SNS topic ARN'),
  ALERTS_PUBLISHED_TABLE: z.string().trim().min(1, 'expected the alerts-published table name'),
  STOCK_HISTORY_TABLE: z.string().trim().min(1, 'expected the stock history table name'),
  STOCK_ATTENTION_TABLE: z.string().trim().min(1, 'expected the stock attention table name'),
  /** "Low" is 1 up to this count (parameter lowStockThreshold, as the dashboard's). */
  LOW_STOCK_THRESHOLD: z.coerce.number().int().min(0),
  /** Days a history item is kept (parameter historyRetentionDays). */
  HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1),
});

export type AlertsEnvironment = z.infer<typeof alertsEnvironmentSchema>;
