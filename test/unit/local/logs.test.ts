import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routeFunctionOutput, terminalLog } from '../../../local/logs.ts';
import type { InvocationRecord, SnsOutboxEntry } from '../../../local/types.ts';

function invocation(overrides: Partial<InvocationRecord>): InvocationRecord {
  return {
    functionName: 'storeSummaries',
    requestId: '0123456789abcdef',
    trigger: 'stream',
    attempt: 1,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 12,
    outcome: 'success',
    event: { Records: [{}, {}, {}] },
    result: { batchItemFailures: [] },
    ...overrides,
  };
}

function alert(type: string): SnsOutboxEntry {
  return {
    topicArn: 'arn:aws:sns:us-east-1:000000000000:stockroom-local-out-of-stock',
    subject: 'Out of stock: x',
    message: '{"store":"Berlin"}',
    messageAttributes: { type: { DataType: 'String', StringValue: type } },
    timestamp: '2025-01-01T00:00:00.000Z',
    messageId: 'm',
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the terminal log of npm start', () => {
  it('summarises successful stream batches and messages once per window', () => {
    // Prepare
    vi.useFakeTimers();
    const lines: string[] = [];
    const terminal = terminalLog((line) => lines.push(line), false);

    // Act
    for (let i = 0; i < 40; i += 1) terminal.invocation(invocation({ durationMs: i }));
    for (let i = 0; i < 7; i += 1) terminal.message(alert(i < 5 ? 'out_of_stock' : 'back_in_stock'));
    const before = lines.length;
    vi.advanceTimersByTime(10_000);

    // Assess
    expect(before).toBe(0);
    expect(lines).toEqual([
      'storeSummaries: 40 stream batch(es), 120 record(s), all ok (slowest 39 ms)',
      '[sns] stockroom-local-out-of-stock out_of_stock: 5 message(s)',
      '[sns] stockroom-local-out-of-stock back_in_stock: 2 message(s)',
    ]);
    terminal.stop();
  });

  it('prints each other invocation, and every failure at once, with its figures', () => {
    // Prepare
    const lines: string[] = [];
    const terminal = terminalLog((line) => lines.push(line), false);

    // Act
    terminal.invocation(invocation({ result: { batchItemFailures: [{ itemIdentifier: '1' }] } }));
    terminal.invocation(
      invocation({
        functionName: 'stockAlerts',
        outcome: 'error',
        errorType: 'Error',
        errorMessage: 'boom',
        attempt: 2,
      }),
    );
    terminal.invocation(
      invocation({
        functionName: 'importInventory',
        trigger: 's3',
        event: { Records: [{}] },
        result: { status: 'completed', rowsImported: 200 },
      }),
    );
    terminal.invocation(
      invocation({
        functionName: 'web',
        trigger: 'http',
        event: { requestContext: { http: { method: 'GET' } }, rawPath: '/stores/Berlin' },
        result: { statusCode: 200 },
      }),
    );
    terminal.stop();

    // Assess
    expect(lines).toEqual([
      'storeSummaries ok in 12 ms (stream) 3 record(s), 1 failed [01234567]',
      'stockAlerts FAILED: Error: boom in 12 ms (stream, attempt 2) 3 record(s) [01234567]',
      'importInventory ok in 12 ms (s3) 1 record(s), completed, 200 rows imported [01234567]',
      'web ok in 12 ms (http) GET /stores/Berlin → 200 [01234567]',
    ]);
  });

  it('prints everything in full when verbose', () => {
    // Prepare
    const lines: string[] = [];
    const terminal = terminalLog((line) => lines.push(line), true);

    // Act
    terminal.invocation(invocation({}));
    terminal.message(alert('out_of_stock'));
    terminal.stop();

    // Assess
    expect(lines).toEqual([
      'storeSummaries ok in 12 ms (stream) 3 record(s) [01234567]',
      '[sns] stockroom-local-out-of-stock "Out of stock: x" {"store":"Berlin"}',
    ]);
  });
});

describe('the functions’ own log lines', () => {
  it('go to logs/functions.jsonl, and other output to the terminal', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'stockroom-logs-'));
    const passed: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: string) => passed.push(chunk) > 0) as typeof process.stdout.write;
    try {
      const restore = routeFunctionOutput(dataDir, false);

      // Act
      process.stdout.write('{"level":"INFO","message":"imported"}\n');
      process.stdout.write('[local] a line of the cloud\n');
      restore();
      await new Promise((resolve) => setTimeout(resolve, 50));

      // Assess
      expect(passed).toEqual(['[local] a line of the cloud\n']);
      const file = await readFile(join(dataDir, 'logs', 'functions.jsonl'), 'utf8');
      expect(file).toBe('{"level":"INFO","message":"imported"}\n');
    } finally {
      process.stdout.write = original;
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps one earlier file when the log has grown past 64 MiB', async () => {
    // Prepare: a large (sparse) log from earlier runs.
    const dataDir = await mkdtemp(join(tmpdir(), 'stockroom-logs-'));
    const path = join(dataDir, 'logs', 'functions.jsonl');
    await mkdir(join(dataDir, 'logs'));
    await writeFile(path, '');
    await truncate(path, 65 * 1024 * 1024);
    try {
      // Act
      routeFunctionOutput(dataDir, true)();
      await new Promise((resolve) => setTimeout(resolve, 50));

      // Assess
      expect((await stat(`${path}.1`)).size).toBe(65 * 1024 * 1024);
      expect((await stat(path)).size).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
