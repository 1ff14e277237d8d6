import { z } from 'zod';

/** The alerts function's configuration, parsed once at cold start (handler.ts). */
export const alertsEnvironmentSchema = z.object({
  OUT_OF_STOCK_TOPIC_ARN: z.string().trim().startsWith('arn:', 'expected an SNS topic ARN'),
  ALERTS_PUBLISHED_TABLE: z.string().trim().min(1, 'expected the alerts-published table name'),
});

export type AlertsEnvironment = z.infer<typeof alertsEnvironmentSchema>;
