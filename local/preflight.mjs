// Checks the prerequisites of `npm start` (and, with --tests, of `npm test`) before anything
// else runs, and says how to get what is missing. Plain JavaScript, so it runs even where
// TypeScript tooling is absent.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  problems.push(
    `Node.js ${process.versions.node} is too old: Stockroom needs Node.js 20.19 or newer (22 LTS recommended). Get it from https://nodejs.org or your version manager (e.g. \`nvm install 22\`).`,
  );
}

const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
if (java.error) {
  problems.push(
    'Java is not installed (or not on the PATH). DynamoDB Local needs Java 17 or newer: Debian/Ubuntu `sudo apt-get install default-jre-headless`, macOS `brew install openjdk@17`, Windows: https://adoptium.net.',
  );
} else {
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${java.stderr}${java.stdout}`);
  const javaMajor = version ? (Number(version[1]) === 1 ? Number(version[2]) : Number(version[1])) : 0;
  if (javaMajor < 17) {
    problems.push(
      `Java ${version ? version[0].replace('version ', '') : '(unknown version)'} is too old: DynamoDB Local needs Java 17 or newer (Debian/Ubuntu: \`sudo apt-get install default-jre-headless\`).`,
    );
  }
}

if (!existsSync(join(root, 'node_modules', 's3rver'))) {
  problems.push('Dependencies are not installed: run `npm install` first.');
}

if (process.argv.includes('--tests')) {
  // The dashboard's browser test drives Debian's Chromium; the infra tests lint the template.
  if (!existsSync('/usr/bin/chromium')) {
    problems.push(
      'Chromium is not installed at /usr/bin/chromium: the dashboard test drives it (Debian/Ubuntu: `sudo apt-get install chromium`).',
    );
  }
  if (spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).error) {
    problems.push(
      'cfn-lint is not installed (or not on the PATH): the infra tests lint the CloudFormation template with it (`pipx install cfn-lint` or `pip install cfn-lint`).',
    );
  }
}

if (problems.length > 0) {
  console.error(`Stockroom cannot ${process.argv.includes('--tests') ? 'run its tests' : 'start'}:\n`);
  for (const problem of problems) console.error(`  - ${problem}`);
  console.error('');
  process.exit(1);
}
