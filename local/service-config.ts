import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOfflineControlPlane } from '../scripts/offline-control-plane.ts';

/**
 * serverless.yml, resolved by the Serverless Framework itself (`serverless print`) for
 * one stage: every `${…}` variable is the value a deploy would use, so the local cloud
 * and a real deployment cannot drift apart. CloudFormation intrinsics (`!Ref`,
 * `!GetAtt`) are left as they are; `StackResources` (resources.ts) maps them to the
 * local stand-ins.
 */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface FunctionEventS3 {
  s3: { bucket: string; event?: string; rules?: { prefix?: string; suffix?: string }[]; existing?: boolean };
}
export interface FunctionEventStream {
  stream: {
    type?: string;
    arn: Json;
    batchSize?: number;
    batchWindow?: number;
    startingPosition?: 'LATEST' | 'TRIM_HORIZON';
    maximumRetryAttempts?: number;
    maximumRecordAgeInSeconds?: number;
    bisectBatchOnFunctionError?: boolean;
    functionResponseType?: 'ReportBatchItemFailures';
    enabled?: boolean;
    destinations?: { onFailure?: { arn: Json; type?: string } | string };
  };
}
export interface FunctionEventHttpApi {
  httpApi: string | { method: string; path: string; authorizer?: unknown };
}
export type FunctionEvent =
  | FunctionEventS3
  | FunctionEventStream
  | FunctionEventHttpApi
  | Record<string, unknown>;

export interface FunctionDefinition {
  name: string;
  handler: string;
  memorySize?: number;
  timeout?: number;
  environment?: Record<string, Json>;
  events?: FunctionEvent[];
  maximumRetryAttempts?: number;
  reservedConcurrency?: number;
  destinations?: { onFailure?: { arn: Json; type?: string } | string };
}

export interface CloudFormationResource {
  Type: string;
  Properties?: Record<string, Json>;
  Condition?: string;
}

export interface ServiceConfig {
  service: string;
  provider: {
    stage: string;
    region: string;
    timeout?: number;
    memorySize?: number;
    environment?: Record<string, Json>;
    s3?: Record<string, { name?: string }>;
  };
  functions: Record<string, FunctionDefinition>;
  resources?: {
    Resources?: Record<string, CloudFormationResource>;
    extensions?: Record<string, Partial<CloudFormationResource>>;
  };
  stepFunctions?: { stateMachines?: Record<string, { name?: string; definition: Json }> };
  custom?: Record<string, Json>;
}

const run = promisify(execFile);

async function printConfig(stage: string, region: string): Promise<ServiceConfig> {
  const controlPlane = await startOfflineControlPlane();
  try {
    const { stdout } = await run(
      join(projectRoot, 'node_modules/.bin/serverless'),
      ['print', '--stage', stage, '--region', region, '--format', 'json'],
      { cwd: projectRoot, env: { ...process.env, ...controlPlane.env }, maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(stdout) as ServiceConfig;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-15).join('\n');
    const problem = `Could not resolve serverless.yml for stage "${stage}":\n${detail ?? String(error)}`;
    throw new Error(problem, { cause: error });
  } finally {
    await controlPlane.close();
  }
}

/**
 * Resolving takes a couple of seconds (it loads the framework and its plugins), so the
 * result is cached by the content of serverless.yml, package.json, stage and region.
 */
export async function loadServiceConfig(stage: string, region: string): Promise<ServiceConfig> {
  const sources = await Promise.all(
    ['serverless.yml', 'package.json'].map((file) => readFile(join(projectRoot, file), 'utf8')),
  );
  const key = createHash('sha256')
    .update(JSON.stringify([...sources, stage, region]))
    .digest('hex');
  const cacheFile = join(tmpdir(), 'stockroom-config-cache', `${key.slice(0, 16)}.json`);
  try {
    return JSON.parse(await readFile(cacheFile, 'utf8')) as ServiceConfig;
  } catch {
    const config = await printConfig(stage, region);
    await mkdir(dirname(cacheFile), { recursive: true });
    await writeFile(`${cacheFile}.${process.pid}`, JSON.stringify(config));
    await rename(`${cacheFile}.${process.pid}`, cacheFile);
    return config;
  }
}
