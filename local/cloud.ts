import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { S3EventRecord } from 'aws-lambda';
import { type AwsEndpoint, type LambdaBackend, startAwsEndpoint } from './aws-endpoint/server.ts';
import { createTables, type DynamoDbStandIn, startDynamoDb, stopLeftoverDynamoDb } from './dynamodb.ts';
import { localDataDir } from './endpoints-file.ts';
import { FailureQueues } from './failure-queues.ts';
import { type LocalFunctions, loadFunctions } from './functions.ts';
import { httpRoutes, startHttpApi } from './http-api.ts';
import { type IdentityProvider, LOCAL_CLIENT_ID, startIdentityProvider } from './identity-provider.ts';
import { terminalLog } from './logs.ts';
import { startMailIntake } from './mail-intake.ts';
import { StackResources } from './resources.ts';
import { type S3StandIn, startS3 } from './s3.ts';
import { type LocalService, type PortName, startTogether, stopAll } from './service.ts';
import { loadServiceConfig } from './service-config.ts';
import { createStateMachineRunner, type LocalStateMachineRunner } from './step-functions.ts';
import { thumbnailsRoute } from './thumbnails-route.ts';
import { startTriggers } from './triggers.ts';
import type { Endpoints, LocalCloud, LocalCloudOptions, StopOptions } from './types.ts';
import { watchFunctions } from './watch.ts';

export const LOCAL_STAGE = 'local';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
/** Any credentials work locally; these are what the local cloud's own clients use. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Handler modules are imported once per process, like a warm container, and keep the SDK
 * clients they created for the first local cloud's endpoints. A later cloud in the same
 * process must therefore listen on the same ports (as `npm start` does after a restart).
 */
let firstCloudPorts: Partial<Record<PortName, number>> | undefined;

function assertSamePorts(requested: LocalCloudOptions['ports']): void {
  const first = firstCloudPorts;
  if (!first || (Object.keys(first) as PortName[]).every((name) => requested?.[name] === first[name])) return;
  throw new Error(
    `A local cloud already ran in this process on ports ${JSON.stringify(first)}: its handler modules keep clients for those endpoints. Start another cloud in a new process, or pass the same ports.`,
  );
}

/** What every part is started with; `stateDir` is undefined when `inMemory` keeps that state in memory. */
type Setting = ReturnType<typeof settingOf>;

function settingOf(options: LocalCloudOptions, dataDir: string, stack: StackResources) {
  const verbose = options.verbose ?? false;
  const log = verbose ? (line: string) => console.log(`[local] ${line}`) : () => undefined;
  const terminal = verbose ? terminalLog(log) : undefined;
  return {
    options,
    dataDir,
    stateDir: options.inMemory ? undefined : dataDir,
    stack,
    verbose,
    log,
    terminal,
  };
}

