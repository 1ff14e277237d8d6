import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { InputBuffers } from '../../../../shared/images/input-buffers.ts';
import { downloadSource, readBody } from '../../../../shared/images/source-body.ts';
import { FakeS3 } from './fake-s3.ts';

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

describe('readBody when the body fails', () => {
  it('gives the memory back and throws', async () => {
    // Prepare
    const buffers = new InputBuffers();
    async function* cut() {
      yield Buffer.from('abc');
      throw new Error('socket hang up');
    }

    // Act
    const reading = readBody(cut(), 6, 100, buffers);

    // Assess
    await expect(reading).rejects.toThrow('socket hang up');
    expect(buffers.spareBytes).toBe(6);
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

describe('downloadSource', () => {
  const BUCKET = 'uploads';
  const source = (key: string) => ({ bucket: BUCKET, key });
  async function stored(body: string): Promise<FakeS3> {
    const s3 = new FakeS3({ versioned: true });
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'images/a.jpg', Body: body }));
    return s3;
  }

  it('reads the body, with the version and ETag it came from', async () => {
    // Prepare
    const s3 = await stored('x'.repeat(20_000));

    // Act
    const downloaded = await downloadSource(s3.client, source('images/a.jpg'), 100_000).result;

    // Assess
    expect(downloaded).toMatchObject({
      kind: 'read',
      source: { bucket: BUCKET, key: 'images/a.jpg', versionId: 'v1', etag: expect.any(String) },
    });
    expect(downloaded.kind === 'read' && downloaded.body.toString()).toBe('x'.repeat(20_000));
  });

  it('tells a missing source, and one over the limit from its Content-Length, without reading it', async () => {
    // Prepare
    const s3 = await stored('x'.repeat(20_000));
    const buffers = new InputBuffers();

    // Act
    const missing = await downloadSource(s3.client, source('images/gone.jpg'), 100_000).result;
    const tooLarge = await downloadSource(s3.client, source('images/a.jpg'), 10_000, buffers).result;

    // Assess
    expect(missing).toEqual({ kind: 'missing' });
    expect(tooLarge).toMatchObject({ kind: 'too_large', size: 20_000, source: { key: 'images/a.jpg' } });
    expect(buffers.spareBytes).toBe(0);
  });

  it('stops before reading when told to at once', async () => {
    // Prepare
    const s3 = await stored('x'.repeat(20_000));
    const buffers = new InputBuffers();
    const download = downloadSource(s3.client, source('images/a.jpg'), 100_000, buffers);

    // Act
    await download.stop();

    // Assess
    expect(await download.result).toEqual({ kind: 'stopped' });
    expect(buffers.spareBytes).toBe(0);
  });

  it('gives back the memory of a body already read when stopped', async () => {
    // Prepare
    const s3 = await stored('x'.repeat(20_000));
    const buffers = new InputBuffers();
    const download = downloadSource(s3.client, source('images/a.jpg'), 100_000, buffers);
    await download.result;

    // Act
    await download.stop();

    // Assess
    expect(buffers.spareBytes).toBe(20_000);
  });
});
