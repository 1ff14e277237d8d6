import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '#shared/env.ts';
import { stockHistoryEnvironmentSchema } from '../../../../functions/stock-history/config.ts';

const valid = {
  STOCK_HISTORY_TABLE: 'history',
  STOCK_ATTENTION_TABLE: 'attention',
  LOW_STOCK_THRESHOLD: '5',
  HISTORY_RETENTION_DAYS: '90',
};

describe('the stock history configuration', () => {
  it('reads the tables, the threshold and the retention as serverless.yml sets them', () => {
    // Act
    const env = parseEnvironment(stockHistoryEnvironmentSchema, valid);

    // Assess
    expect(env).toEqual({
      STOCK_HISTORY_TABLE: 'history',
      STOCK_ATTENTION_TABLE: 'attention',
      LOW_STOCK_THRESHOLD: 5,
      HISTORY_RETENTION_DAYS: 90,
    });
  });

  it('fails at cold start on a missing table, a fractional threshold or no retention', () => {
    // Act
    const parse = () =>
      parseEnvironment(stockHistoryEnvironmentSchema, {
        ...valid,
        STOCK_ATTENTION_TABLE: ' ',
        LOW_STOCK_THRESHOLD: '2.5',
        HISTORY_RETENTION_DAYS: '0',
      });

    // Assess
    expect(parse).toThrow(/STOCK_ATTENTION_TABLE: .*LOW_STOCK_THRESHOLD: .*HISTORY_RETENTION_DAYS: /);
  });
});
