import { LocalFunction } from './lambda-runtime.ts';
import type { StackResources } from './resources.ts';
import type { InvocationRecord } from './types.ts';

const MAX_INVOCATION_RECORDS = 5000;
const RECORDS_WITH_PAYLOADS = 200;

/** The functions of serverless.yml, loaded in this process, and the record of their invocations. */
export type LocalFunctions = Awaited<ReturnType<typeof loadFunctions>>;

export interface FunctionsOptions {
  stack: StackResources;
  /** Only these functions (by key); default all. */
  keys?: string[] | undefined;
  /** Where the handlers' SDK clients go: the local emulators' URLs. */
  urls: { s3: string; dynamodb: string; aws: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** By function key: values set over serverless.yml's (the web function's sign-in settings). */
  environment?: Record<string, Record<string, string>>;
  /** Print the handlers' logs and metrics. */
  verbose: boolean;
  /** Told of each invocation as it ends (the terminal's line). */
  terminal?: { invocation: (record: InvocationRecord) => void } | undefined;
}

/**
 * Points the process at the local cloud (the handlers and the SDK read process.env) and
 * cold-starts every function, so that a module that cannot load fails `npm start`
 * rather than a request.
 */
export async function loadFunctions(options: FunctionsOptions) {
  const { stack, urls } = options;
  const { region } = stack.account;
  const baseEnvironment: Record<string, string> = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: urls.s3,
    AWS_ENDPOINT_URL_DYNAMODB: urls.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: urls.dynamodb,
    AWS_ENDPOINT_URL_SNS: urls.aws,
    AWS_ENDPOINT_URL_SFN: urls.aws,
    AWS_ENDPOINT_URL_SESV2: urls.aws,
    STOCKROOM_LOCAL_CLOUD: '1',
    // No X-Ray daemon locally.
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
  const quiet = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  const environmentOverrides: Record<string, string> = options.verbose ? {} : quiet;
  // The session token or profile of a real account must not leak into local calls.
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, baseEnvironment, environmentOverrides);

  const records: InvocationRecord[] = [];
  const onInvocation = (record: InvocationRecord): void => {
    records.push(record);
    options.terminal?.invocation(record);
    if (records.length > MAX_INVOCATION_RECORDS) records.shift();
    // Events and results (a stream batch can be hundreds of KB) are kept for the newest
    // records only, so a long import does not grow the process.
    const aged = records[records.length - 1 - RECORDS_WITH_PAYLOADS];
    if (aged) Object.assign(aged, { event: undefined, result: undefined });
  };
  const byKey = new Map<string, LocalFunction>();
  for (const [key, definition] of Object.entries(stack.config.functions)) {
    if (options.keys && !options.keys.includes(key)) continue;
    const localEnvironment = options.environment?.[key] ?? {};
    const runtime = { stack, baseEnvironment, environmentOverrides, localEnvironment, onInvocation };
    byKey.set(key, new LocalFunction(key, definition, runtime));
  }
  for (const fn of byKey.values()) await fn.load();
  return {
    /** By the function's key in serverless.yml. */
    byKey: byKey as ReadonlyMap<string, LocalFunction>,
    /** Every invocation so far (of one function, or all), oldest first. */
    invocations: (name?: string): InvocationRecord[] =>
      name ? records.filter((record) => record.functionName === name) : [...records],
    /** Invokes a function directly (as `aws lambda invoke` would). */
    invoke: async (name: string, event: unknown): Promise<unknown> => {
      const fn = byKey.get(name);
      if (!fn) throw new Error(`No function "${name}" in serverless.yml`);
      return fn.invoke(event, 'direct');
    },
    get busy(): boolean {
      return [...byKey.values()].some((fn) => fn.busy);
    },
  };
}
