import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/types.ts';
import { buildEvent, localStack } from '../../scripts/sample-events.ts';
import { eventually, startTestCloud } from '../support/local-cloud.ts';

/**
 * The Lambda API of the local AWS endpoint, through the real AWS CLI (as a developer calls
 * it) and plain HTTP (for what the CLI hides: headers, status codes).
 */
const run = promisify(execFile);

let cloud: LocalCloud;
let api: string;
let scratch: string;

beforeAll(async () => {
  cloud = await startTestCloud({ functions: ['web', 'stockAlerts', 'importInventory'] });
  api = cloud.endpoints.endpoints.lambda;
  scratch = await mkdtemp(join(tmpdir(), 'lambda-api-'));
});

afterAll(async () => {
  await cloud?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aws <args>` against the local endpoint, with dummy credentials and no profile of this machine. */
async function aws(...args: string[]): Promise<CliOutcome> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(scratch, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'no-credentials'),
    AWS_PAGER: '',
  };
  try {
    const { stdout, stderr } = await run('aws', ['--endpoint-url', api, '--output', 'json', ...args], {
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT')
      throw new Error('The AWS CLI is not installed (Debian: apt-get install awscli)');
    return { code: Number(failed.code), stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const functionsPath = '/2015-03-31/functions';
const invocationsOf = (name: string) => `${api}${functionsPath}/${encodeURIComponent(name)}/invocations`;
const decodeLog = (header: string | undefined | null) => Buffer.from(header ?? '', 'base64').toString('utf8');

async function eventFile(name: string, event: unknown): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, JSON.stringify(event));
  return path;
}

describe('aws lambda list-functions and get-function', () => {
  it('lists the running functions with their serverless.yml settings', async () => {
    // Act
    const listed = await aws('lambda', 'list-functions');

    // Assess
    expect(listed.code).toBe(0);
    const { Functions } = JSON.parse(listed.stdout) as { Functions: Record<string, unknown>[] };
    const web = Functions.find((fn) => fn.FunctionName === 'stockroom-local-web');
    expect(Functions.map((fn) => fn.FunctionName).sort()).toEqual([
      'stockroom-local-importInventory',
      'stockroom-local-stockAlerts',
      'stockroom-local-web',
    ]);
    expect(web).toMatchObject({
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:stockroom-local-web',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'functions/web/handler.handler',
      Timeout: 10,
      MemorySize: 1024,
      Version: '$LATEST',
      Environment: { Variables: { INVENTORY_TABLE: 'stockroom-local-inventory' } },
    });
    // Lambda's reserved variables are not the function's configuration.
    const variables = (web?.Environment as { Variables?: object } | undefined)?.Variables ?? {};
    expect(Object.keys(variables)).not.toContain('AWS_ACCESS_KEY_ID');
  });

  it('gets one function by name, ARN or partial ARN, with its reserved concurrency and code', async () => {
    // Act
    const forms = [
      'stockroom-local-importInventory',
      'arn:aws:lambda:us-east-1:000000000000:function:stockroom-local-importInventory',
      '000000000000:function:stockroom-local-importInventory',
    ];
    const answers = await Promise.all(
      forms.map((form) => aws('lambda', 'get-function', '--function-name', form)),
    );

    // Assess
    const [first, ...others] = answers.map((answer) => JSON.parse(answer.stdout));
    expect(first).toMatchObject({
      Configuration: { FunctionName: 'stockroom-local-importInventory', Timeout: 900, State: 'Active' },
      Concurrency: { ReservedConcurrentExecutions: 4 },
      Code: { RepositoryType: 'S3' },
    });
    expect(first.Code.Location).toMatch(/^file:\/\/.*\/functions\/import-inventory\/handler\.ts$/);
    for (const other of others) expect(other.Configuration).toEqual(first.Configuration);
  });

  it('answers an unknown function as Lambda does: 404 ResourceNotFoundException', async () => {
    // Act
    const cli = await aws('lambda', 'get-function', '--function-name', 'stockroom-local-nope');
    const response = await fetch(`${api}${functionsPath}/stockroom-local-web?Qualifier=prod`);

    // Assess
    expect(cli.code).toBe(255);
    expect(cli.stderr).toContain(
      '(ResourceNotFoundException) when calling the GetFunction operation: Function not found: arn:aws:lambda:us-east-1:000000000000:function:stockroom-local-nope',
    );
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await response.json()).toEqual({
      Type: 'User',
      Message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:stockroom-local-web:prod',
    });
  });

  it('names what it does not serve rather than answering as SNS', async () => {
    // Act
    const layers = await aws('lambda', 'list-event-source-mappings');
    const topics = await aws('sns', 'list-topics');

    // Assess: the same port still serves SNS.
    expect(layers.code).toBe(255);
    expect(layers.stderr).toContain('(UnknownOperationException)');
    expect(layers.stderr).toContain('ListFunctions, GetFunction and Invoke');
    expect(JSON.parse(topics.stdout).Topics).toContainEqual({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:stockroom-local-out-of-stock',
    });
    expect(cloud.endpoints.endpoints.lambda).toBe(cloud.endpoints.endpoints.sns);
  });
});

describe('aws lambda invoke', () => {
  it('runs the handler with the payload and returns its result and log tail', async () => {
    // Prepare
    const event = buildEvent('http-get', { path: '/healthz' }, await localStack());
    const payload = await eventFile('healthz.json', event);
    const out = join(scratch, 'healthz-out.json');

    // Act
    const cli = await aws(
      ...['lambda', 'invoke', '--function-name', 'stockroom-local-web', '--log-type', 'Tail'],
      ...['--payload', `fileb://${payload}`, out],
    );

    // Assess
    expect(cli.code).toBe(0);
    const answer = JSON.parse(cli.stdout) as {
      StatusCode: number;
      ExecutedVersion: string;
      LogResult: string;
    };
    expect(answer).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({
      statusCode: 200,
      body: '{"status":"ok"}',
    });
    const invocation = cloud.invocations('web').at(-1);
    expect(invocation).toMatchObject({ trigger: 'direct', outcome: 'success', event });
    const log = decodeLog(answer.LogResult);
    expect(log).toMatch(new RegExp(`^START RequestId: ${invocation?.requestId} Version: \\$LATEST\\n`));
    expect(log).toMatch(
      new RegExp(
        `END RequestId: ${invocation?.requestId}\\nREPORT RequestId: ${invocation?.requestId}\\tDuration: `,
      ),
    );
  });

  it('answers a function error with 200, X-Amz-Function-Error and the error document', async () => {
    // Act
    const response = await fetch(invocationsOf('stockroom-local-stockAlerts'), {
      method: 'POST',
      headers: { 'X-Amz-Log-Type': 'Tail' },
      body: JSON.stringify({ Records: 3 }),
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amz-function-error')).toBe('Unhandled');
    const failure = (await response.json()) as { errorType: string; errorMessage: string; trace: string[] };
    // The alerts and the history both read the records; whichever fails first is reported.
    expect(failure.errorType).toBe('TypeError');
    expect(failure.errorMessage).toMatch(/^[\w.]+ is not iterable$/);
    expect(failure.trace[0]).toBe(`TypeError: ${failure.errorMessage}`);
    const invocation = cloud.invocations('stockAlerts').at(-1);
    expect(response.headers.get('x-amzn-requestid')).toBe(invocation?.requestId);
    expect(decodeLog(response.headers.get('x-amz-log-result'))).toContain(
      `\t${invocation?.requestId}\tERROR\tInvoke Error \t{"errorType":"TypeError"`,
    );
  });

  it('queues an Event invocation: 202 at once, then retries, then the on-failure queue', async () => {
    // Prepare
    const before = cloud.invocations('importInventory').length;
    const event = { Records: 'not a list' };

    // Act
    const cli = await aws(
      ...['lambda', 'invoke', '--function-name', 'stockroom-local-importInventory'],
      ...['--invocation-type', 'Event', '--payload', `fileb://${await eventFile('bad.json', event)}`],
      join(scratch, 'event-out.json'),
    );

    // Assess: three attempts (Lambda's two retries), then the function's destination.
    expect(JSON.parse(cli.stdout)).toEqual({ StatusCode: 202 });
    const queue = cloud.queues.ImportFailuresQueue ?? '';
    const [failure] = await eventually(
      () => (cloud.failures(queue).length > 0 ? cloud.failures(queue) : undefined),
      {
        what: 'the failed event in the on-failure queue',
      },
    );
    expect(failure?.body).toMatchObject({
      requestPayload: event,
      requestContext: { approximateInvokeCount: 3 },
    });
    const attempts = cloud.invocations('importInventory').slice(before);
    expect(attempts.map((attempt) => [attempt.attempt, attempt.outcome])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
  });

  it('checks a DryRun without running the function', async () => {
    // Prepare
    const before = cloud.invocations('web').length;

    // Act
    const response = await fetch(invocationsOf('stockroom-local-web'), {
      method: 'POST',
      headers: { 'X-Amz-Invocation-Type': 'DryRun' },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(204);
    expect(cloud.invocations('web')).toHaveLength(before);
  });

  it.each([
    ['a payload that is not JSON', {}, 'not json', 400, 'InvalidRequestContentException'],
    ['an unknown invocation type', { 'X-Amz-Invocation-Type': 'Later' }, '{}', 400, 'ValidationException'],
    ['a payload over 6 MB', {}, `"${'x'.repeat(6 * 1024 * 1024)}"`, 413, 'RequestTooLargeException'],
    [
      'an Event payload over 1 MB',
      { 'X-Amz-Invocation-Type': 'Event' },
      `"${'x'.repeat(1024 * 1024)}"`,
      413,
      'RequestTooLargeException',
    ],
  ])('refuses %s without running the function', async (_what, headers, body, status, errorType) => {
    // Prepare
    const before = cloud.invocations('web').length;

    // Act
    const response = await fetch(invocationsOf('stockroom-local-web'), { method: 'POST', headers, body });

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('x-amzn-errortype')).toBe(errorType);
    expect(((await response.json()) as { message: string }).message.length).toBeGreaterThan(0);
    expect(cloud.invocations('web')).toHaveLength(before);
  });
});
