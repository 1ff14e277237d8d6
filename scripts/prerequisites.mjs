// What `npm start` and `npm test` need from the machine, how to check each, and how to get
// it. Plain JavaScript on Node's built-ins only: `npm run doctor` must work before
// `npm install` and on a Node too old for the rest of the project.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The executable file `name` resolves to on this PATH, as a shell would find it. */
export function onPath(name, env = process.env) {
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    if (folder && isExecutableFile(join(folder, name))) return join(folder, name);
  }
  return undefined;
}

function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The browser the dashboard's end-to-end test drives: `STOCKROOM_CHROMIUM` when set, else
 * `chromium` (or Ubuntu's older `chromium-browser`) on the PATH. Doctor and test/e2e both
 * ask this, so what the doctor approves is what the test launches.
 */
export function locateChromium(env = process.env) {
  const chosen = env.STOCKROOM_CHROMIUM;
  if (chosen) {
    return isExecutableFile(chosen)
      ? { path: chosen }
      : { problem: `STOCKROOM_CHROMIUM is ${chosen}, which is not an executable file.` };
  }
  for (const name of ['chromium', 'chromium-browser']) {
    const path = onPath(name, env);
    if (path) return { path };
  }
  return { problem: 'there is no `chromium` on the PATH, and STOCKROOM_CHROMIUM is not set.' };
}

/**
 * Does `version` (`20.20.2`) satisfy `range`? Only the forms package.json's `engines` uses:
 * `^x.y.z` and `>=x.y.z`, joined by `||`.
 */
export function satisfiesRange(version, range) {
  const parse = (text) => [0, 1, 2].map((index) => Number.parseInt(text.split('.')[index] ?? '0', 10) || 0);
  const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  const have = parse(version);
  return range.split('||').some((alternative) => {
    const term = alternative.trim();
    const match = /^(\^|>=)(\d+(?:\.\d+){0,2})$/.exec(term);
    if (!match) throw new Error(`Unsupported version range "${term}" in package.json's engines.`);
    const floor = parse(match[2]);
    return compare(have, floor) >= 0 && (match[1] === '>=' || have[0] === floor[0]);
  });
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function run(command, args, env) {
  const result = spawnSync(command, args, { encoding: 'utf8', env, timeout: 30_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return { missing: result.error?.code === 'ENOENT', ok: result.status === 0, output };
}

function firstLine(text) {
  return text.split('\n')[0] ?? '';
}

function checkNode() {
  const supported = readJson(join(projectRoot, 'package.json')).engines.node;
  const version = process.versions.node;
  return satisfiesRange(version, supported)
    ? { found: `Node.js ${version}` }
    : { problem: `this is Node.js ${version}; Stockroom supports ${supported} (package.json's engines).` };
}

function checkJava(env) {
  const java = run('java', ['-version'], env);
  if (java.missing) return { problem: '`java` is not on the PATH.' };
  const version = /version "(\d+)(?:\.(\d+))?/.exec(java.output);
  // macOS ships a /usr/bin/java that only says "Unable to locate a Java Runtime".
  if (!java.ok || !version) return { problem: `\`java -version\` does not work: ${firstLine(java.output)}` };
  const major = Number(version[1]) === 1 ? Number(version[2]) : Number(version[1]);
  return major >= 17
    ? { found: firstLine(java.output) }
    : { problem: `\`java\` on the PATH is Java ${major}: DynamoDB Local needs 17 or newer.` };
}

/** Every dependency of package.json present in node_modules, at the version package-lock.json pins. */
function checkDependencies() {
  const manifest = readJson(join(projectRoot, 'package.json'));
  const lockPath = join(projectRoot, 'package-lock.json');
  const locked = existsSync(lockPath) ? readJson(lockPath).packages : {};
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  const absent = [];
  const stale = [];
  for (const name of names) {
    const installed = join(projectRoot, 'node_modules', name, 'package.json');
    if (!existsSync(installed)) {
      absent.push(name);
      continue;
    }
    const want = locked[`node_modules/${name}`]?.version;
    const have = readJson(installed).version;
    if (want && have !== want) stale.push(`${name} ${have} (package-lock.json: ${want})`);
  }
  const list = (items) =>
    items.length > 4 ? `${items.slice(0, 4).join(', ')} and ${items.length - 4} more` : items.join(', ');
  if (absent.length === names.length) return { problem: 'node_modules is missing or empty.' };
  if (absent.length > 0) return { problem: `not installed: ${list(absent)}.` };
  if (stale.length > 0) return { problem: `out of date: ${list(stale)}.` };
  return { found: `${names.length} packages in node_modules` };
}

function checkChromium(env) {
  const located = locateChromium(env);
  return located.path ? { found: located.path } : { problem: located.problem };
}

/** A tool on the PATH that runs: `found` is its version line, or its path when `args` is no version query. */
function checkTool(command, args, env, { versionLine = true } = {}) {
  const tool = run(command, args, env);
  if (tool.missing) return { problem: `\`${command}\` is not on the PATH.` };
  if (!tool.ok) return { problem: `\`${command} ${args.join(' ')}\` fails: ${firstLine(tool.output)}` };
  return { found: (versionLine && firstLine(tool.output)) || onPath(command, env) || command };
}

/**
 * Each prerequisite: what it is, why Stockroom needs it, for which command (`start`, or
 * `test` only), how to check it and how to get it.
 */
export const prerequisites = [
  {
    id: 'node',
    name: 'Node.js',
    why: 'everything runs on it',
    needs: 'start',
    check: checkNode,
    get: {
      'Debian/Ubuntu': '`nvm install 22` (https://github.com/nvm-sh/nvm), or https://nodejs.org/en/download',
      macOS: '`brew install node@22`, or `nvm install 22`',
    },
  },
  {
    id: 'java',
    name: 'Java 17 or newer',
    why: 'DynamoDB Local, the DynamoDB stand-in, is a Java program',
    needs: 'start',
    check: checkJava,
    get: {
      'Debian/Ubuntu':
        '`sudo apt-get install default-jre-headless` (Ubuntu 22.04: `openjdk-17-jre-headless`)',
      macOS: '`brew install openjdk@17`, then the `sudo ln -sfn …` line brew prints, so that `java` finds it',
    },
  },
  {
    id: 'dependencies',
    name: 'the npm dependencies',
    why: 'package.json, installed in node_modules',
    needs: 'start',
    check: checkDependencies,
    get: { 'any system': '`npm install` in the project folder' },
  },
  {
    id: 'chromium',
    name: 'Chromium',
    why: "the dashboard's end-to-end test drives it",
    needs: 'test',
    check: checkChromium,
    get: {
      Debian: '`sudo apt-get install chromium`',
      Ubuntu: '`sudo snap install chromium`',
      macOS:
        '`brew install --cask chromium`, then `export STOCKROOM_CHROMIUM=/Applications/Chromium.app/Contents/MacOS/Chromium`',
      'any system': 'STOCKROOM_CHROMIUM=<path of a Chromium or Chrome executable>',
    },
  },
  {
    id: 'cfn-lint',
    name: 'cfn-lint',
    why: 'the infra tests lint the packaged CloudFormation template with it',
    needs: 'test',
    check: (env) => checkTool('cfn-lint', ['--version'], env),
    get: {
      'Debian/Ubuntu': '`sudo apt-get install pipx && pipx install cfn-lint`',
      macOS: '`brew install cfn-lint`',
    },
  },
  {
    id: 'aws',
    name: 'the AWS CLI',
    why: '`npm run aws` and the tests of the local Lambda API run it',
    needs: 'test',
    check: (env) => checkTool('aws', ['--version'], env),
    get: {
      Debian: '`sudo apt-get install awscli`',
      Ubuntu: '`sudo snap install aws-cli --classic`',
      macOS: '`brew install awscli`',
      'any system': 'https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html',
    },
  },
  {
    id: 'ps',
    name: 'ps',
    why: 'the stop and crash tests look for processes left behind',
    needs: 'test',
    check: (env) => checkTool('ps', ['-o', 'pid=', '-p', String(process.pid)], env, { versionLine: false }),
    get: { 'Debian/Ubuntu': '`sudo apt-get install procps`', macOS: 'part of the system' },
  },
];

/** How to get one prerequisite, a line per system: `Debian/Ubuntu: sudo apt-get install …`. */
export function howToGet(id) {
  const prerequisite = prerequisites.find((candidate) => candidate.id === id);
  if (!prerequisite) throw new Error(`No prerequisite "${id}".`);
  return Object.entries(prerequisite.get).map(([system, how]) => `${system}: ${how}`);
}

/** Checks the prerequisites of `npm start` (scope `start`) or of `npm test` (scope `test`: all of them). */
export function checkPrerequisites(scope, env = process.env) {
  return prerequisites
    .filter((prerequisite) => scope === 'test' || prerequisite.needs === 'start')
    .map((prerequisite) => ({ ...prerequisite, ...prerequisite.check(env) }));
}
