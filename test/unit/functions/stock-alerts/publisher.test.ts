import { describe, expect, it } from 'vitest';
import { batchEntryId } from '../../../../functions/stock-alerts/publisher.ts';

describe('batchEntryId', () => {
  it('maps any eventID to a unique, safe id of at most 80 characters', () => {
    // Act
    const ids = [batchEntryId('a:b/c.d', 0), batchEntryId('x'.repeat(200), 9)];

    // Assess
    expect(ids[0]).toBe('a-b-c-d_0');
    expect(ids[1]).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(ids[1]?.endsWith('_9')).toBe(true);
  });
});
