import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../local/service-config.ts';
import type { LocalCloud } from '../../local/types.ts';
import { startTestCloud } from '../support/local-cloud.ts';
import { freePort } from '../support/npm-start.ts';
import { pathWithout } from '../support/path-without.ts';

/**
 * `npm run aws -- …` through the machine's real AWS CLI against a local cloud: the endpoint
 * and the dummy credentials come from that cloud's endpoints.json, whatever the terminal
 * has configured. Run asynchronously: the cloud answers from this very process.
 */

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ functions: ['web'] });
});

afterAll(async () => {
  await cloud?.stop();
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function npmRunAws(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', '--silent', 'aws', '--', ...args], {
      cwd: projectRoot,
      env: { ...process.env, STOCKROOM_DATA_DIR: cloud.dataDir, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: Number(failed.code), stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npm run aws', () => {
  it("lists the local cloud's buckets with `s3 ls`", async () => {
    // Act
    const run = await npmRunAws(['s3', 'ls']);

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const buckets = run.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ').at(-1));
    expect(buckets.sort()).toEqual(
      [cloud.endpoints.buckets.thumbnails, cloud.endpoints.buckets.uploads].sort(),
    );
  });

  it("lists the local cloud's tables with `dynamodb list-tables`", async () => {
    // Act
    const run = await npmRunAws(['dynamodb', 'list-tables', '--output', 'json']);

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).TableNames).toEqual(
      expect.arrayContaining([cloud.tables.inventory, cloud.tables.storeSummaries]),
    );
  });

  it('reaches the SNS endpoint for `sns`, with options before the service', async () => {
    // Act
    const run = await npmRunAws(['--output', 'text', '--query', 'Topics[].TopicArn', 'sns', 'list-topics']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.split(/\s+/)).toContain(cloud.endpoints.topics.outOfStock);
  });

  it('reaches the local Lambda API for `lambda`', async () => {
    // Act
    const run = await npmRunAws([
      'lambda',
      'list-functions',
      '--query',
      'Functions[].FunctionName',
      '--output',
      'json',
    ]);

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(['stockroom-local-web']);
  });

  it("uses the local credentials, not the terminal's profile", async () => {
    // Act: the CLI stops at a profile it cannot find, unless the wrapper removed it.
    const run = await npmRunAws(['s3', 'ls'], {
      AWS_PROFILE: 'no-such-profile',
      AWS_SESSION_TOKEN: 'expired',
    });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(cloud.endpoints.buckets.uploads);
  });

  it('refuses a service the local cloud does not have, instead of calling AWS', async () => {
    // Act
    const run = await npmRunAws(['sqs', 'list-queues']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('The local cloud has no "sqs"');
  });

  it('says the local cloud is not running when nothing answers at its endpoints', async () => {
    // Prepare: the endpoints.json of a cloud that has stopped.
    const stopped = await mkdtemp(join(tmpdir(), 'stockroom-stopped-'));
    const closed = `http://127.0.0.1:${await freePort()}`;
    const endpoints = { ...cloud.endpoints.endpoints, s3: closed };
    await writeFile(join(stopped, 'endpoints.json'), JSON.stringify({ ...cloud.endpoints, endpoints }));

    // Act
    const run = await npmRunAws(['s3', 'ls'], { STOCKROOM_DATA_DIR: stopped }).finally(() =>
      rm(stopped, { recursive: true, force: true }),
    );

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The local cloud is not running: nothing answers at ${closed}`);
    expect(run.stderr).toContain('Start it with `npm start`');
  });

  it('says to start the local cloud when it never ran', async () => {
    // Prepare
    const empty = await mkdtemp(join(tmpdir(), 'stockroom-never-'));

    // Act
    const run = await npmRunAws(['s3', 'ls'], { STOCKROOM_DATA_DIR: empty }).finally(() =>
      rm(empty, { recursive: true, force: true }),
    );

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('start the local cloud first with `npm start`');
  });

  it('says how to get the AWS CLI when it is not installed', async () => {
    // Prepare
    const machine = await pathWithout(['aws']);

    // Act
    const run = await npmRunAws(['s3', 'ls'], { PATH: machine.PATH }).finally(machine.remove);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The AWS CLI is not installed (no `aws` on the PATH)');
    expect(run.stderr).toContain('Debian: `sudo apt-get install awscli`');
    expect(run.stderr).toContain('macOS: `brew install awscli`');
  });
});
