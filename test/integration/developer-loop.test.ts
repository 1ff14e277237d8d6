import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DynamoDBRecord, S3EventRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../local/service-config.ts';
import type { InvocationRecord, LocalCloud } from '../../local/types.ts';
import { buildEvent, localStack, SAMPLES, sampleFromArgs } from '../../scripts/sample-events.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';
import { solid } from '../unit/shared/images/fixtures.ts';

/**
 * `npm run event` and `npm run invoke` (scripts/), run as a developer runs them, against a
 * local cloud started by the test: what `event` builds is what the cloud itself delivers,
 * and `invoke` runs every function of serverless.yml with such an event.
 */
let cloud: LocalCloud;
let clients: TestClients;
let scratch: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  clients = clientsFor(cloud);
  scratch = await mkdtemp(join(tmpdir(), 'developer-loop-'));
});

afterAll(async () => {
  await cloud?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `tsx scripts/<name>.ts <args>`, as `npm run <name> -- <args>` runs it, pointed at `dataDir`. */
function script(
  name: string,
  args: string[],
  { dataDir = cloud.dataDir, input = '', env = {} } = {},
): Promise<Run> {
  const child = spawn(join(projectRoot, 'node_modules/.bin/tsx'), [`scripts/${name}.ts`, ...args], {
    cwd: projectRoot,
    env: { ...process.env, STOCKROOM_DATA_DIR: dataDir, ...env },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  child.stdin.end(input);
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    ),
  );
}

async function event(args: string[]): Promise<{ Records: unknown[] } & Record<string, unknown>> {
  const made = await script('event', args);
  expect(made.stderr).toBe('');
  return JSON.parse(made.stdout);
}

/** Values that differ from one event to the next (times, ids, sequence numbers): their type only. */
const VOLATILE = new Set([
  ...['eventTime', 'principalId', 'x-amz-request-id', 'x-amz-id-2', 'sequencer'],
  ...['eventID', 'ApproximateCreationDateTime', 'SequenceNumber', 'SizeBytes', 'eventSourceARN', 'updatedAt'],
  ...['requestId', 'time', 'timeEpoch'],
]);

function masked(value: unknown, volatile = VOLATILE): unknown {
  if (Array.isArray(value)) return value.map((item) => masked(item, volatile));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, inner]) => [
      name,
      volatile.has(name) ? typeof inner : masked(inner, volatile),
    ]),
  );
}

/** The newest invocation of a function (by a trigger) whose event has a record matching `match`. */
function delivered<T>(key: string, match: (record: T) => boolean): Promise<T> {
  return eventually(
    () => {
      const found = cloud
        .invocations(key)
        .flatMap((invocation) => ((invocation.event as { Records?: T[] }).Records ?? []).filter(match));
      return found.at(-1);
    },
    { what: `an event of ${key}` },
  );
}

