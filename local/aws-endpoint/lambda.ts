import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalFunctions } from '../functions.ts';
import { FunctionError, type LocalFunction } from '../lambda-runtime.ts';
import { readBody } from '../service.ts';
import { projectRoot, type ServiceConfig } from '../service-config.ts';
import { AwsApiError } from './errors.ts';

/**
 * The Lambda API (REST-JSON) for what a developer asks of it: ListFunctions, GetFunction and
 * Invoke, on the local functions, through the handlers the triggers use.
 * https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export interface LambdaBackend {
  /** The loaded functions; undefined while they load. */
  functions(): LocalFunctions | undefined;
  /** Lambda's asynchronous queue: retries, then the function's on-failure destination. */
  invokeAsync(key: string, event: unknown): void;
  /** serverless.yml's provider settings. */
  provider: Provider;
}

type Provider = ServiceConfig['provider'] & {
  runtime?: string;
  architecture?: string;
  tracing?: { lambda?: unknown };
};
type Where = {
  region: string;
  accountId: string;
  functions?: LocalFunctions | undefined;
  qualifier?: string | null;
};

export interface LambdaReply {
  requestId: string;
  status: number;
  contentType: string;
  text: string;
  headers?: Record<string, string>;
}

/** Lambda's paths all start with an API version: `/2015-03-31/functions/…`, `/2018-10-31/layers`. */
export const LAMBDA_PATH = /^\/20\d\d-\d\d-\d\d\//;
const ROUTE = /^\/2015-03-31\/functions\/?(?:([^/]+?)(\/invocations)?\/?)?$/;
// Invoke's payload limits: 6 MB synchronous, 1 MB asynchronous (API_Invoke.html).
const MAX_SYNC_BYTES = 6 * 1024 * 1024;
const MAX_ASYNC_BYTES = 1024 * 1024;
/** X-Amz-Log-Result holds the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;
const NAME =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([\w.-]+)(?::([\w$-]+))?$/;
const RESERVED_VARIABLE =
  /^(_.*|LAMBDA_.*|AWS_(REGION|DEFAULT_REGION|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|LAMBDA_.*))$/;
const startedAt = new Date().toISOString().replace('Z', '+0000');

/** One request to the Lambda API; errors are answered in its shape (x-amzn-ErrorType and a JSON body). */
export async function answerLambda(
  backend: LambdaBackend | undefined,
  account: Where,
  request: IncomingMessage,
  requestId: string,
): Promise<LambdaReply> {
  try {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const [, name, invocations] = ROUTE.exec(url.pathname) ?? [];
    const functions = backend?.functions();
    const where = { ...account, functions, qualifier: url.searchParams.get('Qualifier') };
    if (request.method !== 'POST') request.resume();
    if (request.method === 'GET' && name === undefined && ROUTE.test(url.pathname)) {
      const list = [...(functions?.byKey.values() ?? [])].map((fn) =>
        configuration(fn, backend?.provider, account),
      );
      return json(requestId, 200, { Functions: list });
    }
    if (request.method === 'GET' && name !== undefined && !invocations) {
      const fn = functionNamed(decodeURIComponent(name), where);
      const ReservedConcurrentExecutions = fn.definition.reservedConcurrency;
      const Configuration = {
        ...configuration(fn, backend?.provider, account),
        State: 'Active',
        LastUpdateStatus: 'Successful',
      };
      const Code = { RepositoryType: 'S3', Location: pathToFileURL(handlerFile(fn)).href };
      const Concurrency =
        ReservedConcurrentExecutions === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions } };
      return json(requestId, 200, { Configuration, Code, Tags: {}, ...Concurrency });
    }
    if (request.method === 'POST' && name !== undefined && invocations) {
      const fn = functionNamed(decodeURIComponent(name), where);
      if (backend && functions) return await invoke(fn, { backend, functions }, request, requestId);
    }
    const known = `${request.method} ${url.pathname}: the local Lambda API serves ListFunctions, GetFunction and Invoke`;
    throw new AwsApiError('UnknownOperationException', known, { status: 404 });
  } catch (error) {
    request.resume();
    const apiError =
      error instanceof AwsApiError
        ? error
        : new AwsApiError('ServiceException', String(error), { status: 500 });
    // ResourceNotFoundException spells its member `Message`, the others `message` (the API's model).
    const text = apiError.code === 'ResourceNotFoundException' ? 'Message' : 'message';
    const body = { Type: apiError.status >= 500 ? 'Service' : 'User', [text]: apiError.message };
    return { ...json(requestId, apiError.status, body), headers: { 'x-amzn-ErrorType': apiError.code } };
  }
}

