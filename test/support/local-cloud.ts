import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, startLocalCloud } from '../../local/cloud.ts';
import type { Endpoints, LocalCloud, LocalCloudOptions } from '../../local/types.ts';

/**
 * A local cloud for one test file: fresh state in a temporary directory, DynamoDB in
 * memory, free ports, quiet logs, short Lambda retry delays, and sign-in off unless
 * `auth: 'oidc'` (then the local OpenID provider runs, as under `npm start`; its URL is
 * `endpoints.endpoints.oidc`). `stop()` also removes the directory.
 */
export async function startTestCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stockroom-test-'));
  const cloud = await startLocalCloud({
    dataDir,
    inMemory: true,
    verbose: process.env.STOCKROOM_TEST_VERBOSE === '1',
    asyncRetryDelaysMs: [50, 100],
    auth: 'none',
    ...options,
  });
  return {
    ...cloud,
    endpoints: cloud.endpoints,
    dataDir: cloud.dataDir,
    tables: cloud.tables,
    queues: cloud.queues,
    stop: async () => {
      await cloud.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestClients {
  s3: S3Client;
  dynamoDb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  sns: SNSClient;
  sfn: SFNClient;
}

/** SDK clients of the test's own, pointed at the local cloud (not the handlers' clients). */
export function clientsFor(cloud: LocalCloud): TestClients {
  return clientsOfEndpoints(cloud.endpoints);
}

/** The same, from an `endpoints.json` (a cloud running in another process). */
export function clientsOfEndpoints({ region, endpoints }: Endpoints): TestClients {
  const common = { region, credentials: LOCAL_CREDENTIALS };
  const dynamoDb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  return {
    s3: new S3Client({
      ...common,
      endpoint: endpoints.s3,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    dynamoDb,
    documents: DynamoDBDocumentClient.from(dynamoDb),
    sns: new SNSClient({ ...common, endpoint: endpoints.sns }),
    sfn: new SFNClient({ ...common, endpoint: endpoints.sns }),
  };
}

/**
 * Polls `probe` until it returns something other than undefined, or fails after the
 * timeout with the last error or value described — async flows are awaited by polling
 * for their observable outcome, never by sleeping.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  {
    timeoutMs = 20_000,
    intervalMs = 100,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
