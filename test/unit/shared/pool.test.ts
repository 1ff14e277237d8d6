import { describe, expect, it } from 'vitest';
import { inPool } from '#shared/pool.ts';

describe('inPool', () => {
  it('works every value once, never more than `concurrency` at a time', async () => {
    // Prepare
    const done: number[] = [];
    let running = 0;
    let most = 0;

    // Act
    await inPool([1, 2, 3, 4, 5, 6, 7], 3, async (value) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, value % 3));
      done.push(value);
      running -= 1;
    });

    // Assess
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('does nothing for no values, and rejects when a value’s work does', async () => {
    // Assess
    await expect(inPool([], 4, async () => undefined)).resolves.toBeUndefined();
    await expect(
      inPool([1, 2], 2, async (value) => {
        if (value === 2) throw new Error('two');
      }),
    ).rejects.toThrow('two');
  });
});
