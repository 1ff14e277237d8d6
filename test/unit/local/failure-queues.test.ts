import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailureQueues, UnknownQueueError } from '../../../local/failure-queues.ts';

const directories: string[] = [];

function newDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'failure-queues-'));
  directories.push(directory);
  return directory;
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('the on-failure queues', () => {
  it('records what a destination is sent, bodies as they were given', () => {
    // Prepare
    const queues = new FailureQueues(newDirectory(), ['failures']);

    // Act
    queues.send('failures', { requestContext: { condition: 'RetriesExhausted' } });
    queues.send('failures', 'not json');

    // Assess
    expect(queues.messages('failures')).toEqual([
      {
        queueName: 'failures',
        body: { requestContext: { condition: 'RetriesExhausted' } },
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      { queueName: 'failures', body: 'not json', at: expect.any(String) },
    ]);
  });

  it('writes each record as one JSON line of <queue>.jsonl, a file to read', () => {
    // Prepare
    const directory = newDirectory();
    const queues = new FailureQueues(directory, ['stockroom-local-thumbnails-failures']);

    // Act
    queues.send('stockroom-local-thumbnails-failures', { key: 'images/ä b.png' });

    // Assess
    const lines = readFileSync(join(directory, 'stockroom-local-thumbnails-failures.jsonl'), 'utf8').split(
      '\n',
    );
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ body: { key: 'images/ä b.png' } });
    expect(lines[1]).toBe('');
  });

  it('keeps the records across a restart', () => {
    // Prepare
    const directory = newDirectory();
    const first = new FailureQueues(directory, ['durable', 'empty']);
    first.send('durable', 'keep me');

    // Act
    const second = new FailureQueues(directory, ['durable', 'empty']);

    // Assess
    expect(second.messages('durable').map((record) => record.body)).toEqual(['keep me']);
    expect(second.messages('empty')).toEqual([]);
  });

  it('refuses a queue serverless.yml does not declare, and has no records for it', () => {
    // Prepare
    const queues = new FailureQueues(newDirectory(), ['failures']);

    // Act
    const send = () => queues.send('nope', 'x');

    // Assess
    expect(send).toThrow(UnknownQueueError);
    expect(send).toThrow('There is no on-failure queue named "nope"');
    expect(queues.messages('nope')).toEqual([]);
  });

  it('hands out copies: changing one does not change the queue', () => {
    // Prepare
    const queues = new FailureQueues(newDirectory(), ['failures']);
    queues.send('failures', { attempts: 3 });

    // Act
    const [record] = queues.messages('failures');
    (record?.body as { attempts: number }).attempts = 99;

    // Assess
    expect(queues.messages('failures')[0]?.body).toEqual({ attempts: 3 });
  });
});
