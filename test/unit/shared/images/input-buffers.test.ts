import { describe, expect, it } from 'vitest';
import { InputBuffers } from '../../../../shared/images/input-buffers.ts';

describe('InputBuffers', () => {
  it('hands the memory given back to the next taker that fits in it', () => {
    const buffers = new InputBuffers();
    const first = buffers.take(100);
    buffers.give(first.subarray(0, 10));

    const second = buffers.take(80);

    expect(second.buffer).toBe(first.buffer);
    expect(second.length).toBe(100);
    expect(buffers.spareBytes).toBe(0);
  });

  it('never lends one piece of memory to two takers at once', () => {
    const buffers = new InputBuffers();
    buffers.give(buffers.take(100));

    const a = buffers.take(50);
    const b = buffers.take(50);

    expect(a.buffer).not.toBe(b.buffer);
    a.fill(1);
    b.fill(2);
    expect(a.every((byte) => byte === 1)).toBe(true);
  });

  it('keeps the biggest buffer given back, and allocates when the spare is too small', () => {
    const buffers = new InputBuffers();
    const small = buffers.take(10);
    const big = buffers.take(1000);
    buffers.give(small);
    buffers.give(big);
    expect(buffers.spareBytes).toBe(1000);

    const bigger = buffers.take(2000);
    expect(bigger.buffer).not.toBe(big.buffer);
    expect(buffers.spareBytes).toBe(1000);
  });

  it('ignores memory it did not lend, and memory given back twice', () => {
    const buffers = new InputBuffers();
    buffers.give(Buffer.alloc(500));
    expect(buffers.spareBytes).toBe(0);

    const lent = buffers.take(100);
    buffers.give(lent);
    buffers.give(lent);
    const a = buffers.take(100);
    const b = buffers.take(100);
    expect(a.buffer).toBe(lent.buffer);
    expect(b.buffer).not.toBe(lent.buffer);
  });
});
