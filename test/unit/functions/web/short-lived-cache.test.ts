import { describe, expect, it } from 'vitest';
import { ShortLivedCache } from '../../../../functions/web/short-lived-cache.ts';

describe('ShortLivedCache', () => {
  it('reuses a value for the TTL, then reads again', async () => {
    // Prepare
    let clock = 0;
    let reads = 0;
    const cache = new ShortLivedCache(
      async () => ++reads,
      1000,
      () => clock,
    );

    // Act
    const first = await cache.get();
    clock = 999;
    const reused = await cache.get();
    clock = 1000;
    const fresh = await cache.get();

    // Assess
    expect([first, reused, fresh]).toEqual([1, 1, 2]);
  });

  it('shares one read between concurrent callers', async () => {
    // Prepare
    let reads = 0;
    const cache = new ShortLivedCache(async () => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return reads;
    }, 0);

    // Act
    const values = await Promise.all([cache.get(), cache.get(), cache.get()]);

    // Assess
    expect(values).toEqual([1, 1, 1]);
    expect(reads).toBe(1);
  });

  it('keeps nothing with a TTL of 0, and nothing from a failed read', async () => {
    // Prepare
    let reads = 0;
    const uncached = new ShortLivedCache(async () => ++reads, 0);
    let fail = true;
    const flaky = new ShortLivedCache(async () => {
      if (fail) throw new Error('table unavailable');
      return 'ok';
    }, 60_000);

    // Act
    await uncached.get();
    await uncached.get();
    const failure = flaky.get();
    await expect(failure).rejects.toThrow('table unavailable');
    fail = false;
    const recovered = await flaky.get();

    // Assess
    expect(reads).toBe(2);
    expect(recovered).toBe('ok');
  });
});
