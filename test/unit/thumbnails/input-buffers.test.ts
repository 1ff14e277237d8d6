import { describe, expect, it } from 'vitest';
import { InputBuffers } from '../../../functions/thumbnails/input-buffers.ts';
import { readBody } from '../../../functions/thumbnails/thumbnailer.ts';

async function* stream(...parts: string[]) {
  for (const part of parts) yield Buffer.from(part);
}

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

describe('readBody with reused buffers', () => {
  it('reads the next body into the memory of the previous one, with none of its old bytes', async () => {
    const buffers = new InputBuffers();
    const first = await readBody(stream('abcdef', 'ghij'), 10, 100, buffers);
    expect(first?.toString()).toBe('abcdefghij');
    if (first) buffers.give(first);

    const second = await readBody(stream('xyz'), 3, 100, buffers);

    expect(second?.toString()).toBe('xyz');
    expect(second?.buffer).toBe(first?.buffer);
  });

  it('gives back the smaller buffer when a body of unknown length outgrows it', async () => {
    const buffers = new InputBuffers();
    buffers.give(buffers.take(4));

    const body = await readBody(stream('abc', 'def', 'ghi'), undefined, 100, buffers);

    expect(body?.toString()).toBe('abcdefghi');
    expect(buffers.spareBytes).toBe(4);
  });

  it('gives the buffer back when the body is over the limit', async () => {
    const buffers = new InputBuffers();

    expect(await readBody(stream('abcd', 'efgh', 'ijkl'), 12, 10, buffers)).toBeUndefined();
    expect(buffers.spareBytes).toBe(10);
  });
});