/**
 * Starts the whole local cloud: S3, DynamoDB Local with Streams, one endpoint for SNS and
 * Step Functions, the HTTP API, the triggers and (`auth: 'oidc'`) the OpenID provider;
 * creates the `local` stage's resources as serverless.yml declares them; runs the handlers
 * in this process. Always `stop()` it: that ends the JVM too.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  assertSamePorts(options.ports);
  const dataDir = resolve(options.dataDir ?? localDataDir());
  // Before `clean` deletes the file that names it.
  await stopLeftoverDynamoDb(join(dataDir, 'dynamodb'), (line) => console.log(`[local] ${line}`));
  if (options.clean) await rm(dataDir, { recursive: true, force: true });
  for (const folder of ['s3', 'dynamodb']) await mkdir(join(dataDir, folder), { recursive: true });
  const config = await loadServiceConfig(LOCAL_STAGE, LOCAL_REGION);
  const stackName = `${config.service}-${LOCAL_STAGE}`;
  const stack = new StackResources(config, { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID, stackName });
  const setting = settingOf(options, dataDir, stack);
  const services: LocalService[] = [];
  try {
    const parts = await startParts(setting, services);
    await writeFile(join(dataDir, 'endpoints.json'), `${JSON.stringify(parts.endpoints, null, 2)}\n`);
    firstCloudPorts ??= Object.assign({}, ...services.map((service) => service.ports));
    return localCloud(parts);
  } catch (error) {
    await stopAll(services, setting.log);
    throw error;
  }
}

/** Starts every service in the order their dependencies allow, adding each to `services`. */
async function startParts(setting: Setting, services: LocalService[]) {
  const { options, dataDir, stateDir, stack, log } = setting;
  let functions: LocalFunctions | undefined;
  let dispatchS3 = (_record: S3EventRecord, _keep?: boolean): void => undefined;
  const intake = { open: true };
  const functionNamed = (key: string) => functions?.byKey.get(key);
  const runner = createStateMachineRunner({ ...setting, functionNamed, dataDir: stateDir });
  // The Lambda API listens before the functions load, and queues Event invocations once the triggers run.
  const { provider } = stack.config;
  const lambda: LambdaBackend = { functions: () => functions, invokeAsync: () => undefined, provider };
  const queueIds = stack.resourcesOfType('AWS::SQS::Queue').map(([id]) => id);
  const queues = Object.fromEntries(queueIds.map((id) => [id, stack.getAtt(id, 'QueueName')]));
  const failureQueues = new FailureQueues(join(dataDir, 'failures'), Object.values(queues));
  // The HTTP API listens first: the provider and the web function are given its URL.
  const http = await startHttpApi({ port: options.ports?.http ?? 0, accountId: LOCAL_ACCOUNT_ID, log });
  services.push(http);
  // Once the cloud is stopping, an S3 event is journaled for the next start (and said so).
  const onS3Event = (record: S3EventRecord) => {
    if (!intake.open) log(`kept for the next start, the cloud is stopping: ${record.s3.object.key}`);
    dispatchS3(record, !intake.open);
  };
  const started = startEmulators(setting, { runner, lambda }, services, onS3Event, http.url);
  const [dynamoDb, aws, s3, oidc] = await started;
  await createTables(dynamoDb.client, stack);
  const urls = { s3: s3.url, dynamodb: dynamoDb.url, aws: aws.url };
  const credentials = LOCAL_CREDENTIALS;
  // The HTTP API stands in for the distribution too: the web function is told its name.
  stack.setAttribute('Distribution', 'DomainName', new URL(http.url).host);
  const environment = {
    ...options.environment,
    web: { ...options.environment?.web, ...signInEnvironment(oidc, http.url) },
    mailInventory: { PUBLIC_ORIGIN: http.url, ...mailSenders(), ...options.environment?.mailInventory },
  };
  functions = await loadFunctions({ ...setting, keys: options.functions, urls, credentials, environment });
  const triggers = startTriggers({
    ...setting,
    functions: functions.byKey,
    streamsEndpoint: dynamoDb.url,
    credentials,
    failureQueues,
    dataDir: stateDir,
    asyncRetryDelaysMs: options.asyncRetryDelaysMs ?? [200, 400],
  });
  services.push(triggers);
  const smtp = await startMailIntake({ ...setting, s3Url: s3.url, triggers, credentials: LOCAL_CREDENTIALS });
  if (smtp) services.push(smtp);
  if (options.watch) services.push(await watchFunctions({ functions: functions.byKey.values(), log }));
  dispatchS3 = (record, keep) => triggers.dispatchS3(record, keep);
  lambda.invokeAsync = (key, event) => triggers.invokeAsync(key, event, !intake.open);
  const resumed = runner.resume();
  if (resumed > 0) log(`resuming ${resumed} Step Functions execution(s) left running by the last run`);
  const health = async () =>
    Object.fromEntries(await Promise.all(services.map(async (part) => [part.name, await part.health()])));
  http.serve(httpRoutes(functions.byKey.values()), health, thumbnailsRoute(stack, s3.url));
  const served = { s3: s3.url, dynamodb: dynamoDb.url, sns: aws.url, lambda: aws.url, http: http.url };
  const smtpUrl = smtp ? { smtp: `smtp://127.0.0.1:${smtp.ports.smtp}` } : {};
  const endpoints = endpointsOf(stack, runner, { ...served, ...(oidc && { oidc: oidc.url }), ...smtpUrl });
  const cloudParts = { services, aws, functions, triggers, runner, queues, failureQueues, endpoints };
  return { ...setting, ...cloudParts, http, intake, health };
}

/** The web function's sign-in settings (Cognito's in serverless.yml): the local provider's, or sign-in off. */
function signInEnvironment(oidc: IdentityProvider | undefined, origin: string): Record<string, string> {
  const [OIDC_ISSUER, OIDC_CLIENT_ID] = oidc ? [oidc.url, LOCAL_CLIENT_ID] : ['', ''];
  const issuer = { AUTH_MODE: oidc ? 'oidc' : 'none', OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_LOGOUT_URL: '' };
  return { ...issuer, PUBLIC_ORIGIN: origin };
}

/** STOCKROOM_MAIL_ALLOWED_SENDERS over serverless.yml's local mailAllowedSenders. */
function mailSenders(): Record<string, string> {
  const senders = process.env.STOCKROOM_MAIL_ALLOWED_SENDERS;
  return senders ? { MAIL_ALLOWED_SENDERS: senders } : {};
}

type Emulators = [DynamoDbStandIn, AwsEndpoint, S3StandIn, ...IdentityProvider[]];

