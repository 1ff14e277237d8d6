import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { S3EventRecord } from 'aws-lambda';
import { AsyncInvoker, matchesS3Event } from './async-invoker.ts';
import { type AwsEndpoint, startAwsEndpoint } from './aws-endpoint/server.ts';
import { createTables, type DynamoDbStandIn, startDynamoDb } from './dynamodb.ts';
import { type HttpApiStandIn, type HttpRoute, startHttpApi } from './http-api.ts';
import { LocalFunction } from './lambda-runtime.ts';
import { functionLogicalId, LocalStack } from './resources.ts';
import { type S3StandIn, startS3 } from './s3.ts';
import {
  type FunctionDefinition,
  type FunctionEventHttpApi,
  type FunctionEventS3,
  type FunctionEventStream,
  type Json,
  loadServiceConfig,
  projectRoot,
} from './service-config.ts';
import { createStateMachineRunner, type LocalStateMachineRunner } from './step-functions.ts';
import { CheckpointStore, StreamConsumer } from './stream-consumer.ts';
import type { Endpoints, InvocationRecord, LocalCloud, LocalCloudOptions } from './types.ts';

export const LOCAL_STAGE = 'local';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
/** Any credentials work locally; these are what the local cloud's own clients use. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const MAX_INVOCATION_RECORDS = 5000;
const RECORDS_WITH_PAYLOADS = 200;

/**
 * Handler modules are imported once per process, like a warm container, and keep the SDK
 * clients they created for the first local cloud's endpoints. A later cloud in the same
 * process must therefore listen on the same ports (as `npm start` does after a restart).
 */
let firstCloudPorts: Required<NonNullable<LocalCloudOptions['ports']>> | undefined;

function assertSamePorts(requested: LocalCloudOptions['ports']): void {
  if (!firstCloudPorts) return;
  const same = (Object.keys(firstCloudPorts) as (keyof typeof firstCloudPorts)[]).every(
    (name) => requested?.[name] === firstCloudPorts?.[name],
  );
  if (!same) {
    throw new Error(
      `A local cloud already ran in this process on ports ${JSON.stringify(firstCloudPorts)}: its handler modules keep clients for those endpoints. Start another cloud in a new process, or pass the same ports.`,
    );
  }
}

