/**
 * `npm start`: the whole of Stockroom on this machine, in the foreground, until Ctrl-C.
 * Options: `--clean` starts from empty state. Ports: STOCKROOM_S3_PORT (4569),
 * STOCKROOM_DYNAMODB_PORT (8000), STOCKROOM_AWS_PORT (4575, SNS and Step Functions),
 * STOCKROOM_HTTP_PORT (3000). State: STOCKROOM_DATA_DIR (`.local/`).
 */
import { relative } from 'node:path';
import { startLocalCloud } from './cloud.ts';
import { localDataDir } from './endpoints-file.ts';
import { PORT_VARIABLES, type PortName } from './service.ts';
import { projectRoot } from './service-config.ts';
import type { LocalCloud } from './types.ts';

const DEFAULT_PORTS: Record<PortName, number> = { s3: 4569, dynamodb: 8000, aws: 4575, http: 3000 };

function port(name: PortName): number {
  const variable = PORT_VARIABLES[name];
  const value = process.env[variable];
  if (value === undefined || value === '') return DEFAULT_PORTS[name];
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    console.error(`${variable}=${value} is not a port number`);
    process.exit(1);
  }
  return parsed;
}

const startedAt = Date.now();
console.log('Starting the Stockroom local cloud…');
let cloud: LocalCloud;
try {
  cloud = await startLocalCloud({
    dataDir: localDataDir(),
    clean: process.argv.includes('--clean'),
    verbose: true,
    ports: { s3: port('s3'), dynamodb: port('dynamodb'), aws: port('aws'), http: port('http') },
  });
} catch (error) {
  console.error(`\nThe local cloud could not start:\n  ${(error as Error).message.replace(/\n/g, '\n  ')}\n`);
  process.exit(1);
}

const { endpoints } = cloud;
const dataDir = relative(projectRoot, cloud.dataDir) || '.';
console.log(`
Stockroom is running locally (${((Date.now() - startedAt) / 1000).toFixed(1)} s).

  Dashboard        ${endpoints.endpoints.http}/
  Health           ${endpoints.endpoints.http}/healthz
  S3               ${endpoints.endpoints.s3}   uploads: ${endpoints.buckets.uploads}
  DynamoDB         ${endpoints.endpoints.dynamodb}   table: ${endpoints.tables.inventory}
  SNS + SFN        ${endpoints.endpoints.sns}
  State machines   ${Object.keys(endpoints.stateMachines).join(', ') || '(none)'}

  Endpoints file   ${dataDir}/endpoints.json
  SNS messages     ${dataDir}/sns-outbox.jsonl
  Failed events    ${dataDir}/failures/<queue>.jsonl
  Upload a file    npm run upload -- <file> [key]     (e.g. npm run upload -- stock.csv inventory/stock.csv)

Press Ctrl-C to stop.
`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local cloud (finishing running invocations)…`);
  const force = setTimeout(() => {
    console.error('Stopping took too long; exiting.');
    process.exit(1);
  }, 20_000);
  try {
    await cloud.stop();
    console.log('Stopped. State is kept in', `${dataDir}/`, '(`npm run start:clean` starts empty).');
  } finally {
    clearTimeout(force);
    process.exit(0);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