/** The emulators, started side by side: DynamoDB Local (a JVM) takes the longest. */
function startEmulators(
  { options, dataDir, stateDir, stack, log, terminal }: Setting,
  { runner, lambda }: { runner: LocalStateMachineRunner; lambda: LambdaBackend },
  services: LocalService[],
  onS3Event: (record: S3EventRecord) => void,
  dashboardOrigin: string,
): Promise<Emulators> {
  const ports = options.ports ?? {};
  const account = { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID, credentials: LOCAL_CREDENTIALS };
  const oidc = { port: ports.oidc ?? 0, dashboardOrigin, log };
  const dbPath = stateDir && join(stateDir, 'dynamodb');
  return startTogether<Emulators>(services, [
    startDynamoDb({ ...account, port: ports.dynamodb ?? 0, dbPath, log }),
    startAwsEndpoint({
      ...account,
      port: ports.aws ?? 0,
      dataDir,
      topics: stack.resourcesOfType('AWS::SNS::Topic').map(([id]) => stack.getAtt(id, 'TopicName')),
      stateMachines: runner,
      lambda,
      onSnsMessage: terminal?.message,
    }),
    startS3({
      ...account,
      port: ports.s3 ?? 0,
      directory: join(dataDir, 's3'),
      buckets: stack.resourcesOfType('AWS::S3::Bucket').map(([id, resource]) => ({
        name: stack.ref(id),
        cors: resource.Properties?.CorsConfiguration,
      })),
      onEvent: onS3Event,
      log,
    }),
    ...(options.auth === 'oidc' ? [startIdentityProvider(oidc)] : []),
  ]);
}

/** `.local/endpoints.json`: exactly the `Endpoints` shape, which tools outside the project read. */
function endpointsOf(
  stack: StackResources,
  runner: LocalStateMachineRunner,
  urls: Endpoints['endpoints'],
): Endpoints {
  const bucketName = (id: string): string => (stack.resources[id] ? stack.ref(id) : '');
  return {
    region: LOCAL_REGION,
    endpoints: urls,
    buckets: { uploads: bucketName('S3BucketUploads'), thumbnails: bucketName('ThumbnailsBucket') },
    tables: { inventory: stack.ref('InventoryTable') },
    topics: { outOfStock: stack.ref('OutOfStockTopic') },
    stateMachines: Object.fromEntries(runner.list().map((machine) => [machine.key, machine.arn])),
  };
}

function localCloud(parts: Awaited<ReturnType<typeof startParts>>): LocalCloud {
  const { stack, functions, triggers, runner, services, log } = parts;
  const busy = (): boolean => functions.busy || triggers.busy || runner.busy;
  const running = (): string => {
    const named = [...functions.byKey.values()].flatMap((fn) =>
      fn.inProgress > 0 ? [`${fn.key} ×${fn.inProgress}`] : [],
    );
    if (runner.busy) named.push('Step Functions executions');
    if (triggers.busy && named.length === 0) named.push('S3 events waiting for a retry');
    return named.join(', ');
  };
  let stopped: Promise<void> | undefined;
  const stop = async ({ graceMs = 30_000, unfinished }: StopOptions): Promise<void> => {
    // No new requests or events; stream records wait in the stream for the next start.
    parts.intake.open = false;
    parts.http.drain();
    const streams = triggers.stop();
    const deadline = Date.now() + graceMs;
    if (busy()) log(`Waiting up to ${Math.ceil(graceMs / 1000)} s for ${running()} to finish…`);
    while (busy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (busy()) unfinished?.(running());
    runner.close();
    await Promise.race([streams, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    parts.terminal?.stop();
    // DynamoDB Local last: everything else may still be writing to it until it stops.
    const last = services.filter((service) => service.name === 'dynamodb');
    await stopAll([...last, ...services.filter((service) => !last.includes(service))], log);
  };
  return {
    endpoints: parts.endpoints,
    dataDir: parts.dataDir,
    tables: {
      inventory: stack.ref('InventoryTable'),
      storeSummaries: stack.ref('StoreSummariesTable'),
      stockHistory: stack.ref('StockHistoryTable'),
      stockAttention: stack.ref('StockAttentionTable'),
    },
    queues: parts.queues,
    invocations: (functionName) => functions.invocations(functionName),
    failures: (queueName) => parts.failureQueues.messages(queueName),
    snsMessages: () => parts.aws.snsMessages(),
    invoke: (functionName, event) => functions.invoke(functionName, event),
    health: parts.health,
    running,
    waitForIdle: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      do {
        while (busy()) {
          if (Date.now() > deadline) throw new Error(`local cloud still busy after ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await triggers.settled(Math.max(1000, deadline - Date.now()));
      } while (busy());
    },
    stop: (options = {}) => {
      stopped ??= stop(options);
      return stopped;
    },
  };
}
