import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../local/service-config.ts';
import { locateChromium, satisfiesRange } from '../../scripts/prerequisites.mjs';
import { type PathWithout, pathWithout } from '../support/path-without.ts';

/**
 * `npm run doctor` on this machine with some of its tools taken away (a PATH without them):
 * it must name each missing one with the way to get it, and fail; with everything there it
 * passes. These are real child processes running the machine's real java, cfn-lint and aws.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function machineWithout(hidden: string[]): Promise<PathWithout> {
  const path = await pathWithout(hidden);
  cleanups.push(path.remove);
  return path;
}

function doctor(args: string[], env: Record<string, string | undefined> = {}, script = 'scripts/doctor.mjs') {
  const { STOCKROOM_CHROMIUM: _chosen, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd: projectRoot,
    env: { ...inherited, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run doctor', () => {
  it('names a missing Java and a missing Chromium, with how to get each, and fails', async () => {
    // Prepare
    const machine = await machineWithout(['java', 'chromium', 'chromium-browser']);

    // Act
    const run = doctor(['--tests'], { PATH: machine.PATH });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Stockroom cannot run its tests: 2 prerequisites are missing.');
    expect(run.stderr).toContain('✗ Java 17 or newer');
    expect(run.stderr).toContain('`java` is not on the PATH');
    expect(run.stderr).toContain('Debian/Ubuntu: `sudo apt-get install default-jre-headless`');
    expect(run.stderr).toContain('macOS: `brew install openjdk@17`');
    expect(run.stderr).toContain('✗ Chromium');
    expect(run.stderr).toContain('no `chromium` on the PATH');
    expect(run.stderr).toContain('Debian: `sudo apt-get install chromium`');
    expect(run.stderr).toContain('macOS: `brew install --cask chromium`');
    // Only what is missing is listed.
    expect(run.stderr).not.toContain('cfn-lint');
    expect(run.stderr).not.toContain('AWS CLI');
  });

  it("leaves Chromium to npm test: npm start's check passes without it, silently", async () => {
    // Prepare
    const machine = await machineWithout(['chromium', 'chromium-browser']);

    // Act
    const run = doctor(['--start'], { PATH: machine.PATH });

    // Assess
    expect(run).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  it('names the AWS CLI when it is missing, for npm test', async () => {
    // Prepare
    const machine = await machineWithout(['aws']);

    // Act
    const run = doctor(['--tests'], { PATH: machine.PATH });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('a prerequisite is missing');
    expect(run.stderr).toContain('✗ the AWS CLI');
    expect(run.stderr).toContain('`aws` is not on the PATH');
    expect(run.stderr).toContain('Debian: `sudo apt-get install awscli`');
    expect(run.stderr).toContain('macOS: `brew install awscli`');
  });

  it('refuses a Java older than 17, saying which it found', async () => {
    // Prepare: a `java` that answers as Java 11 does.
    const machine = await machineWithout(['java']);
    const java = join(machine.folder, 'java');
    await writeFile(java, '#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n');
    await chmod(java, 0o755);

    // Act
    const run = doctor(['--start'], { PATH: machine.PATH });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('`java` on the PATH is Java 11: DynamoDB Local needs 17 or newer.');
  });

  it('finds Chromium where STOCKROOM_CHROMIUM points, off the PATH, as the browser test does', async () => {
    // Prepare
    const found = locateChromium();
    if (!('path' in found)) throw new Error(`This machine has no Chromium: ${found.problem}`);
    const machine = await machineWithout(['chromium', 'chromium-browser']);
    const env = { PATH: machine.PATH, STOCKROOM_CHROMIUM: found.path };

    // Act
    const run = doctor(['--tests'], env);

    // Assess
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(locateChromium(env)).toEqual({ path: found.path });
    expect(locateChromium({ PATH: machine.PATH })).toHaveProperty('problem');
  });

  it('refuses a STOCKROOM_CHROMIUM that is no executable', () => {
    // Act
    const run = doctor(['--tests'], { STOCKROOM_CHROMIUM: join(projectRoot, 'package.json') });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`STOCKROOM_CHROMIUM is ${join(projectRoot, 'package.json')}, which is not`);
  });

  it('says to run npm install where node_modules is missing', async () => {
    // Prepare: the project's manifest and the doctor, without node_modules.
    const copy = await mkdtemp(join(tmpdir(), 'stockroom-doctor-'));
    cleanups.push(() => rm(copy, { recursive: true, force: true }));
    await mkdir(join(copy, 'scripts'));
    for (const file of [
      'package.json',
      'package-lock.json',
      'scripts/doctor.mjs',
      'scripts/prerequisites.mjs',
    ]) {
      await copyFile(join(projectRoot, file), join(copy, file));
    }

    // Act
    const run = doctor(['--start'], {}, join(copy, 'scripts/doctor.mjs'));

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('✗ the npm dependencies');
    expect(run.stderr).toContain('node_modules is missing or empty.');
    expect(run.stderr).toContain('`npm install` in the project folder');
  });

  it('lists every prerequisite as present and exits 0 on a machine that has them', () => {
    // Act
    const result = spawnSync('npm', ['run', '--silent', 'doctor'], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const name of [
      'Node.js',
      'Java 17 or newer',
      'the npm dependencies',
      'Chromium',
      'cfn-lint',
      'the AWS CLI',
    ]) {
      expect(result.stdout).toContain(`✓ ${name}: `);
    }
    expect(result.stdout).toContain('Everything `npm start` and `npm test` need is here.');
  });
});

describe("the Node versions package.json's engines allows", () => {
  it('are 20 from 20.19, 22 from 22.13, and 24 on', async () => {
    // Prepare
    const { engines } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8'));

    // Act
    const allowed = (version: string) => satisfiesRange(version, engines.node);

    // Assess
    const supported = ['20.19.0', '20.20.2', '22.13.0', '22.23.3', '24.0.0', '26.1.0'];
    expect(supported.filter(allowed)).toEqual(supported);
    expect(['18.20.8', '20.18.3', '21.7.3', '22.12.0', '23.11.0'].filter(allowed)).toEqual([]);
  });
});