describe('npm run event', () => {
  it('builds the S3 events the local cloud delivers for an upload and a delete', async () => {
    // Prepare
    const image = await solid(40, 30, '#cc3333', 'jpeg');
    const file = join(scratch, 'red shoe.jpg');
    await writeFile(file, image);
    const { uploads } = cloud.endpoints.buckets;
    const key = 'images/loop/red shoe+1.jpg';
    const sameKey = (record: S3EventRecord) => record.s3.object.key === 'images/loop/red+shoe%2B1.jpg';

    // Act
    await clients.s3.send(new PutObjectCommand({ Bucket: uploads, Key: key, Body: image }));
    const put = await delivered<S3EventRecord>(
      'thumbnails',
      (record) => sameKey(record) && record.eventName.startsWith('ObjectCreated'),
    );
    await clients.s3.send(new DeleteObjectCommand({ Bucket: uploads, Key: key }));
    const removed = await delivered<S3EventRecord>(
      'thumbnails',
      (record) => sameKey(record) && record.eventName.startsWith('ObjectRemoved'),
    );
    const [builtPut] = (await event(['s3-put', '--key', key, '--file', file])).Records;
    const [builtDelete] = (await event(['s3-delete', '--key', key])).Records;

    // Assess
    expect(masked(builtPut)).toEqual(masked(put));
    expect(masked(builtDelete)).toEqual(masked(removed));
  });

  it('builds the stream records the local cloud delivers for an insert and a change to 0', async () => {
    // Prepare
    const { uploads } = cloud.endpoints.buckets;
    const importCsv = (body: string) =>
      clients.s3.send(new PutObjectCommand({ Bucket: uploads, Key: 'inventory/counts.csv', Body: body }));
    const ofItem = (eventName: string) => (record: DynamoDBRecord) =>
      record.eventName === eventName && record.dynamodb?.Keys?.item?.S === 'loop pear';

    // Act
    await importCsv('store,item,count\nLoop,loop pear,3\n');
    const inserted = await delivered('stockAlerts', ofItem('INSERT'));
    await importCsv('store,item,count\nLoop,loop pear,0\n');
    const modified = await delivered('stockAlerts', ofItem('MODIFY'));
    const item = ['--store', 'Loop', '--item', 'loop pear'];
    const [builtInsert] = (await event(['stream-insert', ...item, '--count', '3'])).Records;
    const [builtModify] = (await event(['stream-modify', ...item, '--old-count', '3', '--count', '0']))
      .Records;

    // Assess: the same record, but for its times, ids and the source file's ETag.
    const volatile = new Set([...VOLATILE, 'etag']);
    expect(masked(builtInsert, volatile)).toEqual(masked(inserted, volatile));
    expect(masked(builtModify, volatile)).toEqual(masked(modified, volatile));
  });

  it('builds the HTTP API event the local cloud delivers for a request', async () => {
    // Prepare: the request `npm run event -- http-get` describes (curl's headers), and one more.
    // A route without parameters: the web function's router adds `pathParameters` to the event
    // object it is given, and the invocation record holds that same object.
    const path = '/api/stores?limit=5&limit=6';
    const headers = {
      Host: '127.0.0.1:3000',
      'User-Agent': 'curl/8.5.0',
      Accept: '*/*',
      Connection: 'close',
    };
    const { port } = new URL(cloud.endpoints.endpoints.http);

    // Act
    await new Promise<void>((resolve, reject) =>
      request({ host: '127.0.0.1', port, path, headers, agent: false }, (response) =>
        response.resume().on('end', resolve),
      )
        .on('error', reject)
        .end(),
    );
    const sent = (await eventually(() =>
      cloud
        .invocations('web')
        .findLast((invocation) => (invocation.event as { rawPath?: string }).rawPath === '/api/stores'),
    )) as InvocationRecord;
    const built = await event(['http-get', path, '--header', 'Connection: close']);

    // Assess
    expect(masked(built)).toEqual(masked(sent.event));
  });

  it('made the committed samples under events/, and makes them again the same', async () => {
    // Prepare
    const stack = await localStack();
    const out = join(scratch, 'sample.json');
    const [first] = SAMPLES;

    // Act
    const written = await script('event', [...(first?.args ?? []), '--out', out]);

    // Assess
    expect(written.code).toBe(0);
    expect(masked(JSON.parse(await readFile(out, 'utf8')))).toEqual(
      masked(JSON.parse(await readFile(join(projectRoot, first?.file ?? ''), 'utf8'))),
    );
    for (const sample of SAMPLES) {
      const { kind, options } = sampleFromArgs(sample.args);
      const committed = JSON.parse(await readFile(join(projectRoot, sample.file), 'utf8'));
      expect(masked(buildEvent(kind, options, stack)), sample.file).toEqual(masked(committed));
    }
  });

  it('says what is wrong with a command line', async () => {
    // Act
    const unknown = await script('event', ['s3-upload']);
    const badCount = await script('event', ['stream-insert', '--count', 'many']);

    // Assess
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain('Unknown kind "s3-upload": one of s3-put, s3-delete');
    expect(badCount.code).toBe(2);
    expect(badCount.stderr).toContain('--count many: expected a whole number');
  });
});

