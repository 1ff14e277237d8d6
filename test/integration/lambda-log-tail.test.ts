import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsEndpoint, startAwsEndpoint } from '../../local/aws-endpoint/server.ts';
import { LOCAL_CREDENTIALS } from '../../local/cloud.ts';
import { loadFunctions } from '../../local/functions.ts';
import { StackResources } from '../../local/resources.ts';

/**
 * X-Amz-Log-Result: what an invocation wrote, framed as Lambda frames it, the last 4 KB only,
 * and only its own lines when invocations run at once. The function is a fixture that writes
 * to stdout and stderr (test/support/lambda-fixtures.ts); no emulator is needed.
 */
const MARKER = 'tail-fixture';
const account = { region: 'us-east-1', accountId: '000000000000', stackName: 'fixture-local' };
const stack = new StackResources(
  {
    service: 'fixture',
    provider: { stage: 'local', region: account.region },
    functions: {
      noisy: { name: 'fixture-local-noisy', handler: 'test/support/lambda-fixtures.noisy', timeout: 10 },
    },
  },
  account,
);

let endpoint: AwsEndpoint;
let dataDir: string;
const writes = [process.stdout.write, process.stderr.write];

beforeAll(async () => {
  // The fixture's lines are for the log tail, not for the test run's output.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      String(chunk).includes(MARKER) || write(chunk, ...rest)) as typeof stream.write;
  }
  dataDir = await mkdtemp(join(tmpdir(), 'lambda-log-tail-'));
  const nowhere = 'http://127.0.0.1:9';
  const urls = { s3: nowhere, dynamodb: nowhere, aws: nowhere };
  const functions = await loadFunctions({ stack, urls, credentials: LOCAL_CREDENTIALS, verbose: true });
  const lambda = {
    functions: () => functions,
    invokeAsync: () => undefined,
    provider: stack.config.provider,
  };
  endpoint = await startAwsEndpoint({ ...account, dataDir, lambda });
});

afterAll(async () => {
  await endpoint?.stop();
  [process.stdout.write, process.stderr.write] = writes as [
    typeof process.stdout.write,
    typeof process.stderr.write,
  ];
  await rm(dataDir, { recursive: true, force: true });
});

async function invoke(
  event: object,
  logType = 'Tail',
): Promise<{ log: string | undefined; result: unknown }> {
  const response = await fetch(`${endpoint.url}/2015-03-31/functions/fixture-local-noisy/invocations`, {
    method: 'POST',
    headers: { 'X-Amz-Log-Type': logType },
    body: JSON.stringify(event),
  });
  const header = response.headers.get('x-amz-log-result');
  return {
    log: header === null ? undefined : Buffer.from(header, 'base64').toString('utf8'),
    result: await response.json(),
  };
}

describe('the log tail of an invocation', () => {
  it("holds what the function wrote to stdout and stderr, framed by Lambda's lines", async () => {
    // Act
    const { log, result } = await invoke({ marker: `${MARKER}-short`, lines: 2 });

    // Assess
    expect(result).toEqual({ marker: `${MARKER}-short` });
    expect(log?.split('\n')).toEqual([
      expect.stringMatching(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/),
      `{"level":"INFO","message":"${MARKER}-short line 0"}`,
      `{"level":"INFO","message":"${MARKER}-short line 1"}`,
      `${MARKER}-short done`,
      expect.stringMatching(/^END RequestId: [0-9a-f-]{36}$/),
      expect.stringMatching(
        /^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 1024 MB\t$/,
      ),
      '',
    ]);
  });

  it('keeps the last 4 KB of a long log', async () => {
    // Act: about 12 KB of lines.
    const { log } = await invoke({ marker: `${MARKER}-long`, lines: 200 });

    // Assess
    expect(Buffer.byteLength(log ?? '')).toBe(4096);
    expect(log).toContain(`${MARKER}-long line 199"}\n${MARKER}-long done\nEND RequestId: `);
    expect(log).not.toContain(`${MARKER}-long line 0"`);
    expect(log).not.toContain('START RequestId');
  });

  it('gives invocations running at once only their own lines', async () => {
    // Act
    const [first, second] = await Promise.all([
      invoke({ marker: `${MARKER}-first`, lines: 10, delayMs: 3 }),
      invoke({ marker: `${MARKER}-second`, lines: 10, delayMs: 3 }),
    ]);

    // Assess
    expect(first.log?.match(new RegExp(`${MARKER}-first line`, 'g'))).toHaveLength(10);
    expect(first.log).not.toContain(`${MARKER}-second`);
    expect(second.log?.match(new RegExp(`${MARKER}-second line`, 'g'))).toHaveLength(10);
    expect(second.log).not.toContain(`${MARKER}-first`);
  });

  it('is not returned unless asked for', async () => {
    // Act
    const { log, result } = await invoke({ marker: `${MARKER}-untold`, lines: 1 }, 'None');

    // Assess
    expect(result).toEqual({ marker: `${MARKER}-untold` });
    expect(log).toBeUndefined();
  });
});
