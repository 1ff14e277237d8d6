import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '#shared/aws/clients.ts';
import type { LocalCloud } from '../../local/types.ts';
import { clientsFor, eventually, startTestCloud, type TestClients } from '../support/local-cloud.ts';
import { freePorts, type NpmStart, npmStart } from '../support/npm-start.ts';

let cloud: LocalCloud;
let clients: TestClients;

beforeAll(async () => {
  cloud = await startTestCloud();
  clients = clientsFor(cloud);
});

afterAll(async () => {
  await cloud?.stop();
});

describe('the local cloud', () => {
  it('writes endpoints.json in exactly the documented shape', async () => {
    // Act
    const written = JSON.parse(await readFile(join(cloud.dataDir, 'endpoints.json'), 'utf8'));

    // Assess
    expect(Object.keys(written).sort()).toEqual([
      'buckets',
      'endpoints',
      'region',
      'stateMachines',
      'tables',
      'topics',
    ]);
    expect(Object.keys(written.endpoints).sort()).toEqual([
      'dynamodb',
      'http',
      'lambda',
      's3',
      'smtp',
      'sns',
    ]);
    expect(written.buckets).toEqual({
      uploads: 'stockroom-local-uploads-000000000000-us-east-1',
      thumbnails: 'stockroom-local-thumbnails-000000000000-us-east-1',
    });
    expect(written.tables).toEqual({ inventory: 'stockroom-local-inventory' });
    expect(written.topics).toEqual({
      outOfStock: 'arn:aws:sns:us-east-1:000000000000:stockroom-local-out-of-stock',
    });
    const { smtp, ...http } = written.endpoints;
    for (const url of Object.values(http)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(smtp).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates the buckets, tables and topic that serverless.yml declares, named for the local stage', async () => {
    // Act
    const buckets = await clients.s3.send(new ListBucketsCommand({}));
    const tables = await clients.dynamoDb.send(new ListTablesCommand({}));
    const topics = await clients.sns.send(new ListTopicsCommand({}));

    // Assess
    expect(buckets.Buckets?.map((bucket) => bucket.Name).sort()).toEqual([
      cloud.endpoints.buckets.thumbnails,
      cloud.endpoints.buckets.uploads,
    ]);
    expect(tables.TableNames?.sort()).toEqual([
      'stockroom-local-alerts-published',
      'stockroom-local-inventory',
      'stockroom-local-mail-replies',
      'stockroom-local-stock-attention',
      'stockroom-local-stock-history',
      'stockroom-local-store-summaries',
    ]);
    expect(topics.Topics?.map((topic) => topic.TopicArn)).toContain(cloud.endpoints.topics.outOfStock);
  });

  it("starts no OpenID provider when sign-in is off (startTestCloud's default, STOCKROOM_AUTH=none)", async () => {
    // Act
    const written = JSON.parse(await readFile(join(cloud.dataDir, 'endpoints.json'), 'utf8'));
    const health = await cloud.health();

    // Assess
    expect(written.endpoints).not.toHaveProperty('oidc');
    expect(cloud.endpoints.endpoints.oidc).toBeUndefined();
    expect(health).not.toHaveProperty('oidc');
  });

  it('reports every emulator healthy', async () => {
    // Act
    const health = await cloud.health();

    // Assess
    expect(health).toEqual({ dynamodb: 'ok', aws: 'ok', s3: 'ok', triggers: 'ok', http: 'ok', smtp: 'ok' });
  });

  it('answers GET /healthz through the HTTP API', async () => {
    // Act
    const response = await fetch(`${cloud.endpoints.endpoints.http}/healthz`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('delivers S3 events with the object key URL-encoded exactly as S3 encodes it', async () => {
    // Prepare: a space, a plus, parentheses, a tilde, a colon and non-ASCII letters.
    const key = 'images/red shoe+1 (é):~ü.txt';

    // Act
    await clients.s3.send(
      new PutObjectCommand({ Bucket: cloud.endpoints.buckets.uploads, Key: key, Body: 'not an image' }),
    );

    // Assess
    const invocation = await eventually(
      () =>
        cloud
          .invocations('thumbnails')
          .find((record) =>
            (record.event as S3Event).Records[0]?.s3.object.key.startsWith('images/red+shoe'),
          ),
      { what: 'the thumbnails function to be invoked' },
    );
    const record = (invocation.event as S3Event).Records[0];
    expect(record?.s3.object.key).toBe('images/red+shoe%2B1+%28%C3%A9%29%3A%7E%C3%BC.txt');
    expect(record?.eventName).toBe('ObjectCreated:Put');
    expect(record?.s3.bucket.arn).toBe(`arn:aws:s3:::${cloud.endpoints.buckets.uploads}`);
    expect(record?.awsRegion).toBe('us-east-1');
    expect(record?.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
  });

  it('retries a failing S3-triggered function twice, then sends the event to its on-failure queue', async () => {
    // Prepare: every S3 call about this key fails as S3 does when it is unavailable.
    const key = 'images/always-unavailable.png';
    s3Client().middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: string; Prefix?: string };
        if (input.Key === key || input.Prefix?.startsWith(key)) {
          throw Object.assign(new Error('Service Unavailable'), {
            name: 'ServiceUnavailable',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'platformTestOutage' },
    );

    try {
      // Act
      await clients.s3.send(
        new PutObjectCommand({ Bucket: cloud.endpoints.buckets.uploads, Key: key, Body: 'x' }),
      );

      // Assess
      const failure = await eventually(() => cloud.failures('stockroom-local-thumbnails-failures')[0], {
        what: 'the on-failure queue to receive the event',
      });
      const body = failure.body as {
        requestContext: { condition: string; approximateInvokeCount: number };
        requestPayload: S3Event;
        responsePayload: { errorType: string };
      };
      expect(body.requestContext.condition).toBe('RetriesExhausted');
      expect(body.requestContext.approximateInvokeCount).toBe(3);
      expect(body.requestPayload.Records[0]?.s3.object.key).toBe('images/always-unavailable.png');
      const attempts = cloud
        .invocations('thumbnails')
        .filter(
          (record) => (record.event as S3Event).Records[0]?.s3.object.key === 'images/always-unavailable.png',
        );
      expect(attempts.map((record) => [record.attempt, record.outcome])).toEqual([
        [1, 'error'],
        [2, 'error'],
        [3, 'error'],
      ]);
      // The queue is a file to read, one record a line.
      const file = join(cloud.dataDir, 'failures', 'stockroom-local-thumbnails-failures.jsonl');
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines.map((line) => JSON.parse(line))).toEqual(
        cloud.failures('stockroom-local-thumbnails-failures'),
      );
    } finally {
      s3Client().middlewareStack.remove('platformTestOutage');
    }
  });
});

describe('the local HTTP API', () => {
  it("answers an unknown route with API Gateway's 404", async () => {
    // Prepare: from the dashboard's own origin, or the web function refuses it first (CSRF, 403).
    const origin = cloud.endpoints.endpoints.http;

    // Act
    const response = await fetch(`${origin}/no/such/route`, { method: 'DELETE', headers: { origin } });

    // Assess
    expect([404, 405]).toContain(response.status);
  });
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function bannerOf(run: NpmStart): Promise<string> {
  await run.printed('Press Ctrl-C to stop.');
  return run.output();
}

describe('npm start', () => {
  let dataDir: string;

  beforeAll(async () => {
    // One DynamoDB Local at a time: the in-process cloud above has done its part.
    await cloud.stop();
    dataDir = await mkdtemp(join(tmpdir(), 'stockroom-npm-start-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts clean with --clean, serves, and on Ctrl-C stops with no process left', async () => {
    // Prepare: state from an earlier run, which --clean must drop.
    const ports = await freePorts();
    await writeFile(join(dataDir, 'sns-outbox.jsonl'), '{"topicArn":"old","message":"old"}\n');
    const run = npmStart(dataDir, ports, { STOCKROOM_AUTH: '' }, ['--clean']);

    // Act
    const banner = await bannerOf(run);
    const health = await fetch(`http://127.0.0.1:${ports.http}/healthz`);
    const endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
    const outbox = await readFile(join(dataDir, 'sns-outbox.jsonl'), 'utf8').catch(() => '');
    const discovery = await fetch(`http://127.0.0.1:${ports.oidc}/.well-known/openid-configuration`);
    const signIn = await fetch(`http://127.0.0.1:${ports.http}/auth/login?returnTo=/`, {
      redirect: 'manual',
    });
    run.child.kill('SIGINT');
    const code = await run.exited;

    // Assess
    expect(health.status).toBe(200);
    expect(banner).toContain(
      `Dashboard        http://127.0.0.1:${ports.http}/   sign in with a seeded user, password stockroom-local:`,
    );
    expect(banner).toContain(`OpenID provider  http://127.0.0.1:${ports.oidc}`);
    for (const user of ['manager', 'viewer', 'berlin', 'nobody'])
      expect(banner).toContain(`${user}@stockroom.local`);
    expect(banner).toContain('Failed events');
    expect(endpoints.endpoints).toEqual({
      s3: `http://127.0.0.1:${ports.s3}`,
      dynamodb: `http://127.0.0.1:${ports.dynamodb}`,
      sns: `http://127.0.0.1:${ports.aws}`,
      lambda: `http://127.0.0.1:${ports.aws}`,
      http: `http://127.0.0.1:${ports.http}`,
      oidc: `http://127.0.0.1:${ports.oidc}`,
      smtp: `smtp://127.0.0.1:${ports.smtp}`,
    });
    expect(await discovery.json()).toMatchObject({ issuer: `http://127.0.0.1:${ports.oidc}` });
    // The web function was given the provider (OIDC_ISSUER, OIDC_CLIENT_ID) and its own origin (PUBLIC_ORIGIN).
    const authorization = new URL(signIn.headers.get('location') ?? '');
    expect(signIn.status).toBe(302);
    expect(authorization.origin).toBe(`http://127.0.0.1:${ports.oidc}`);
    expect(authorization.searchParams.get('client_id')).toBe('stockroom-local-dashboard');
    expect(authorization.searchParams.get('redirect_uri')).toBe(
      `http://127.0.0.1:${ports.http}/auth/callback`,
    );
    expect(outbox).not.toContain('old');
    expect(code).toBe(0);
    expect(run.output()).toContain('Stopped.');
    // Nothing listens any more: DynamoDB Local's JVM is gone too.
    for (const port of Object.values(ports)) expect(await listening(port)).toBe(false);
  });

  it.each([
    ['http', 'The HTTP API', 'STOCKROOM_HTTP_PORT'],
    ['oidc', 'The local OpenID provider', 'STOCKROOM_OIDC_PORT'],
  ] as const)(
    'reports a taken %s port in one sentence naming the variable to change, and leaves nothing running',
    async (taken, what, variable) => {
      // Prepare
      const ports = await freePorts();
      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(ports[taken], '127.0.0.1', resolve));

      try {
        // Act
        const run = npmStart(dataDir, ports, { STOCKROOM_AUTH: '' });
        const code = await run.exited;

        // Assess
        expect(code).toBe(1);
        expect(run.stderr()).toContain(
          `${what} cannot listen on 127.0.0.1:${ports[taken]}: the port is taken (is another \`npm start\` running?). Free it or set ${variable}.`,
        );
        const others = Object.entries(ports).filter(([name]) => name !== taken);
        for (const [, port] of others) expect(await listening(port)).toBe(false);
      } finally {
        await new Promise((resolve) => holder.close(resolve));
      }
    },
  );

  it('with STOCKROOM_AUTH=none, starts no OpenID provider and says that sign-in is off', async () => {
    // Prepare: the provider's port is taken, which must not matter.
    const ports = await freePorts();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(ports.oidc, '127.0.0.1', resolve));

    try {
      // Act
      const run = npmStart(dataDir, ports, { STOCKROOM_AUTH: 'none' });
      const banner = await bannerOf(run);
      const endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
      run.child.kill('SIGINT');
      const code = await run.exited;

      // Assess
      expect(banner).toContain(
        `Dashboard        http://127.0.0.1:${ports.http}/   sign-in is off (STOCKROOM_AUTH=none)`,
      );
      expect(banner).not.toContain('OpenID provider');
      expect(endpoints.endpoints).not.toHaveProperty('oidc');
      expect(code).toBe(0);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
