/**
 * `npm run package`: compiles serverless.yml to the CloudFormation template and the
 * function/layer zips in `.serverless/`, with no AWS account and no network.
 *
 * The template is for inspection, `test/infra` and cfn-lint: it is packaged for account
 * 000000000000. `npm run deploy` packages again with your real credentials.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOfflineControlPlane } from './offline-control-plane.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stage = process.argv.includes('--stage')
  ? (process.argv[process.argv.indexOf('--stage') + 1] ?? 'dev')
  : 'dev';
const region = process.argv.includes('--region')
  ? (process.argv[process.argv.indexOf('--region') + 1] ?? 'eu-west-1')
  : 'eu-west-1';

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

if (!existsSync(join(root, 'layers/sharp/build/nodejs/node_modules/sharp'))) {
  console.log('sharp layer not built yet: building it (npm run build:layer)');
  await run('bash', ['layers/sharp/build.sh']);
}

// One packaging at a time: two concurrent runs share .esbuild/ and .serverless/.
const lock = join(root, '.serverless.lock');
const lockDeadline = Date.now() + 180_000;
for (;;) {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    break;
  } catch {
    const holder = Number(readFileSafe(join(lock, 'pid')));
    if (holder && !isAlive(holder)) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > lockDeadline) throw new Error('another `npm run package` holds .serverless.lock');
    else await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const controlPlane = await startOfflineControlPlane();
try {
  await run(
    join(root, 'node_modules/.bin/serverless'),
    ['package', '--stage', stage, '--region', region],
    controlPlane.env,
  );
  console.log(`packaged stage ${stage} (${region}) into .serverless/`);
} finally {
  await controlPlane.close();
  rmSync(lock, { recursive: true, force: true });
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
