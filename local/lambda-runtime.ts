import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { StackResources } from './resources.ts';
import type { FunctionDefinition, Json } from './service-config.ts';
import { projectRoot } from './service-config.ts';
import type { InvocationRecord } from './types.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

let coldStarts: Promise<unknown> = Promise.resolve();

/** The error a function invocation ended with, as Lambda reports it. */
export class FunctionError extends Error {
  override name = 'FunctionError';
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** What a handler threw, as Lambda reports it: its error's name is the error type. */
  static of(functionName: string, thrown: unknown): FunctionError {
    if (thrown instanceof FunctionError) return thrown;
    const [type, message] =
      thrown instanceof Error ? [thrown.name, thrown.message] : ['Error', String(thrown)];
    return new FunctionError(functionName, type, message, { cause: thrown });
  }
}

export interface RuntimeOptions {
  stack: StackResources;
  /** Environment shared by every function (region, credentials, endpoints). */
  baseEnvironment: Record<string, string>;
  /** Overrides applied last (e.g. quieter logs in tests). */
  environmentOverrides: Record<string, string>;
  /** This function's values that only the local cloud knows (over serverless.yml's). */
  localEnvironment: Record<string, string>;
  onInvocation: (record: InvocationRecord) => void;
  /** Where handler paths start (tests point it at a temporary copy); default the project's root. */
  root?: string;
}

/**
 * One function's containers: as on Lambda, an invocation runs alone in a container (a copy
 * of the handler module, imported under the function's own environment, then kept warm),
 * and concurrent invocations get a container each, so state the handler module holds, such
 * as its logger and the request id in it, is never shared between them. Only the handler
 * module is copied: the modules it imports are shared by its containers (SDK clients, for
 * one), unlike on Lambda; after a `--watch` reload each container has a whole bundle. Every
 * invocation gets a Lambda-like context with a request id and a real deadline.
 *
 * All functions share one Node process, so an environment variable is only guaranteed to
 * be the function's own while its module loads: function code reads its configuration at
 * cold start (as ours does, see shared/env.ts), never per request.
 */
