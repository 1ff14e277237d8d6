/**
 * `npm start`: the whole of Stockroom on this machine, in the foreground, until Ctrl-C.
 * Options: `--clean` starts from empty state; `--watch` reloads a function when its files
 * change (local/watch.ts). Ports: STOCKROOM_S3_PORT (4569),
 * STOCKROOM_DYNAMODB_PORT (8000), STOCKROOM_AWS_PORT (4575, SNS and Step Functions),
 * STOCKROOM_HTTP_PORT (3000), STOCKROOM_OIDC_PORT (4590, the OpenID provider),
 * STOCKROOM_SMTP_PORT (2525, mail-in). State:
 * STOCKROOM_DATA_DIR (`.local/`). Sign-in: on, unless STOCKROOM_AUTH=none. Ctrl-C (or
 * SIGTERM, SIGHUP) gives running invocations STOCKROOM_STOP_GRACE_SECONDS (30) to finish;
 * a second one stops at once.
 */
import { relative } from 'node:path';
import { startLocalCloud } from './cloud.ts';
import { localDataDir } from './endpoints-file.ts';
import { LOCAL_PASSWORD, LOCAL_USERS } from './identity-provider.ts';
import { routeFunctionOutput, verboseLogs } from './logs.ts';
import { PORT_VARIABLES, type PortName } from './service.ts';
import { projectRoot } from './service-config.ts';
import type { LocalCloud } from './types.ts';

function refuse(problem: string): never {
  console.error(problem);
  process.exit(1);
}

function port(name: PortName): number {
  const [variable, fallback] = PORT_VARIABLES[name];
  const value = process.env[variable];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535)
    refuse(`${variable}=${value} is not a port number`);
  return parsed;
}

const auth = process.env.STOCKROOM_AUTH || 'oidc';
if (auth !== 'oidc' && auth !== 'none')
  refuse(`STOCKROOM_AUTH=${auth}: use none (sign-in off) or oidc (the default)`);

const graceVariable = process.env.STOCKROOM_STOP_GRACE_SECONDS || '30';
const graceSeconds = Number(graceVariable);
if (!(graceSeconds >= 0)) refuse(`STOCKROOM_STOP_GRACE_SECONDS=${graceVariable} is not a number of seconds`);

let cloud: LocalCloud | undefined;
let stopping = false;
const dataDirOf = (where: LocalCloud) => relative(projectRoot, where.dataDir) || '.';

/** Exits now: the S3 events' journal and the stream checkpoints pick up at the next start. */
function stopAtOnce(running: LocalCloud, why: string): never {
  const cut = running.running();
  refuse(
    `${why}: stopped at once${cut ? `, cutting short ${cut}` : ''}; unfinished S3 events and Step Functions executions go on at the next start.`,
  );
}

/** The first signal stops in order (exit 0); a second, or the grace period's end, stops at once (exit 1). */
async function shutdown(signal: string): Promise<void> {
  if (!cloud) refuse(`\n${signal} while starting: stopped.`);
  if (stopping) stopAtOnce(cloud, `\n${signal} again`);
  stopping = true;
  const running = cloud;
  console.log(`\n${signal}: stopping the local cloud (a second ${signal} stops at once)…`);
  const force = setTimeout(() => refuse('Stopping took too long; exiting.'), (graceSeconds + 20) * 1000);
  const unfinished = () => stopAtOnce(running, `The ${graceSeconds} s grace period is over`);
  await cloud.stop({ graceMs: graceSeconds * 1000, unfinished });
  clearTimeout(force);
  console.log(`Stopped. State is kept in ${dataDirOf(cloud)}/ (\`npm run start:clean\` starts empty).`);
  process.exit(0);
}
// The JVM has a process group of its own: a terminal's signals reach only this process.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(signal));

const startedAt = Date.now();
console.log('Starting the Stockroom local cloud…');
try {
  cloud = await startLocalCloud({
    dataDir: localDataDir(),
    clean: process.argv.includes('--clean'),
    watch: process.argv.includes('--watch'),
    verbose: true,
    auth,
    ports: Object.fromEntries((Object.keys(PORT_VARIABLES) as PortName[]).map((name) => [name, port(name)])),
  });
} catch (error) {
  console.error(`\nThe local cloud could not start:\n  ${(error as Error).message.replace(/\n/g, '\n  ')}\n`);
  process.exit(1);
}

// After the start: `--clean` empties the data folder first.
routeFunctionOutput(cloud.dataDir, verboseLogs());
const { endpoints } = cloud;
const dataDir = dataDirOf(cloud);
const groupsOf = (groups: string[]) => groups.join(', ') || '(no group: signed in, no access)';
const users = LOCAL_USERS.map(
  ({ email, groups }) => `\n${' '.repeat(19)}${email.padEnd(26)}${groupsOf(groups)}`,
);
const signIn = endpoints.endpoints.oidc
  ? `sign in with a seeded user, password ${LOCAL_PASSWORD}:${users.join('')}
  OpenID provider  ${endpoints.endpoints.oidc}`
  : 'sign-in is off (STOCKROOM_AUTH=none)';
const mail = endpoints.endpoints.smtp
  ? `  Mail (SMTP)      ${endpoints.endpoints.smtp}   npm run mail -- <file.csv>\n`
  : '';
console.log(`
Stockroom is running locally (${((Date.now() - startedAt) / 1000).toFixed(1)} s).

  Dashboard        ${endpoints.endpoints.http}/   ${signIn}
  Health           ${endpoints.endpoints.http}/healthz
  S3               ${endpoints.endpoints.s3}   uploads: ${endpoints.buckets.uploads}
  DynamoDB         ${endpoints.endpoints.dynamodb}   table: ${endpoints.tables.inventory}
  SNS, SFN, Lambda ${endpoints.endpoints.sns}
${mail}  State machines   ${Object.keys(endpoints.stateMachines).join(', ') || '(none)'}

  Endpoints file   ${dataDir}/endpoints.json
  SNS messages     ${dataDir}/sns-outbox.jsonl
  Failed events    ${dataDir}/failures/<queue>.jsonl
  Function logs    ${dataDir}/logs/functions.jsonl   (STOCKROOM_LOG=verbose prints them here too)
  Code changes     ${process.argv.includes('--watch') ? 'reload the functions they touch' : 'need a restart, or `npm start -- --watch`'}
  Upload a file    npm run upload -- <file> [key]     (e.g. npm run upload -- stock.csv inventory/stock.csv)

Press Ctrl-C to stop. Running invocations get ${graceSeconds} s to finish; a second Ctrl-C stops at once.
`);
