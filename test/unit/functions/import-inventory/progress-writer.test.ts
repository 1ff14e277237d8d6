import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  PROGRESS_INTERVAL_MS,
  type ProgressFailure,
  ProgressWriter,
} from '../../../../functions/import-inventory/progress-writer.ts';
import { type ImportProgress, importProgressSchema } from '../../../../shared/inventory/progress.ts';

const PROGRESS_KEY = 'reports/progress/inventory/inventory/big.csv.json';
const START = Date.parse('2025-06-02T07:00:00.000Z');

interface Sent {
  command: 'put' | 'delete';
  key: string;
  progress?: ImportProgress;
  settle: (error?: Error) => void;
  settled: boolean;
}

/**
 * An S3 client that records each PutObject and DeleteObject and answers only when the test
 * says so (`settle`), so that what is in flight at any moment is in the test's hands.
 */
function fakeS3() {
  const sent: Sent[] = [];
  const client = {
    send(command: unknown): Promise<unknown> {
      return new Promise((resolve, reject) => {
        const input = (command as { input: { Key: string; Body?: string } }).input;
        const entry: Sent = {
          command: command instanceof DeleteObjectCommand ? 'delete' : 'put',
          key: input.Key,
          settled: false,
          settle: (error) => {
            entry.settled = true;
            if (error) reject(error);
            else resolve({});
          },
        };
        if (command instanceof PutObjectCommand) {
          entry.progress = importProgressSchema.parse(JSON.parse(String(input.Body)));
        }
        sent.push(entry);
      });
    },
  };
  return { s3: client as unknown as S3Client, sent };
}

function writerWith(s3: S3Client, clock: { ms: number }, failures: ProgressFailure[] = []) {
  return new ProgressWriter({
    s3,
    uploadsBucket: 'uploads',
    source: { bucket: 'uploads', key: 'inventory/big.csv', etag: 'e1' },
    startedAt: new Date(START).toISOString(),
    totalBytes: 1000,
    now: () => new Date(START + clock.ms),
    onFailure: (failure) => failures.push(failure),
  });
}

