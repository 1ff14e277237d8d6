import { describe, expect, it } from 'vitest';
import { InputBuffers } from '../../../../shared/images/input-buffers.ts';
import { readBody } from '../../../../shared/images/source-body.ts';

async function* stream(...parts: string[]) {
  for (const part of parts) yield Buffer.from(part);
}

describe('readBody', () => {
  it('reads a body whose length is known or not', async () => {
    expect((await readBody(stream('ab', 'cd'), 4, 10))?.toString()).toBe('abcd');
    expect((await readBody(stream('ab', 'cd', 'ef'), undefined, 10))?.toString()).toBe('abcdef');
    expect((await readBody(stream('ab', 'cd'), 3, 10))?.toString()).toBe('abcd');
  });

  it('stops as soon as the body outgrows the limit', async () => {
    expect(await readBody(stream('abcd', 'efgh', 'ijkl'), undefined, 10)).toBeUndefined();
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
