import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '#shared/env.ts';
import { alertsEnvironmentSchema } from '../../../../functions/stock-alerts/config.ts';

const valid = {
  OUT_OF_STOCK_TOPIC_ARN: 'arn:aws:sns:eu-west-1:000000000000:out-of-stock',
  ALERTS_PUBLISHED_TABLE: 'alerts-published',
  STOCK_HISTORY_TABLE: 'history',
  STOCK_ATTENTION_TABLE: 'attention',
  LOW_STOCK_THRESHOLD: '5',
  HISTORY_RETENTION_DAYS: '90',
};

describe('the stock alerts function’s configuration', () => {
  it('reads the topic, the tables, the threshold and the retention as serverless.yml sets them', () => {
    // Act
    const env = parseEnvironment(alertsEnvironmentSchema, valid);

    // Assess
    expect(env).toEqual({
      OUT_OF_STOCK_TOPIC_ARN: 'arn:aws:sns:eu-west-1:000000000000:out-of-stock',
      ALERTS_PUBLISHED_TABLE: 'alerts-published',
      STOCK_HISTORY_TABLE: 'history',
      STOCK_ATTENTION_TABLE: 'attention',
      LOW_STOCK_THRESHOLD: 5,
      HISTORY_RETENTION_DAYS: 90,
    });
  });

  it('fails at cold start on a missing table, a fractional threshold or no retention', () => {
    // Act
    const parse = () =>
      parseEnvironment(alertsEnvironmentSchema, {
        ...valid,
        STOCK_ATTENTION_TABLE: ' ',
        LOW_STOCK_THRESHOLD: '2.5',
        HISTORY_RETENTION_DAYS: '0',
      });

    // Assess
    expect(parse).toThrow(/STOCK_ATTENTION_TABLE: .*LOW_STOCK_THRESHOLD: .*HISTORY_RETENTION_DAYS: /);
  });
});
