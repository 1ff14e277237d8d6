import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionDescription, ExecutionStatus } from './aws-endpoint/sfn.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import type { LocalStack } from './resources.ts';
import type { Json } from './service-config.ts';

/**
 * Step Functions stand-in: the state machines declared under `stepFunctions` in
 * serverless.yml, run by aws-local-stepfunctions with every Lambda Task state mapped to
 * the local handler of the function it names. Retry intervals are shortened locally.
 * Each execution's events and result are printed and kept in `<dataDir>/executions/`.
 */

// aws-local-stepfunctions uses Promise.withResolvers (Node 22+).
const promiseWithResolvers = Promise as unknown as { withResolvers?: unknown };
promiseWithResolvers.withResolvers ??= <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export type { ExecutionDescription, ExecutionStatus };

export interface LocalStateMachine {
  key: string;
  name: string;
  arn: string;
  /** Amazon States Language as JSON text, with Lambda ARNs resolved. */
  definition: string;
}

export interface LocalStateMachineRunner {
  list(): LocalStateMachine[];
  start(stateMachineArn: string, input: unknown, name?: string): { executionArn: string; startDate: Date };
  describe(executionArn: string): ExecutionDescription | undefined;
  listExecutions(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionDescription[];
  stop(executionArn: string, error?: string, cause?: string): { stopDate: Date };
  /** Waits for an execution to end and returns its description. */
  wait(executionArn: string, timeoutMs?: number): Promise<ExecutionDescription>;
  readonly busy: boolean;
}

export class StateMachineError extends Error {
  constructor(
    override readonly name: 'StateMachineDoesNotExist' | 'ExecutionAlreadyExists' | 'ExecutionDoesNotExist',
    message: string,
  ) {
    super(message);
  }
}

interface RunnerOptions {
  stack: LocalStack;
  functions: Map<string, LocalFunction>;
  dataDir: string | undefined;
  log: (line: string) => void;
  verbose: boolean;
}

type StateDefinition = Record<string, Json>;

/** Walks every state, including those inside Map and Parallel states. */
function forEachState(
  states: Record<string, Json>,
  visit: (name: string, state: StateDefinition) => void,
): void {
  for (const [name, value] of Object.entries(states)) {
    const state = value as StateDefinition;
    visit(name, state);
    const nested = (state.ItemProcessor ?? state.Iterator) as { States?: Record<string, Json> } | undefined;
    if (nested?.States) forEachState(nested.States, visit);
    for (const branch of (state.Branches as { States?: Record<string, Json> }[] | undefined) ?? []) {
      if (branch.States) forEachState(branch.States, visit);
    }
  }
}

/** Lambda's error shape for a Task: the function's error type is the Step Functions error name. */
class TaskFailure extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function createStateMachineRunner(options: RunnerOptions): LocalStateMachineRunner {
  const { stack } = options;
  const { region, accountId } = stack.account;
  const functionKeyByArn = new Map<string, string>();
  for (const key of Object.keys(stack.config.functions)) {
    const arn = stack.getAtt(key, 'Arn');
    functionKeyByArn.set(arn, key);
    functionKeyByArn.set(stack.config.functions[key]?.name ?? key, key);
  }

  const machines: (Omit<LocalStateMachine, 'definition'> & {
    definition: Json;
    handlers: Record<string, (input: Json) => Promise<Json>>;
    retryStates: string[];
  })[] = [];
  for (const [key, machine] of Object.entries(stack.config.stepFunctions?.stateMachines ?? {})) {
    const name = machine.name ?? key;
    const definition = stack.resolve(JSON.parse(JSON.stringify(machine.definition)) as Json) as {
      States: Record<string, Json>;
    };
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    const retryStates: string[] = [];
    forEachState(definition.States, (stateName, state) => {
      if (Array.isArray(state.Retry)) retryStates.push(stateName);
      if (state.Type !== 'Task' || typeof state.Resource !== 'string') return;
      const resource = state.Resource;
      const optimized = resource.startsWith('arn:aws:states:::lambda:invoke');
      const target = optimized
        ? String((state.Parameters as Record<string, Json> | undefined)?.FunctionName ?? '')
        : resource;
      const functionKey = functionKeyByArn.get(target.replace(/:\$LATEST$/, ''));
      if (!functionKey) return;
      handlers[stateName] = async (input: Json) => {
        const fn = options.functions.get(functionKey);
        if (!fn) throw new TaskFailure('Lambda.ResourceNotFoundException', `${functionKey} is not running`);
        try {
          const payload = optimized ? ((input as Record<string, Json>)?.Payload ?? input) : input;
          const result = (await fn.invoke(payload, 'stepFunctions')) as Json;
          return optimized
            ? { ExecutedVersion: '$LATEST', Payload: result ?? null, StatusCode: 200 }
            : (result ?? null);
        } catch (error) {
          const failure = error as { errorType?: string; message?: string };
          throw new TaskFailure(failure.errorType ?? 'Error', failure.message ?? String(error));
        }
      };
    });
    machines.push({
      key,
      name,
      arn: `arn:aws:states:${region}:${accountId}:stateMachine:${name}`,
      definition: definition as unknown as Json,
      handlers,
      retryStates,
    });
  }

