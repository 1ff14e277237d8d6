import { join } from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { S3EventRecord } from 'aws-lambda';
import { AsyncInvoker, matchesS3Event } from './async-invoker.ts';
import type { FailureQueues } from './failure-queues.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import { functionLogicalId, type StackResources } from './resources.ts';
import type { FunctionEventS3, FunctionEventStream, Json } from './service-config.ts';
import { CheckpointStore, StreamConsumer } from './stream-consumer.ts';

export interface TriggerOptions {
  stack: StackResources;
  functions: ReadonlyMap<string, LocalFunction>;
  /** DynamoDB Local's URL: its Streams API is on the same port. */
  streamsEndpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  failureQueues: FailureQueues;
  /** Where stream positions are kept across restarts; undefined keeps them in memory. */
  dataDir: string | undefined;
  /** Lambda async retry delays (AWS: ~1 min, then ~2 min). */
  asyncRetryDelaysMs: number[];
  log: (line: string) => void;
}

/**
 * Wires the triggers serverless.yml declares to the local functions: `s3` events with
 * Lambda's asynchronous invocation (retries, then the on-failure destination), `stream`
 * events with an event-source mapping each. Both give up into the failure queues.
 */
export function startTriggers(options: TriggerOptions) {
  const s3 = s3Subscriptions(options);
  const { streamsEndpoint: endpoint, credentials, stack } = options;
  const streams = new DynamoDBStreamsClient({ endpoint, region: stack.account.region, credentials });
  const consumers = streamConsumers(options, streams);
  for (const consumer of consumers) consumer.start();
  const replayed = s3.invokers.reduce((count, invoker) => count + invoker.replay(), 0);
  if (replayed > 0) options.log(`replaying ${replayed} S3 event(s) left unfinished by the last run`);
  return {
    name: 'triggers',
    ports: {},
    /** Hands an S3 event to every function subscribed to it. */
    dispatchS3: s3.dispatch,
    /** An asynchronous invocation (`aws lambda invoke --invocation-type Event`); `keep` as for S3. */
    invokeAsync: s3.invokeAsync,
    /** An S3 event is queued or being retried. */
    get busy(): boolean {
      return s3.invokers.some((invoker) => invoker.busy);
    },
    /** Resolves once every stream mapping has caught up. */
    settled: async (timeoutMs: number): Promise<void> => {
      await Promise.all(consumers.map((consumer) => consumer.settled(timeoutMs)));
    },
    health: async (): Promise<string> =>
      consumers.map((consumer) => consumer.problem).find((problem) => problem) ?? 'ok',
    stop: async (): Promise<void> => {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      streams.destroy();
    },
  };
}

/** Every function has Lambda's asynchronous queue; S3 events and Event invocations go through it. */
function s3Subscriptions(options: TriggerOptions) {
  const { stack } = options;
  const subscriptions: { invoker: AsyncInvoker; bucket: string; event: FunctionEventS3['s3'] }[] = [];
  const invokers = new Map<string, AsyncInvoker>();
  for (const [key, fn] of options.functions) {
    const events = (fn.definition.events ?? []).filter((event): event is FunctionEventS3 => 's3' in event);
    const invoker = new AsyncInvoker(
      fn,
      {
        maximumRetryAttempts: fn.definition.maximumRetryAttempts ?? 2,
        retryDelaysMs: options.asyncRetryDelaysMs,
        onFailure: (record) => sendToDestination(options, key, fn.definition.destinations?.onFailure, record),
        journalDir: options.dataDir && join(options.dataDir, 'journal', key),
      },
      stack.getAtt(functionLogicalId(key), 'Arn'),
    );
    invokers.set(key, invoker);
    for (const { s3 } of events) {
      const bucket = stack.config.provider.s3?.[s3.bucket]?.name ?? s3.bucket;
      subscriptions.push({ invoker, bucket, event: s3 });
    }
  }
  return {
    invokers: [...invokers.values()],
    invokeAsync: (key: string, event: unknown, keep = false): void => {
      if (keep) invokers.get(key)?.keep(event);
      else invokers.get(key)?.submit(event);
    },
    // A function with several matching `s3` events still gets the event once, as from S3.
    // While the cloud stops, an event is only journaled (`keep`): the next start runs it.
    dispatch: (record: S3EventRecord, keep = false): void => {
      const matching = subscriptions.filter(({ bucket, event }) => matchesS3Event(record, event, bucket));
      for (const invoker of new Set(matching.map((subscription) => subscription.invoker))) {
        if (keep) invoker.keep({ Records: [record] });
        else invoker.submit({ Records: [record] });
      }
    },
  };
}

function streamConsumers(options: TriggerOptions, client: DynamoDBStreamsClient): StreamConsumer[] {
  const { stack, log } = options;
  const checkpoints = new CheckpointStore(
    options.dataDir && join(options.dataDir, 'stream-checkpoints.json'),
  );
  return [...options.functions].flatMap(([key, fn]) =>
    (fn.definition.events ?? [])
      .flatMap((event) => ('stream' in event ? [(event as FunctionEventStream).stream] : []))
      .filter((settings) => settings.enabled !== false)
      .map(
        (settings) =>
          new StreamConsumer({
            fn,
            functionArn: stack.getAtt(functionLogicalId(key), 'Arn'),
            streamArn: stack.resolveString(settings.arn, `${key} stream arn`),
            settings,
            client,
            region: stack.account.region,
            checkpoints,
            log,
            onFailure: (record) => sendToDestination(options, key, settings.destinations?.onFailure, record),
          }),
      ),
  );
}

/** Sends what a function gave up on to its on-failure destination: a queue of serverless.yml. */
function sendToDestination(
  options: TriggerOptions,
  functionKey: string,
  destination: { arn: Json; type?: string } | string | undefined,
  body: unknown,
): void {
  const { stack, log } = options;
  if (destination === undefined) {
    log(`${functionKey}: an event was dropped after its retries (no on-failure destination)`);
    return;
  }
  const arn = stack.resolveString(
    typeof destination === 'string' ? destination : destination.arn,
    `${functionKey} on-failure destination`,
  );
  const logicalId = stack.findByValue(arn);
  if (!logicalId || stack.resources[logicalId]?.Type !== 'AWS::SQS::Queue') {
    log(`${functionKey}: on-failure destination ${arn} is not a local queue; the record is only logged`);
    return;
  }
  options.failureQueues.send(stack.getAtt(logicalId, 'QueueName'), body);
}