/**
 * What an invoke must show: the running cloud ran the function ('direct') with exactly the
 * event given, and the command reported that invocation: its log, its result or error, its
 * exit status.
 */
async function invokedInTheCloud(key: string, eventFile: string): Promise<InvocationRecord> {
  const event: unknown = JSON.parse(await readFile(eventFile, 'utf8'));
  const invoked = await script('invoke', [key, eventFile]);
  const record = cloud
    .invocations(key)
    .findLast(
      (candidate) =>
        candidate.trigger === 'direct' && JSON.stringify(candidate.event) === JSON.stringify(event),
    );
  expect(record, `a direct invocation of ${key} with the event`).toBeDefined();
  const { requestId, outcome, result, errorType, errorMessage } = record as InvocationRecord;
  expect(invoked.stderr).toMatch(new RegExp(`^START RequestId: ${requestId} Version: \\$LATEST\\n`));
  expect(invoked.stderr).toContain(`REPORT RequestId: ${requestId}\t`);
  if (outcome === 'success') {
    expect(invoked.code, invoked.stderr).toBe(0);
    expect(JSON.parse(invoked.stdout)).toEqual(JSON.parse(JSON.stringify(result ?? null)));
  } else {
    expect(invoked.code).toBe(1);
    expect(JSON.parse(invoked.stdout)).toMatchObject({ errorType, errorMessage });
    expect(invoked.stderr).toContain(`${key} failed: ${errorType}: ${errorMessage}`);
  }
  return record as InvocationRecord;
}

async function waitForExecution(executionArn: string): Promise<void> {
  await eventually(
    async () => {
      const { status } = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return status === 'RUNNING' ? undefined : status;
    },
    { timeoutMs: 90_000, what: `execution ${executionArn}` },
  );
}