  const executions = new Map<string, ExecutionDescription & { done: Promise<void>; abort: () => void }>();
  let running = 0;

  const persist = (execution: ExecutionDescription, events: unknown[]): void => {
    if (!options.dataDir) return;
    const directory = join(options.dataDir, 'executions');
    mkdirSync(directory, { recursive: true });
    writeFileSync(
      join(directory, `${execution.name}.json`),
      `${JSON.stringify({ ...execution, events }, null, 2)}\n`,
    );
  };

  return {
    list: () =>
      machines.map(({ key, name, arn, definition }) => ({
        key,
        name,
        arn,
        definition: JSON.stringify(definition),
      })),
    get busy() {
      return running > 0;
    },
    start(stateMachineArn, input, requestedName) {
      const machine = machines.find((candidate) => candidate.arn === stateMachineArn);
      if (!machine)
        throw new StateMachineError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${stateMachineArn}'`,
        );
      const name = requestedName ?? randomUUID();
      const executionArn = `arn:aws:states:${region}:${accountId}:execution:${machine.name}:${name}`;
      if (executions.has(executionArn)) {
        throw new StateMachineError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      // Loaded lazily: it is only needed once an execution starts.
      const startDate = new Date();
      const events: unknown[] = [];
      let abort = (): void => undefined;
      const description: ExecutionDescription = {
        executionArn,
        stateMachineArn,
        name,
        status: 'RUNNING',
        startDate,
        input: JSON.stringify(input ?? {}),
      };
      running += 1;
      const done = (async () => {
        try {
          const { StateMachine } = await import('aws-local-stepfunctions');
          const stateMachine = new StateMachine(machine.definition as never, {
            validationOptions: { checkArn: false },
          });
          const execution = stateMachine.run((input ?? {}) as never, {
            // The context object (`$$.Execution.Name`, …) as Step Functions fills it.
            // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
            context: {
              Execution: { Id: executionArn, Name: name, StartTime: startDate.toISOString() },
              StateMachine: { Id: machine.arn, Name: machine.name },
            },
            overrides: {
              taskResourceLocalHandlers: machine.handlers as never,
              retryIntervalOverrides: Object.fromEntries(machine.retryStates.map((state) => [state, 50])),
            },
          });
          abort = execution.abort;
          const collecting = (async () => {
            for await (const event of execution.eventLogs) {
              events.push(event);
              const entry = event as {
                type: string;
                state?: { name?: string };
                Error?: string;
                Cause?: string;
              };
              if (options.verbose && entry.type !== 'StateExited') {
                options.log(
                  `[sfn] ${machine.key}/${name.slice(0, 8)} ${entry.type}${entry.state?.name ? ` ${entry.state.name}` : ''}${entry.Error ? ` ${entry.Error}: ${entry.Cause ?? ''}` : ''}`,
                );
              }
            }
          })();
          const output = await execution.result;
          await collecting.catch(() => undefined);
          description.status = 'SUCCEEDED';
          description.output = JSON.stringify(output);
        } catch (error) {
          const thrown = error as { name?: string; message?: string; cause?: unknown };
          // aws-local-stepfunctions wraps the state's error (a Fail state's Error/Cause, or a
          // Task's uncaught error) in an ExecutionError: report the inner one, as AWS does.
          const failure =
            thrown.name === 'ExecutionError' && thrown.cause instanceof Error
              ? (thrown.cause as { name?: string; message?: string; cause?: unknown })
              : thrown;
          description.status = thrown.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
          const info = failure as { error?: string; cause?: string };
          description.error = description.error ?? info.error ?? failure.name ?? 'Error';
          description.cause =
            description.cause ?? (typeof info.cause === 'string' ? info.cause : failure.message);
        } finally {
          description.stopDate = new Date();
          running -= 1;
          options.log(
            `[sfn] ${machine.key}/${name} ${description.status}${description.error ? ` (${description.error})` : ''}`,
          );
          persist(description, events);
        }
      })();
      executions.set(executionArn, Object.assign(description, { done, abort: () => abort() }));
      return { executionArn, startDate };
    },
    describe(executionArn) {
      const execution = executions.get(executionArn);
      if (!execution) return undefined;
      const { done: _done, abort: _abort, ...description } = execution;
      return description;
    },
    listExecutions(stateMachineArn, statusFilter) {
      return [...executions.values()]
        .filter((execution) => execution.stateMachineArn === stateMachineArn)
        .filter((execution) => !statusFilter || execution.status === statusFilter)
        .map(({ done: _done, abort: _abort, ...description }) => description);
    },
    stop(executionArn, error, cause) {
      const execution = executions.get(executionArn);
      if (!execution)
        throw new StateMachineError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
      if (execution.status === 'RUNNING') {
        execution.error = error;
        execution.cause = cause;
        execution.abort();
      }
      return { stopDate: new Date() };
    },
    async wait(executionArn, timeoutMs = 120_000) {
      const execution = executions.get(executionArn);
      if (!execution)
        throw new StateMachineError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        execution.done,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${executionArn} still running after ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      const { done: _done, abort: _abort, ...description } = execution;
      return description;
    },
  };
}