export class LocalFunction {
  readonly name: string;
  readonly timeoutMs: number;
  /** The handler's module, relative to the root: `functions/web/handler.ts`. */
  readonly modulePath: string;
  private readonly exportName: string;
  /** What a cold start imports: the handler's module, or the newest version `reload` gave. */
  private entry: string;
  /** Warm containers of the entry not running an invocation; `containers` of it were ever started. */
  private readonly idle: Handler[] = [];
  private current = new WeakSet<Handler>();
  private containers = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly key: string,
    readonly definition: FunctionDefinition,
    private readonly options: RuntimeOptions,
    /**
     * At most this many invocations run at once: the function's `reservedConcurrency`
     * from serverless.yml, else 16 — in one process, more mostly adds memory, not speed.
     */
    private readonly concurrency = definition.reservedConcurrency ?? 16,
  ) {
    this.name = definition.name;
    this.timeoutMs = (definition.timeout ?? options.stack.config.provider.timeout ?? 6) * 1000;
    const { handler } = definition;
    this.modulePath = `${handler.slice(0, handler.lastIndexOf('.'))}.ts`;
    this.exportName = handler.slice(handler.lastIndexOf('.') + 1);
    this.entry = pathToFileURL(join(options.root ?? projectRoot, this.modulePath)).href;
  }

  environment(): Record<string, string> {
    const { stack } = this.options;
    const declared: Record<string, Json> = {
      ...stack.config.provider.environment,
      ...this.definition.environment,
    };
    const resolve = ([name, value]: [string, Json]) => [
      name,
      stack.resolveString(value, `${this.key} environment ${name}`),
    ];
    const memory = this.definition.memorySize ?? stack.config.provider.memorySize ?? 1024;
    return {
      ...this.options.baseEnvironment,
      ...Object.fromEntries(Object.entries(declared).map(resolve)),
      ...this.options.localEnvironment,
      AWS_LAMBDA_FUNCTION_NAME: this.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memory),
      ...this.options.environmentOverrides,
    };
  }

  /** Cold-starts the first container (so that a module that cannot load fails early). */
  async load(): Promise<void> {
    if (this.containers === 0) this.idle.push(await this.importHandler());
  }

  /**
   * Makes `url`, a new version of the handler's module, what cold starts import: idle
   * containers are dropped, running invocations finish on the code they started with.
   * Rejects, and the current version stays, when it cannot load.
   */
  async reload(url: string): Promise<void> {
    this.idle.push(await this.importHandler(url));
  }

  /** Cold starts run one at a time, in every function: each sets process.env while it loads. */
  private importHandler(newVersion?: string): Promise<Handler> {
    const loaded = coldStarts.then(() => this.coldStart(newVersion));
    coldStarts = loaded.then(
      () => undefined,
      () => undefined,
    );
    return loaded;
  }

  private async coldStart(newVersion?: string): Promise<Handler> {
    if (newVersion === undefined) this.containers += 1;
    // A module is imported once per URL: a query makes each container's copy its own.
    const copy = this.containers > 1 && !newVersion ? `?container=${this.containers}` : '';
    const environment = this.environment();
    const previous = new Map(Object.keys(environment).map((name) => [name, process.env[name]]));
    Object.assign(process.env, environment);
    try {
      const module: Record<string, unknown> = await import(`${newVersion ?? this.entry}${copy}`);
      const handler = module[this.exportName];
      if (typeof handler !== 'function') {
        throw new Error(`${this.definition.handler}: the module has no function export "${this.exportName}"`);
      }
      if (newVersion) {
        [this.entry, this.containers, this.current] = [newVersion, 1, new WeakSet()];
        this.idle.length = 0;
      }
      this.current.add(handler as Handler);
      return handler as Handler;
    } finally {
      for (const [name, value] of previous) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      // Values every function shares stay; per-function ones were only for the cold start.
      Object.assign(process.env, this.options.baseEnvironment, this.options.environmentOverrides);
    }
  }

  /**
   * Invokes the handler. Resolves with its result; rejects with a FunctionError when it
   * throws, cannot load, or runs past its timeout.
   */
  async invoke(event: unknown, trigger: InvocationRecord['trigger'], attempt = 1): Promise<unknown> {
    await this.acquire();
    const requestId = randomUUID();
    const startedAt = new Date();
    const context = this.context(requestId, startedAt.getTime() + this.timeoutMs);
    const record = (outcome: InvocationRecord['outcome'], extra: Partial<InvocationRecord>) => {
      const durationMs = Date.now() - startedAt.getTime();
      const when = { trigger, attempt, startedAt: startedAt.toISOString(), durationMs };
      this.options.onInvocation({ functionName: this.key, requestId, ...when, outcome, event, ...extra });
    };
    let timer: NodeJS.Timeout | undefined;
    let handler: Handler | undefined;
    try {
      handler = this.idle.pop() ?? (await this.importHandler());
      const timedOut = new FunctionError(
        this.key,
        'Sandbox.Timedout',
        `Task timed out after ${(this.timeoutMs / 1000).toFixed(2)} seconds`,
      );
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timedOut), this.timeoutMs);
      });
      const result = await Promise.race([handler(event, context), timeout]);
      record('success', { result });
      return result;
    } catch (error) {
      const failure = FunctionError.of(this.key, error);
      // A timed-out invocation may still be running: its container is not used again.
      if (failure.errorType === 'Sandbox.Timedout') handler = undefined;
      const { errorType, message: errorMessage } = failure;
      record('error', { errorType, errorMessage });
      throw failure;
    } finally {
      clearTimeout(timer);
      // A container of an earlier version is not used again after a reload.
      if (handler && this.current.has(handler)) this.idle.push(handler);
      this.release();
    }
  }

  /** Invocations running or waiting for a slot. */
  get inProgress(): number {
    return this.running + this.waiting.length;
  }

  get busy(): boolean {
    return this.inProgress > 0;
  }

  private context(requestId: string, deadline: number): Context {
    const { region, accountId } = this.options.stack.account;
    const unsupported = (): never => {
      throw new Error('Callback-style completion is not supported: return a promise');
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: this.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${this.name}`,
      memoryLimitInMB: String(this.definition.memorySize ?? 1024),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${this.name}`,
      logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]local`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }

  private async acquire(): Promise<void> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
  }

  private release(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }
}