describe('npm run invoke', () => {
  it('runs each function of an S3, stream or HTTP trigger with the event npm run event builds', async () => {
    // Prepare: the objects the S3 events name exist (their uploads ran the functions once already).
    const { uploads } = cloud.endpoints.buckets;
    const image = join(scratch, 'invoked.png');
    const csv = join(scratch, 'invoked.csv');
    await writeFile(image, await solid(30, 20, '#3333cc', 'png'));
    await writeFile(csv, 'store,item,count\nInvoked,apple,4\n');
    await clients.s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: 'images/loop/invoked.png', Body: await readFile(image) }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: 'inventory/loop/invoked.csv', Body: await readFile(csv) }),
    );
    const cases: [string, string[]][] = [
      ['web', ['http-get', '/healthz']],
      ['thumbnails', ['s3-put', '--key', 'images/loop/invoked.png', '--file', image]],
      ['importInventory', ['s3-put', '--key', 'inventory/loop/invoked.csv', '--file', csv]],
      [
        'stockAlerts',
        ['stream-modify', '--store', 'Invoked', '--item', 'pear', '--old-count', '2', '--count', '0'],
      ],
      ['storeSummaries', ['stream-insert', '--store', 'Invoked', '--item', 'plum', '--count', '7']],
    ];

    for (const [key, args] of cases) {
      // Act
      const file = join(scratch, `${key}.json`);
      expect((await script('event', [...args, '--out', file])).code).toBe(0);
      const record = await invokedInTheCloud(key, file);

      // Assess: a well-formed event of each kind succeeds.
      expect(record.outcome, `${key}: ${record.errorType} ${record.errorMessage}`).toBe('success');
    }
  });

  it("runs each Step Functions task with the input the cloud's own execution gave it", async () => {
    // Prepare: an execution of each state machine records what every task was given.
    const { uploads } = cloud.endpoints.buckets;
    const rows = Array.from({ length: 40 }, (_, row) => `Workflow,item-${row},${row}`).join('\n');
    await clients.s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: 'loop/large.csv', Body: `store,item,count\n${rows}\n` }),
    );
    const machines = cloud.endpoints.stateMachines;
    const inputs = [
      [machines.largeImport, { bucket: uploads, key: 'loop/large.csv', rangeBytes: 200 }],
      [machines.rebuildThumbnails, { prefix: 'images/loop/', sizes: [100] }],
    ] as const;
    for (const [stateMachineArn, input] of inputs) {
      const started = await clients.sfn.send(
        new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
      );
      await waitForExecution(started.executionArn ?? '');
    }
    const tasks = Object.keys((await localStack()).config.functions).filter((key) =>
      cloud.invocations(key).some((invocation) => invocation.trigger === 'stepFunctions'),
    );
    const given = tasks.map(
      (key) =>
        [
          key,
          cloud.invocations(key).find((invocation) => invocation.trigger === 'stepFunctions')?.event,
        ] as const,
    );

    // Act and assess
    expect(tasks.sort()).toEqual([
      'largeImportPlan',
      'largeImportRange',
      'largeImportReconcile',
      'largeImportSummarise',
      'rebuildThumbnailsBatch',
      'rebuildThumbnailsList',
      'rebuildThumbnailsSummarise',
    ]);
    for (const [key, event] of given) {
      const file = join(scratch, `${key}.json`);
      await writeFile(file, JSON.stringify(event));
      await invokedInTheCloud(key, file);
    }
  });

  it('reports a function error with its type and message, and exits 1', async () => {
    // Act
    const failed = await script('invoke', ['stockAlerts', '-'], { input: '{"Records": 3}' });

    // Assess
    expect(failed.code).toBe(1);
    // The alerts and the history both read the records; whichever fails first is reported.
    const error = JSON.parse(failed.stdout);
    expect(error.errorType).toBe('TypeError');
    expect(error.errorMessage).toMatch(/^[\w.]+ is not iterable$/);
    expect(failed.stderr).toContain('\tERROR\tInvoke Error \t');
    expect(failed.stderr).toContain(`stockAlerts failed: TypeError: ${error.errorMessage}`);
  });

  it('names an unknown function, an unreadable event and one that is not JSON, and runs nothing', async () => {
    // Prepare
    const before = cloud.invocations().length;

    // Act
    const unknown = await script('invoke', ['stockAlarms']);
    const missing = await script('invoke', ['web', join(scratch, 'missing.json')]);
    const notJson = await script('invoke', ['web', '-'], { input: '{"rawPath": "/",' });

    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No function "stockAlarms" in serverless.yml');
    expect(unknown.stderr).toMatch(/stockAlerts +stockroom-local-stockAlerts/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`Cannot read the event ${join(scratch, 'missing.json')}: ENOENT`);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('The event on stdin is not JSON');
    expect(cloud.invocations()).toHaveLength(before);
  });

  it('starts a local cloud for the invocation when none is running, and stops it after', async () => {
    // Prepare: state of its own, and no endpoints file in it.
    const dataDir = await mkdtemp(join(tmpdir(), 'developer-loop-cold-'));

    try {
      // Act
      const invoked = await script('invoke', ['stockroom-local-web', 'events/http-get-home.json'], {
        dataDir,
        env: { STOCKROOM_AUTH: 'none' },
      });

      // Assess
      expect(invoked.code, invoked.stderr).toBe(0);
      expect(invoked.stderr).toContain('No local cloud is running: starting one for this invocation');
      expect(invoked.stderr).toMatch(/START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
      expect(JSON.parse(invoked.stdout)).toMatchObject({
        statusCode: 200,
        headers: { 'content-type': 'text/html; charset=utf-8' },
      });
      // Stopped in order: DynamoDB Local (a JVM on that state) is gone too.
      const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(processes).not.toContain(dataDir);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
