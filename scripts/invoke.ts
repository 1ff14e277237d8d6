/**
 * `npm run invoke -- <function> [event.json | -]`: runs one function of the local cloud with
 * an event (a file, `-` for stdin, `{}` without one) and prints its log and its result.
 * The function is its key in serverless.yml (`web`) or its name (`stockroom-local-web`).
 *
 * While `npm start` runs, the invocation goes through its Lambda API, so the function sees
 * the running emulators and their state. Otherwise a local cloud is started in this process
 * for the invocation (with the same state, under `.local/`, and only that function), then
 * stopped in order. Exit status: 0, 1 when the function failed, 2 for a bad command line.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join, relative } from 'node:path';
import { LOCAL_STAGE, startLocalCloud } from '../local/cloud.ts';
import { localDataDir } from '../local/endpoints-file.ts';
import { routeFunctionOutput } from '../local/logs.ts';
import { projectRoot } from '../local/service-config.ts';
import type { Endpoints, LocalCloud } from '../local/types.ts';
import { localStack } from './sample-events.ts';

const USAGE =
  'Usage: npm run invoke -- <function> [event.json | -]   (npm run invoke -- --help lists the functions)';

/** A path as the user would type it: relative inside the project, absolute elsewhere. */
const shown = (path: string): string =>
  path.startsWith(`${projectRoot}/`) ? relative(projectRoot, path) : path;

function refuse(problem: string): never {
  console.error(problem);
  process.exit(2);
}

interface Invocation {
  status: number;
  functionError?: string;
  /** x-amzn-ErrorType, when the API refused the call. */
  refusal?: string;
  log: string;
  payload: string;
}

/** The event's text: checked to be JSON here, so that a typo is named before anything starts. */
async function readEvent(source: string | undefined): Promise<string> {
  if (source === undefined) return '{}';
  let text: string;
  try {
    text = source === '-' ? await readStdin() : await readFile(source, 'utf8');
  } catch (error) {
    refuse(`Cannot read the event ${source}: ${(error as Error).message}`);
  }
  try {
    JSON.parse(text);
  } catch (error) {
    refuse(`The event ${source === '-' ? 'on stdin' : source} is not JSON: ${(error as Error).message}`);
  }
  return text;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The Lambda API of the running `npm start`, when its endpoints file names one that answers. */
async function runningLambdaApi(): Promise<string | undefined> {
  let endpoints: Partial<Endpoints>;
  try {
    endpoints = JSON.parse(await readFile(join(localDataDir(), 'endpoints.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const url = endpoints.endpoints?.lambda;
  if (url === undefined) return undefined;
  try {
    const response = await fetch(`${url}/2015-03-31/functions/`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Invoke (RequestResponse, with the log's tail), over node:http rather than fetch: fetch gives
 * up waiting for an answer after 5 minutes, and a function may run for 15.
 */
function invoke(api: string, functionName: string, payload: string): Promise<Invocation> {
  const url = `${api}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
  const headers = { 'content-type': 'application/json', 'x-amz-log-type': 'Tail' };
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const header = (name: string) => response.headers[name] as string | undefined;
        resolve({
          status: response.statusCode ?? 0,
          functionError: header('x-amz-function-error'),
          refusal: header('x-amzn-errortype'),
          log: Buffer.from(header('x-amz-log-result') ?? '', 'base64').toString('utf8'),
          payload: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    sent.on('error', reject);
    sent.end(payload);
  });
}

/**
 * A local cloud for one invocation, quiet: what it prints is held back (and shown only if it
 * fails to start), the function's own log lines reach `.local/logs/functions.jsonl` as under
 * `npm start`, and its log comes back from the Lambda API as it would from AWS.
 */
async function withLocalCloud<T>(key: string, run: (cloud: LocalCloud) => Promise<T>): Promise<T> {
  console.error(
    `No local cloud is running: starting one for this invocation (state in ${shown(localDataDir())})…`,
  );
  const held: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      held.push(String(chunk));
      const done = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof stream.write;
  }
  const release = () => {
    for (const [index, stream] of streams.entries()) stream.write = writes[index] as typeof stream.write;
  };
  let cloud: LocalCloud;
  try {
    const auth = process.env.STOCKROOM_AUTH === 'none' ? 'none' : 'oidc';
    cloud = await startLocalCloud({ dataDir: localDataDir(), verbose: true, functions: [key], auth });
  } catch (error) {
    release();
    console.error(`${held.join('')}The local cloud could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  const unroute = routeFunctionOutput(cloud.dataDir, false);
  try {
    return await run(cloud);
  } finally {
    await cloud.stop();
    unroute();
    release();
  }
}

async function main(args: string[]): Promise<number> {
  const stack = await localStack();
  const functions = Object.entries(stack.config.functions);
  const known = functions.map(([key, fn]) => `  ${key.padEnd(28)}${fn.name}`).join('\n');
  const [wanted, source, ...extra] = args;
  if (wanted === undefined || wanted === '--help' || wanted === '-h') {
    console.log(`${USAGE}\n\nFunctions (key, then name):\n${known}`);
    return wanted === undefined ? 2 : 0;
  }
  if (extra.length > 0) refuse(`Unexpected ${extra.join(' ')}\n${USAGE}`);
  const name = wanted.slice(wanted.lastIndexOf(':') + 1);
  const found = functions.find(([key, fn]) => key === name || fn.name === name);
  if (!found)
    refuse(`No function "${wanted}" in serverless.yml (stage ${LOCAL_STAGE}). The functions:\n${known}`);
  const [key, definition] = found;
  const payload = await readEvent(source);
  const running = await runningLambdaApi();
  const [api, invocation] = running
    ? [running, await invoke(running, definition.name, payload)]
    : await withLocalCloud(key, async (cloud) => {
        const { lambda } = cloud.endpoints.endpoints;
        return [lambda, await invoke(lambda, definition.name, payload)] as const;
      });
  return report(key, api, invocation);
}

/** The log on stderr, the result (or error) as JSON on stdout, a failure named in one line. */
function report(
  key: string,
  api: string,
  { status, functionError, refusal, log, payload }: Invocation,
): number {
  if (status !== 200) {
    const { message, Message } = JSON.parse(payload || '{}') as { message?: string; Message?: string };
    console.error(
      `The local cloud's Lambda API (${api}) refused the call: ${refusal}: ${message ?? Message}`,
    );
    return 1;
  }
  process.stderr.write(log);
  // X-Amz-Log-Result holds the last 4 KB: say where the rest is.
  if (Buffer.byteLength(log) >= 4000)
    console.error(
      `(the log's last 4 KB; all of it is in ${shown(join(localDataDir(), 'logs', 'functions.jsonl'))})`,
    );
  const result = JSON.parse(payload || 'null') as unknown;
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!functionError) return 0;
  const { errorType, errorMessage } = result as { errorType?: string; errorMessage?: string };
  console.error(`${key} failed: ${errorType}: ${errorMessage}`);
  return 1;
}

const code = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error((error as Error).message);
  return 1;
});
process.exitCode = code;
// Whatever a handler module left running (a timer, a socket) does not keep the command open.
setTimeout(() => process.exit(code), 2000).unref();