/**
 * Starts the whole local cloud: S3, DynamoDB Local with Streams, one endpoint for SNS,
 * SQS and Step Functions, and the HTTP API; creates the `local` stage's resources as
 * serverless.yml declares them; wires every trigger declared there to the handlers,
 * which run in this process. Always `stop()` it: that ends the JVM too.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const dataDir = resolve(options.dataDir ?? join(projectRoot, '.local'));
  if (options.clean) await rm(dataDir, { recursive: true, force: true });
  await mkdir(join(dataDir, 's3'), { recursive: true });
  await mkdir(join(dataDir, 'dynamodb'), { recursive: true });

  assertSamePorts(options.ports);
  const verbose = options.verbose ?? false;
  const log = verbose ? (line: string) => console.log(`[local] ${line}`) : () => undefined;
  const ports = options.ports ?? {};
  const config = await loadServiceConfig(LOCAL_STAGE, LOCAL_REGION);
  const stack = new LocalStack(config, {
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    stackName: `${config.service}-${LOCAL_STAGE}`,
  });

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => log(`stop: ${(error as Error).message}`));
    }
  };

  try {
    const invocations: InvocationRecord[] = [];
    const functions = new Map<string, LocalFunction>();
    const invokers = new Map<string, AsyncInvoker>();
    let dispatchS3: (record: S3EventRecord) => void = () => undefined;
    // Step Functions: definitions from serverless.yml; Task states run the local handlers
    // (looked up when an execution runs, so the runner can exist before the functions).
    const runner: LocalStateMachineRunner = createStateMachineRunner({
      stack,
      functions,
      dataDir: options.inMemory ? undefined : dataDir,
      log,
      verbose,
    });

    // DynamoDB Local (a JVM) is the slowest to start: start everything at once.
    const [dynamoDb, endpoint, s3] = await Promise.all([
      startDynamoDb({
        port: ports.dynamodb ?? 0,
        dbPath: options.inMemory ? undefined : join(dataDir, 'dynamodb'),
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      }).then((db: DynamoDbStandIn) => {
        closers.push(() => db.close());
        return db;
      }),
      startAwsEndpoint({
        port: ports.aws ?? 0,
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT_ID,
        dataDir,
        stateMachines: runner,
        onSnsMessage: (entry) => {
          if (verbose) {
            console.log(
              `[sns] ${entry.topicArn.split(':').pop()} ${entry.subject ? `"${entry.subject}" ` : ''}${entry.message}`,
            );
          }
        },
      })
        .catch((error: NodeJS.ErrnoException) => {
          throw error.code === 'EADDRINUSE'
            ? new Error(
                `The SNS/SQS/Step Functions endpoint cannot listen on 127.0.0.1:${ports.aws}: the port is taken (is another \`npm start\` running?). Free it or set STOCKROOM_AWS_PORT.`,
                { cause: error },
              )
            : error;
        })
        .then((aws: AwsEndpoint) => {
          closers.push(() => aws.close());
          return aws;
        }),
      startS3({
        port: ports.s3 ?? 0,
        directory: join(dataDir, 's3'),
        region: LOCAL_REGION,
        buckets: stack.resourcesOfType('AWS::S3::Bucket').map(([logicalId, resource]) => ({
          name: stack.ref(logicalId),
          cors: resource.Properties?.CorsConfiguration,
        })),
        onEvent: (record) => dispatchS3(record),
      }).then((server: S3StandIn) => {
        closers.push(() => server.close());
        return server;
      }),
    ]);

    await createTables(dynamoDb.client, stack);
    for (const [logicalId] of stack.resourcesOfType('AWS::SNS::Topic')) {
      endpoint.createTopic(stack.getAtt(logicalId, 'TopicName'));
    }
    const queues: Record<string, string> = {};
    for (const [logicalId] of stack.resourcesOfType('AWS::SQS::Queue')) {
      const name = stack.getAtt(logicalId, 'QueueName');
      const queue = endpoint.createQueue(name);
      stack.setRef(logicalId, queue.url);
      queues[logicalId] = name;
    }

    const baseEnvironment: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.url,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamoDb.url,
      AWS_ENDPOINT_URL_SNS: endpoint.url,
      AWS_ENDPOINT_URL_SQS: endpoint.url,
      AWS_ENDPOINT_URL_SFN: endpoint.url,
      STOCKROOM_LOCAL_CLOUD: '1',
      // No X-Ray daemon locally.
      POWERTOOLS_TRACE_ENABLED: 'false',
    };
    const environmentOverrides: Record<string, string> = verbose
      ? {}
      : { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
    // Handlers and the SDK read these; the session token of a real profile must not leak in.
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, baseEnvironment, environmentOverrides);

    const selected = Object.entries(config.functions).filter(
      ([key]) => !options.functions || options.functions.includes(key),
    );
    for (const [key, definition] of selected) {
      functions.set(
        key,
        new LocalFunction(key, definition, {
          stack,
          baseEnvironment,
          environmentOverrides,
          log,
          onInvocation: (record) => {
            invocations.push(record);
            if (invocations.length > MAX_INVOCATION_RECORDS) invocations.shift();
            // Events and results (a stream batch can be hundreds of KB) are kept for the
            // newest records only, so a long import does not grow the process.
            const aged = invocations[invocations.length - 1 - RECORDS_WITH_PAYLOADS];
            if (aged) {
              aged.event = undefined;
              aged.result = undefined;
            }
          },
        }),
      );
    }
    // Cold-start every function now, so a broken module fails `npm start`, not a request.
    for (const fn of functions.values()) await fn.load();

    const deliverToDestination = (fnKey: string, destination: Json | undefined, body: unknown): void => {
      if (destination === undefined || destination === null) {
        log(`${fnKey}: an event was dropped after its retries (no on-failure destination)`);
        return;
      }
      const arnValue =
        typeof destination === 'object' && !Array.isArray(destination) && 'arn' in destination
          ? (destination.arn as Json)
          : destination;
      const arn = stack.resolveString(arnValue, `${fnKey} on-failure destination`);
      const logicalId = stack.findByValue(arn);
      const resource = logicalId ? stack.resources[logicalId] : undefined;
      if (!logicalId || resource?.Type !== 'AWS::SQS::Queue') {
        log(`${fnKey}: on-failure destination ${arn} is not a local queue; the record is only logged`);
        return;
      }
      endpoint.sendToQueue(stack.getAtt(logicalId, 'QueueName'), JSON.stringify(body));
    };

    // S3 → functions, with Lambda's asynchronous invocation semantics.
    const s3Subscriptions: { fnKey: string; bucket: string; event: FunctionEventS3['s3'] }[] = [];
    for (const [key, definition] of selected) {
      for (const event of definition.events ?? []) {
        if (!('s3' in event)) continue;
        const s3Event = (event as FunctionEventS3).s3;
        const bucket = config.provider.s3?.[s3Event.bucket]?.name ?? s3Event.bucket;
        s3Subscriptions.push({ fnKey: key, bucket, event: s3Event });
      }
      if (s3Subscriptions.some((subscription) => subscription.fnKey === key)) {
        invokers.set(
          key,
          new AsyncInvoker(
            functions.get(key) as LocalFunction,
            {
              maximumRetryAttempts: definition.maximumRetryAttempts ?? 2,
              retryDelaysMs: options.asyncRetryDelaysMs ?? [200, 400],
              onFailure: (record) => deliverToDestination(key, onFailureOf(definition), record),
            },
            stack.getAtt(functionLogicalId(key), 'Arn'),
          ),
        );
      }
    }
    dispatchS3 = (record) => {
      const seen = new Set<string>();
      for (const subscription of s3Subscriptions) {
        if (seen.has(subscription.fnKey)) continue;
        if (!matchesS3Event(record, subscription.event, subscription.bucket)) continue;
        seen.add(subscription.fnKey);
        invokers.get(subscription.fnKey)?.submit({ Records: [record] });
      }
    };

    // DynamoDB streams → functions, with event-source-mapping semantics.
    const streamsClient = new DynamoDBStreamsClient({
      endpoint: dynamoDb.url,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    closers.push(async () => streamsClient.destroy());
    const checkpoints = new CheckpointStore(
      options.inMemory ? undefined : join(dataDir, 'stream-checkpoints.json'),
    );
    const consumers: StreamConsumer[] = [];
    for (const [key, definition] of selected) {
      for (const event of definition.events ?? []) {
        if (!('stream' in event)) continue;
        const settings = (event as FunctionEventStream).stream;
        if (settings.enabled === false) continue;
        const consumer = new StreamConsumer({
          fn: functions.get(key) as LocalFunction,
          functionArn: stack.getAtt(functionLogicalId(key), 'Arn'),
          streamArn: stack.resolveString(settings.arn, `${key} stream arn`),
          settings,
          client: streamsClient,
          region: LOCAL_REGION,
          checkpoints,
          log,
          onFailure: (record) =>
            deliverToDestination(
              key,
              typeof settings.destinations?.onFailure === 'object'
                ? (settings.destinations.onFailure as Json)
                : (settings.destinations?.onFailure ?? undefined),
              record,
            ),
        });
        consumer.start();
        consumers.push(consumer);
      }
    }
    closers.push(async () => {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    });

    // HTTP API → functions.
    const routes: HttpRoute[] = [];
    for (const [key, definition] of selected) {
      for (const event of definition.events ?? []) {
        if (!('httpApi' in event)) continue;
        const spec = (event as FunctionEventHttpApi).httpApi;
        const [method, path] =
          typeof spec === 'string'
            ? spec === '*'
              ? ['ANY', '*']
              : (spec.split(/\s+/) as [string, string])
            : [spec.method, spec.path];
        routes.push({
          method: method === '*' ? 'ANY' : method.toUpperCase(),
          path,
          fn: functions.get(key) as LocalFunction,
        });
      }
    }
    const http: HttpApiStandIn = await startHttpApi({
      port: ports.http ?? 0,
      routes,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      log,
    });
    closers.push(() => http.close());

    const endpoints: Endpoints = {
      region: LOCAL_REGION,
      endpoints: { s3: s3.url, dynamodb: dynamoDb.url, sns: endpoint.url, http: http.url },
      buckets: {
        uploads: bucketName(stack, 'S3BucketUploads'),
        thumbnails: bucketName(stack, 'ThumbnailsBucket'),
      },
      tables: { inventory: stack.ref('InventoryTable') },
      topics: { outOfStock: stack.ref('OutOfStockTopic') },
      stateMachines: Object.fromEntries(runner.list().map((machine) => [machine.key, machine.arn])),
    };
    await writeFile(join(dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
    firstCloudPorts ??= {
      s3: s3.port,
      dynamodb: dynamoDb.port,
      aws: endpoint.port,
      http: http.port,
    };

    const busy = (): boolean =>
      [...functions.values()].some((fn) => fn.busy) ||
      [...invokers.values()].some((invoker) => invoker.busy) ||
      runner.busy;

    let stopped = false;
    return {
      endpoints,
      dataDir,
      tables: {
        inventory: stack.ref('InventoryTable'),
        storeSummaries: stack.ref('StoreSummariesTable'),
      },
      queues,
      invocations: (functionName) =>
        functionName
          ? invocations.filter((record) => record.functionName === functionName)
          : [...invocations],
      failures: (queueName) => endpoint.queueMessages(queueName),
      snsMessages: () => endpoint.snsMessages(),
      invoke: (functionName, event) => {
        const fn = functions.get(functionName);
        if (!fn) throw new Error(`No function "${functionName}" in serverless.yml`);
        return fn.invoke(event, 'direct');
      },
      waitForIdle: async (timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          while (busy()) {
            if (Date.now() > deadline) throw new Error(`local cloud still busy after ${timeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await Promise.all(
            consumers.map((consumer) => consumer.settled(Math.max(1000, deadline - Date.now()))),
          );
          if (!busy()) return;
        }
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        // Let running invocations finish (bounded), so no write is cut in half.
        const deadline = Date.now() + 10_000;
        while (busy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function onFailureOf(definition: FunctionDefinition): Json | undefined {
  const onFailure = definition.destinations?.onFailure;
  return onFailure === undefined ? undefined : (onFailure as Json);
}

function bucketName(stack: LocalStack, logicalId: string): string {
  return stack.resources[logicalId] ? stack.ref(logicalId) : '';
}
