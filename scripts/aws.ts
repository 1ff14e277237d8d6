/**
 * `npm run aws -- <aws cli arguments>`: the AWS CLI pointed at the running local cloud, as
 * LocalStack's `awslocal` is — `npm run aws -- s3 ls`, `npm run aws -- dynamodb scan …`.
 * It reads `.local/endpoints.json` (or `$STOCKROOM_DATA_DIR/endpoints.json`), adds
 * `--endpoint-url` for the service named, and runs the CLI with the local cloud's dummy
 * credentials and region, whatever profile or credentials the terminal has.
 *
 * The endpoint is passed as `--endpoint-url` rather than as `AWS_ENDPOINT_URL_<SERVICE>`:
 * every CLI version takes the option, while the variables need CLI 1.29 / 2.13 or newer, and
 * Debian 12's `awscli` is 2.9. A service the local cloud does not have is refused, so that
 * a command meant for it never reaches AWS itself.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { localDataDir, readRunningEndpoints } from '../local/endpoints-file.ts';
import type { Endpoints } from '../local/types.ts';
import { howToGet } from './prerequisites.mjs';

/** The CLI's global options that take a value (`--region eu-west-1`), so their value is no service name. */
const OPTIONS_WITH_VALUES = new Set([
  '--endpoint-url',
  '--output',
  '--query',
  '--profile',
  '--region',
  '--color',
  '--ca-bundle',
  '--cli-read-timeout',
  '--cli-connect-timeout',
  '--cli-binary-format',
]);

/** The AWS CLI's service names the local cloud answers, and which of its endpoints serves each. */
function localEndpointOf(service: string, endpoints: Endpoints['endpoints']): string | undefined {
  const served: Record<string, string> = {
    s3: endpoints.s3,
    s3api: endpoints.s3,
    dynamodb: endpoints.dynamodb,
    dynamodbstreams: endpoints.dynamodb,
    sns: endpoints.sns,
    stepfunctions: endpoints.sns,
    // The Lambda API shares the SNS and Step Functions endpoint (older endpoints.json files lack its entry).
    lambda: endpoints.lambda ?? endpoints.sns,
  };
  return served[service];
}

/** The service a CLI command line names: its first word that is neither an option nor an option's value. */
function serviceOf(args: string[]): string | undefined {
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (!arg.startsWith('-')) return arg;
    if (!arg.includes('=') && OPTIONS_WITH_VALUES.has(arg)) index += 1;
  }
  return undefined;
}

/** Does something accept connections at this URL? */
function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

/** The CLI's arguments and environment for this command line, against the running local cloud. */
async function localCommand(args: string[]): Promise<{ args: string[]; env: NodeJS.ProcessEnv }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A profile or session token of the terminal would replace, or spoil, the local credentials.
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN']) {
    delete env[name];
  }
  // The local cloud takes any credentials; these are its own (LOCAL_CREDENTIALS of
  // local/cloud.ts, spelled out here because loading the local cloud costs every command a second).
  env.AWS_ACCESS_KEY_ID = 'local';
  env.AWS_SECRET_ACCESS_KEY = 'local';
  // CLI v2 pages what it prints to a terminal through `less`: off, unless the terminal asks for it.
  env.AWS_PAGER = process.env.AWS_PAGER ?? '';

  const service = serviceOf(args);
  // `aws --version`, `aws help`, `aws s3 help`: nothing to connect to.
  if (service === undefined || service === 'help' || args.at(-1) === 'help') return { args, env };

  const endpoints = await readRunningEndpoints();
  env.AWS_DEFAULT_REGION = endpoints.region;
  env.AWS_REGION = endpoints.region;
  // An endpoint given on the command line is the caller's choice.
  if (args.some((arg) => arg === '--endpoint-url' || arg.startsWith('--endpoint-url='))) return { args, env };
  const url = localEndpointOf(service, endpoints.endpoints);
  if (!url) {
    fail(
      `The local cloud has no "${service}": \`npm run aws\` knows s3, s3api, dynamodb, dynamodbstreams, sns, stepfunctions and lambda. For AWS itself, run \`aws\`.`,
      2,
    );
  }
  if (!(await answers(url))) {
    fail(
      `The local cloud is not running: nothing answers at ${url} (${service}, from ${join(localDataDir(), 'endpoints.json')}). Start it with \`npm start\` in another terminal.`,
    );
  }
  return { args: ['--endpoint-url', url, ...args], env };
}

const args = process.argv.slice(2);
if (args.length === 0) fail('Usage: npm run aws -- <aws cli arguments>   (e.g. npm run aws -- s3 ls)', 2);
const command = await localCommand(args);
const cli = spawn('aws', command.args, { stdio: 'inherit', env: command.env });
cli.once('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'ENOENT') fail(`Could not run the AWS CLI: ${error.message}`);
  fail(['The AWS CLI is not installed (no `aws` on the PATH). To get it:', ...howToGet('aws')].join('\n  '));
});
// Ctrl-C reaches the CLI with the rest of the terminal's process group; a signal sent to
// this process alone is passed on. Either way the CLI's own exit is the outcome.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => cli.kill(signal));
cli.once('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