/** Lets the writer's promise callbacks run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function* chunks(...sizes: number[]): AsyncGenerator<Uint8Array> {
  for (const size of sizes) yield new Uint8Array(size);
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of source) bytes += chunk.length;
  return bytes;
}

describe('ProgressWriter', () => {
  it('writes at the start, then at most once per interval, with the newest figures', async () => {
    // Prepare
    const { s3, sent } = fakeS3();
    const clock = { ms: 0 };
    const writer = writerWith(s3, clock);

    // Act
    writer.start();
    sent[0]?.settle();
    await turn();
    for (const [ms, rows] of [
      [500, 250],
      [1999, 500],
      [PROGRESS_INTERVAL_MS, 750],
      [3000, 1000],
      [3900, 1250],
      [2 * PROGRESS_INTERVAL_MS, 1500],
    ] as const) {
      clock.ms = ms;
      writer.rowsParsed(rows);
      sent.at(-1)?.settle();
      await turn();
    }

    // Assess
    expect(sent.map((entry) => [entry.key, entry.progress?.rowsSoFar, entry.progress?.updatedAt])).toEqual([
      [PROGRESS_KEY, 0, '2025-06-02T07:00:00.000Z'],
      [PROGRESS_KEY, 750, '2025-06-02T07:00:02.000Z'],
      [PROGRESS_KEY, 1500, '2025-06-02T07:00:04.000Z'],
    ]);
    expect(sent[0]?.progress).toEqual({
      source: { bucket: 'uploads', key: 'inventory/big.csv', etag: 'e1' },
      startedAt: '2025-06-02T07:00:00.000Z',
      updatedAt: '2025-06-02T07:00:00.000Z',
      rowsSoFar: 0,
      bytesRead: 0,
      totalBytes: 1000,
    });
  });

  it('never has two PUTs in flight: a slow one holds the next back, which then carries the newest figures', async () => {
    // Prepare
    const { s3, sent } = fakeS3();
    const clock = { ms: 0 };
    const writer = writerWith(s3, clock);
    writer.start();

    // Act: S3 takes 10 s to answer the first PUT, while rows keep flowing.
    for (let second = 1; second <= 10; second += 1) {
      clock.ms = second * 1000;
      writer.rowsParsed(second * 100);
      await turn();
    }
    const whileSlow = sent.length;
    sent[0]?.settle();
    await turn();
    clock.ms = 10_500;
    writer.rowsParsed(1050);

    // Assess
    expect(whileSlow).toBe(1);
    expect(sent.map((entry) => entry.progress?.rowsSoFar)).toEqual([0, 1050]);
  });

  it('counts the bytes of the writing pass, and only keeps the object fresh in the check pass', async () => {
    // Prepare
    const { s3, sent } = fakeS3();
    const clock = { ms: 0 };
    const writer = writerWith(s3, clock);
    writer.start();
    sent[0]?.settle();
    await turn();

    // Act
    clock.ms = 2500;
    const checked = await drain(writer.meter(chunks(300, 300), false));
    sent.at(-1)?.settle();
    await turn();
    clock.ms = 5000;
    const written = await drain(writer.meter(chunks(400, 200), true));

    // Assess: the bytes pass through untouched; a PUT in each pass.
    expect([checked, written]).toEqual([600, 600]);
    expect(sent.map((entry) => [entry.progress?.updatedAt, entry.progress?.bytesRead])).toEqual([
      ['2025-06-02T07:00:00.000Z', 0],
      ['2025-06-02T07:00:02.500Z', 0],
      ['2025-06-02T07:00:05.000Z', 400],
    ]);
    // The writing pass's rate counts from its first byte, not from the check pass.
    expect(sent.map((entry) => entry.progress?.writingSince)).toEqual([
      undefined,
      undefined,
      '2025-06-02T07:00:05.000Z',
    ]);
  });

  it('settles by waiting for the PUT in flight, and writes nothing after that', async () => {
    // Prepare
    const { s3, sent } = fakeS3();
    const clock = { ms: 0 };
    const writer = writerWith(s3, clock);
    writer.start();

    // Act
    let settled = false;
    const settling = writer.settle().then(() => {
      settled = true;
    });
    await turn();
    const beforeAnswer = settled;
    sent[0]?.settle();
    await settling;
    clock.ms = 60_000;
    writer.rowsParsed(5000);

    // Assess
    expect(beforeAnswer).toBe(false);
    expect(settled).toBe(true);
    expect(sent).toHaveLength(1);
  });

  it('deletes the object only once the PUT in flight has landed, and only once', async () => {
    // Prepare
    const { s3, sent } = fakeS3();
    const clock = { ms: 0 };
    const writer = writerWith(s3, clock);
    writer.start();

    // Act
    const removing = writer.remove();
    await turn();
    const beforePutLanded = sent.map((entry) => entry.command);
    sent[0]?.settle();
    await turn();
    sent[1]?.settle();
    await removing;
    await writer.remove();

    // Assess
    expect(beforePutLanded).toEqual(['put']);
    expect(sent.map((entry) => [entry.command, entry.key])).toEqual([
      ['put', PROGRESS_KEY],
      ['delete', PROGRESS_KEY],
    ]);
  });

  it('deletes nothing when it never wrote', async () => {
    // Prepare
    const { s3, sent } = fakeS3();
    const writer = writerWith(s3, { ms: 0 });

    // Act
    await writer.remove();

    // Assess
    expect(sent).toEqual([]);
  });

  it('reports a failing PUT or DELETE and goes on: the next PUT is tried, settle and remove resolve', async () => {
    // Prepare
    const { s3, sent } = fakeS3();
    const clock = { ms: 0 };
    const failures: ProgressFailure[] = [];
    const writer = writerWith(s3, clock, failures);
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });

    // Act
    writer.start();
    sent[0]?.settle(denied);
    await turn();
    clock.ms = PROGRESS_INTERVAL_MS;
    writer.rowsParsed(250);
    sent[1]?.settle(new Error('socket hang up'));
    const removing = writer.remove();
    await turn();
    sent[2]?.settle(denied);
    await removing;

    // Assess
    expect(sent.map((entry) => entry.command)).toEqual(['put', 'put', 'delete']);
    expect(failures).toEqual([
      { action: 'put', progressKey: PROGRESS_KEY, error: denied },
      {
        action: 'put',
        progressKey: PROGRESS_KEY,
        error: expect.objectContaining({ message: 'socket hang up' }),
      },
      { action: 'delete', progressKey: PROGRESS_KEY, error: denied },
    ]);
  });
});
