import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../local/service-config.ts';
import type { Endpoints } from '../../local/types.ts';
import { eventually } from './local-cloud.ts';

/**
 * `npm start` (local/main.ts) in a process of its own, for the tests that signal it or
 * kill its parts: on free ports, with sign-in off, its output kept. It leads a process group
 * of its own, as a terminal's foreground job does, so that `terminal('SIGINT')` is Ctrl-C:
 * the signal goes to every process of the group.
 */
export type Ports = Record<'s3' | 'dynamodb' | 'aws' | 'http' | 'oidc' | 'smtp', number>;

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function freePorts(): Promise<Ports> {
  return {
    s3: await freePort(),
    dynamodb: await freePort(),
    aws: await freePort(),
    http: await freePort(),
    oidc: await freePort(),
    smtp: await freePort(),
  };
}

export interface NpmStart {
  child: ChildProcessWithoutNullStreams;
  dataDir: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** stdout and stderr, interleaved as they came. */
  output(): string;
  /** stderr alone. */
  stderr(): string;
  /** Resolves once the output contains `text`. */
  printed(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** `.local/endpoints.json` of this run (once started). */
  endpoints(): Promise<Endpoints>;
  /** What a terminal does on Ctrl-C (SIGINT) or when closed (SIGHUP): signals the whole group. */
  terminal(signal: NodeJS.Signals): void;
  /** Cleanup: SIGKILL to the group and to any DynamoDB Local on this data directory. */
  kill(): void;
}

/** The last command of package.json's `start` (after the prerequisite check). */
const START_COMMAND = (
  JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).scripts.start as string
)
  .split('&&')
  .at(-1)
  ?.trim();

export function npmStart(
  dataDir: string,
  ports: Ports,
  env: Record<string, string> = {},
  args: string[] = [],
): NpmStart {
  // The start script's command that runs the cloud, as npm runs it (through a shell), but
  // exec'd so that the exit code is the cloud's own: what sits between the terminal and the
  // cloud decides how many signals it gets (a relaying `tsx` CLI once made one Ctrl-C two).
  const quoted = args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`);
  const command = ['exec env', START_COMMAND, ...quoted].join(' ');
  const child = spawn('sh', ['-c', command], {
    cwd: projectRoot,
    detached: true,
    env: {
      ...process.env,
      STOCKROOM_AUTH: 'none',
      ...env,
      STOCKROOM_DATA_DIR: dataDir,
      STOCKROOM_S3_PORT: String(ports.s3),
      STOCKROOM_DYNAMODB_PORT: String(ports.dynamodb),
      STOCKROOM_AWS_PORT: String(ports.aws),
      STOCKROOM_HTTP_PORT: String(ports.http),
      STOCKROOM_OIDC_PORT: String(ports.oidc),
      STOCKROOM_SMTP_PORT: String(ports.smtp),
    },
  });
  let output = '';
  let stderr = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', (chunk: Buffer) => {
    keep(chunk);
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = async (text: string | RegExp, timeoutMs = 90_000): Promise<void> => {
    const found = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
    await eventually(() => (found() ? true : undefined), {
      timeoutMs,
      what: `${text} in the output:\n${output}`,
    });
  };
  const endpoints = async () => JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
  const terminal = (signal: NodeJS.Signals) => process.kill(-(child.pid as number), signal);
  const kill = () => {
    for (const pid of [child.pid as number, ...dynamoDbLocalPids(dataDir)]) {
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    }
  };
  return {
    child,
    dataDir,
    exited,
    output: () => output,
    stderr: () => stderr,
    printed,
    endpoints,
    terminal,
    kill,
  };
}

/** The pids of the DynamoDB Local JVMs that keep their files in this data directory. */
export function dynamoDbLocalPids(dataDir: string): number[] {
  const listing = execFileSync('ps', ['-ww', '-eo', 'pid=,args='], { encoding: 'utf8' });
  return listing
    .split('\n')
    .filter((line) => line.includes('DynamoDBLocal') && line.includes(join(dataDir, 'dynamodb')))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/** Is any process left in this process group? */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An object as the local S3 keeps it on disk (readable after the cloud has stopped). */
export function storedObject(dataDir: string, bucket: string, key: string): Promise<string> {
  return readFile(join(dataDir, 's3', bucket, `${key}._S3rver_object`), 'utf8');
}