function json(requestId: string, status: number, body: unknown): LambdaReply {
  return { requestId, status, contentType: 'application/json', text: JSON.stringify(body) };
}

/** A name, `name:$LATEST`, a partial ARN (`account:function:name`) or an ARN, as Lambda takes them. */
function functionNamed(identifier: string, where: Where): LocalFunction {
  const [, region, account, name = identifier, qualified] = NAME.exec(identifier) ?? [];
  const qualifier = qualified ?? where.qualifier ?? undefined;
  const fn = [...(where.functions?.byKey.values() ?? [])].find((candidate) => candidate.name === name);
  const here = (region ?? where.region) === where.region && (account ?? where.accountId) === where.accountId;
  if (fn && here && (qualifier === undefined || qualifier === '$LATEST')) return fn;
  const arn = `${functionArn(name, where)}${qualifier ? `:${qualifier}` : ''}`;
  throw new AwsApiError('ResourceNotFoundException', `Function not found: ${arn}`, { status: 404 });
}

function functionArn(name: string, { region, accountId }: Where): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

function handlerFile(fn: LocalFunction): string {
  return join(projectRoot, `${fn.definition.handler.slice(0, fn.definition.handler.lastIndexOf('.'))}.ts`);
}

/** FunctionConfiguration (API_FunctionConfiguration.html); Environment is what the function sees, minus Lambda's reserved names. */
function configuration(fn: LocalFunction, provider: Partial<Provider> = {}, account: Where) {
  const environment = fn.environment();
  const variables = Object.entries(environment).filter(([name]) => !RESERVED_VARIABLE.test(name));
  const definition = fn.definition as LocalFunction['definition'] & { description?: string };
  return {
    FunctionName: fn.name,
    FunctionArn: functionArn(fn.name, account),
    Runtime: provider.runtime ?? 'nodejs22.x',
    Role: `arn:aws:iam::${account.accountId}:role/${fn.name}`,
    Handler: definition.handler,
    CodeSize: 0,
    Description: definition.description ?? '',
    Timeout: fn.timeoutMs / 1000,
    MemorySize: Number(environment.AWS_LAMBDA_FUNCTION_MEMORY_SIZE),
    LastModified: startedAt,
    CodeSha256: createHash('sha256')
      .update(readFileSync(handlerFile(fn)))
      .digest('base64'),
    Version: '$LATEST',
    Environment: { Variables: Object.fromEntries(variables) },
    TracingConfig: { Mode: provider.tracing?.lambda ? 'Active' : 'PassThrough' },
    PackageType: 'Zip',
    Architectures: [provider.architecture ?? 'x86_64'],
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}` },
  };
}

async function invoke(
  fn: LocalFunction,
  { backend, functions }: { backend: LambdaBackend; functions: LocalFunctions },
  request: IncomingMessage,
  requestId: string,
): Promise<LambdaReply> {
  const type = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
  if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
    const problem = `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`;
    throw new AwsApiError('ValidationException', problem);
  }
  const limit = type === 'Event' ? MAX_ASYNC_BYTES : MAX_SYNC_BYTES;
  const body = await readBody(request, limit);
  if (body === undefined) {
    const problem = `Request must be smaller than ${limit} bytes for the Invoke operation`;
    throw new AwsApiError('RequestTooLargeException', problem, { status: 413 });
  }
  let event: unknown;
  try {
    // An empty payload is the event `{}`.
    event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (error) {
    const problem = `Could not parse request body into json: ${(error as Error).message}`;
    throw new AwsApiError('InvalidRequestContentException', problem, { cause: error });
  }
  const empty = { requestId, contentType: 'application/json', text: '' };
  if (type === 'DryRun') return { ...empty, status: 204 };
  if (type === 'Event') {
    backend.invokeAsync(fn.key, event);
    return { ...empty, status: 202 };
  }
  const tail = request.headers['x-amz-log-type'] === 'Tail' ? new LogTail() : undefined;
  const outcome = await captured(tail, () => fn.invoke(event, 'direct'));
  // The runtime records each invocation with its request id, keeping the event as given.
  const record = functions.invocations(fn.key).findLast((candidate) => candidate.event === event);
  const id = record?.requestId ?? requestId;
  const headers: Record<string, string> = { 'X-Amz-Executed-Version': '$LATEST' };
  let text = 'error' in outcome ? '' : (JSON.stringify(outcome.result) ?? 'null');
  const failure = 'error' in outcome ? FunctionError.of(fn.key, outcome.error) : undefined;
  if (failure) {
    headers['X-Amz-Function-Error'] = 'Unhandled';
    text = JSON.stringify(errorPayload(failure));
  }
  if (tail) {
    const log = invocationLog(id, tail.text(), failure, record?.durationMs ?? 0, fn);
    headers['X-Amz-Log-Result'] = Buffer.from(log).subarray(-LOG_TAIL_BYTES).toString('base64');
  }
  return { requestId: id, status: 200, contentType: 'application/json', text, headers };
}

/** As the Node.js runtime reports a thrown error (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html). */
function errorPayload(failure: FunctionError): { errorType: string; errorMessage: string; trace: string[] } {
  const thrown = failure.cause instanceof Error ? failure.cause : undefined;
  const trace = thrown?.stack?.split('\n') ?? [];
  return { errorType: failure.errorType, errorMessage: failure.message, trace };
}

/** The invocation's lines framed as Lambda frames them in CloudWatch Logs. Max Memory Used is left out: every function shares one process. */
function invocationLog(
  id: string,
  output: string,
  failure: FunctionError | undefined,
  ms: number,
  fn: LocalFunction,
) {
  const { trace: stack, ...error } = failure ? errorPayload(failure) : { trace: [] };
  const logged =
    failure &&
    `${new Date().toISOString()}\t${id}\tERROR\tInvoke Error \t${JSON.stringify({ ...error, stack })}\n`;
  const memory = fn.environment().AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  const report = `REPORT RequestId: ${id}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(ms))} ms\tMemory Size: ${memory} MB\t\n`;
  return `START RequestId: ${id} Version: $LATEST\n${output}${logged ?? ''}END RequestId: ${id}\n${report}`;
}

/** What an invocation writes to stdout and stderr, its last few KB only. */
class LogTail {
  private readonly chunks: string[] = [];
  private length = 0;

  add(chunk: string): void {
    // The local cloud's own lines (`[local] web ok in 12 ms`) are not the function's.
    if (chunk.startsWith('[local] ')) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    while (this.chunks.length > 1 && this.length - (this.chunks[0]?.length ?? 0) >= LOG_TAIL_BYTES) {
      this.length -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    return this.chunks.join('');
  }
}

const tails = new AsyncLocalStorage<LogTail>();
let capturing = false;

/**
 * Runs `invocation`, keeping in `tail` what it writes. stdout and stderr are wrapped at the
 * first capture, over whatever wrapped them before (`npm start` sends the JSON lines to a
 * file): every line passes through, and the invocation that wrote it is known by its async
 * context, so concurrent invocations each get their own.
 */
async function captured(
  tail: LogTail | undefined,
  invocation: () => Promise<unknown>,
): Promise<{ result: unknown } | { error: unknown }> {
  if (tail && !capturing) {
    capturing = true;
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        tails
          .getStore()
          ?.add(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
        return write(chunk, ...rest);
      }) as typeof stream.write;
    }
  }
  const run = () =>
    invocation().then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
  return tail ? tails.run(tail, run) : run();
}
