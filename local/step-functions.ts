import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StepFunctionsApiError } from './aws-endpoint/errors.ts';
import type { ExecutionDescription, StateMachineRunner } from './aws-endpoint/sfn.ts';
import { ExecutionJournal } from './execution-journal.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import { verboseLogs } from './logs.ts';
import type { StackResources } from './resources.ts';
import type { Json } from './service-config.ts';

/**
 * Step Functions stand-in: the state machines declared under `stepFunctions` in
 * serverless.yml, run by aws-local-stepfunctions with every Lambda Task state mapped to
 * the local handler of the function it names. Retry intervals are shortened locally.
 * Each execution's events and result are printed and kept in `<dataDir>/executions/`; while
 * it runs, it is journaled in `<dataDir>/journal/states/` (execution-journal.ts) so that the
 * next start resumes it when this process did not see it to its end.
 */

// aws-local-stepfunctions uses Promise.withResolvers (Node 22+).
(Promise as unknown as { withResolvers?: unknown }).withResolvers ??= () => {
  const resolvers: Record<string, unknown> = {};
  resolvers.promise = new Promise((resolve, reject) => Object.assign(resolvers, { resolve, reject }));
  return resolvers;
};

export interface LocalStateMachineRunner extends StateMachineRunner {
  /** By the state machine's key in serverless.yml. */
  list(): { key: string; name: string; arn: string }[];
  readonly busy: boolean;
  /** Starts again the executions a previous process left running; returns how many. */
  resume(): number;
  /** The cloud is stopping: an execution that ends from now on is left to the next start. */
  close(): void;
}

export interface RunnerOptions {
  stack: StackResources;
  /** Looked up when a Task runs, so that the runner can exist before the functions. */
  functionNamed: (key: string) => LocalFunction | undefined;
  /** Where `executions/` goes; undefined keeps executions in memory only. */
  dataDir: string | undefined;
  log: (line: string) => void;
  verbose: boolean;
}

type TaskHandler = (input: Json) => Promise<Json>;

type CompiledMachine = ReturnType<typeof compileMachines>[number];

/** Lambda's error shape for a Task: the function's error type is the Step Functions error name. */
function taskFailure(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

export function createStateMachineRunner(options: RunnerOptions): LocalStateMachineRunner {
  const machines = compileMachines(options);
  const executions = new Map<string, ExecutionDescription>();
  const journalDir = options.dataDir && join(options.dataDir, 'journal', 'states');
  let running = 0;
  let closed = false;
  const launch = (
    machine: CompiledMachine,
    description: ExecutionDescription,
    journal?: ExecutionJournal,
  ) => {
    executions.set(description.executionArn, description);
    running += 1;
    const input = JSON.parse(description.input ?? '{}') as Json;
    void runExecution(machine, description, input, { ...options, journal, closed: () => closed })
      .catch((error: unknown) =>
        options.log(`[sfn] ${description.executionArn}: ${(error as Error).message}`),
      )
      .finally(() => {
        running -= 1;
      });
  };
  return {
    list: () => machines.map(({ key, name, arn }) => ({ key, name, arn })),
    get busy() {
      return running > 0;
    },
    start(arn, input, requestedName) {
      const machine = machines.find((candidate) => candidate.arn === arn);
      if (!machine) {
        throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
      }
      const description = newExecution(machine, input, requestedName, options.stack.account);
      if (executions.has(description.executionArn)) {
        const message = `Execution Already Exists: '${description.executionArn}'`;
        throw new StepFunctionsApiError('ExecutionAlreadyExists', message);
      }
      const { status: _status, input: _input, ...started } = description;
      const journal =
        journalDir &&
        ExecutionJournal.begin(journalDir, {
          ...started,
          startDate: started.startDate.toISOString(),
          input: (input ?? {}) as Json,
        });
      launch(machine, description, journal || undefined);
      return { executionArn: description.executionArn, startDate: description.startDate };
    },
    resume() {
      const unfinished = journalDir ? ExecutionJournal.unfinished(journalDir) : [];
      for (const journal of unfinished) {
        const { start } = journal;
        const machine = machines.find((candidate) => candidate.arn === start.stateMachineArn);
        if (!machine || executions.has(start.executionArn)) continue;
        const { input, ...execution } = start;
        const startDate = new Date(execution.startDate);
        launch(
          machine,
          { ...execution, startDate, status: 'RUNNING', input: JSON.stringify(input) },
          journal,
        );
      }
      return unfinished.length;
    },
    close() {
      closed = true;
    },
    describe: (executionArn) => {
      const execution = executions.get(executionArn);
      return execution === undefined ? undefined : { ...execution };
    },
  };
}

/** A new execution's description, named as StartExecution names it (a UUID unless given). */
function newExecution(
  machine: CompiledMachine,
  input: unknown,
  requestedName: string | undefined,
  account: { region: string; accountId: string },
): ExecutionDescription {
  const name = requestedName ?? randomUUID();
  const executionArn = `arn:aws:states:${account.region}:${account.accountId}:execution:${machine.name}:${name}`;
  const startDate = new Date();
  return {
    executionArn,
    stateMachineArn: machine.arn,
    name,
    startDate,
    status: 'RUNNING',
    input: JSON.stringify(input ?? {}),
  };
}

/** Each Task state answered from the journal when it already ran with this input, else run and recorded. */
function journaled(handlers: Record<string, TaskHandler>, journal: ExecutionJournal | undefined) {
  if (!journal) return handlers;
  const replaying = Object.entries(handlers).map(([state, handler]): [string, TaskHandler] => [
    state,
    async (input) => {
      const recorded = journal.take(state, input);
      if (recorded) return recorded.result;
      const result = await handler(input);
      journal.record(state, input, result);
      return result;
    },
  ]);
  return Object.fromEntries(replaying);
}

/** The machines of serverless.yml, their Lambda ARNs resolved and their Task states mapped to handlers. */
function compileMachines(options: RunnerOptions) {
  const { stack } = options;
  const { region, accountId } = stack.account;
  const functionKeyByArn = new Map<string, string>();
  for (const key of Object.keys(stack.config.functions)) {
    functionKeyByArn.set(stack.getAtt(key, 'Arn'), key);
    functionKeyByArn.set(stack.config.functions[key]?.name ?? key, key);
  }
  return Object.entries(stack.config.stepFunctions?.stateMachines ?? {}).map(([key, machine]) => {
    const name = machine.name ?? key;
    const definition = stack.resolve(structuredClone(machine.definition)) as { States: Record<string, Json> };
    const handlers: Record<string, TaskHandler> = {};
    const retryStates: string[] = [];
    forEachState(definition.States, (stateName, state) => {
      if (Array.isArray(state.Retry)) retryStates.push(stateName);
      if (state.Type !== 'Task' || typeof state.Resource !== 'string') return;
      const optimized = state.Resource.startsWith('arn:aws:states:::lambda:invoke');
      const target = optimized
        ? String((state.Parameters as Record<string, Json> | undefined)?.FunctionName ?? '')
        : state.Resource;
      const functionKey = functionKeyByArn.get(target.replace(/:\$LATEST$/, ''));
      if (functionKey) handlers[stateName] = taskHandler(functionKey, optimized, options);
    });
    const arn = `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
    return { key, name, arn, definition: definition as unknown as Json, handlers, retryStates };
  });
}

/** Walks every state, including those inside Map and Parallel states. */
function forEachState(
  states: Record<string, Json>,
  visit: (name: string, state: Record<string, Json>) => void,
): void {
  for (const [name, value] of Object.entries(states)) {
    const state = value as Record<string, Json>;
    visit(name, state);
    const nested = (state.ItemProcessor ?? state.Iterator) as { States?: Record<string, Json> } | undefined;
    if (nested?.States) forEachState(nested.States, visit);
    for (const branch of (state.Branches as { States?: Record<string, Json> }[] | undefined) ?? []) {
      if (branch.States) forEachState(branch.States, visit);
    }
  }
}

/** A Task state's invocation: the function's result (wrapped as `lambda:invoke` wraps it) or its error. */
function taskHandler(functionKey: string, optimized: boolean, options: RunnerOptions): TaskHandler {
  return async (input) => {
    const fn = options.functionNamed(functionKey);
    if (!fn) throw taskFailure('Lambda.ResourceNotFoundException', `${functionKey} is not running`);
    try {
      const payload = optimized ? ((input as Record<string, Json>)?.Payload ?? input) : input;
      const result = (await fn.invoke(payload, 'stepFunctions')) as Json;
      return optimized
        ? { ExecutedVersion: '$LATEST', Payload: result ?? null, StatusCode: 200 }
        : (result ?? null);
    } catch (error) {
      const failure = error as { errorType?: string; message?: string };
      throw taskFailure(failure.errorType ?? 'Error', failure.message ?? String(error));
    }
  };
}

/** Runs one execution to its end, filling in its description; never rejects. */
async function runExecution(
  machine: CompiledMachine,
  description: ExecutionDescription,
  input: unknown,
  options: RunnerOptions & { journal: ExecutionJournal | undefined; closed: () => boolean },
): Promise<void> {
  const events: unknown[] = [];
  try {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const stateMachine = new StateMachine(machine.definition as never, {
      validationOptions: { checkArn: false },
    });
    const execution = stateMachine.run((input ?? {}) as never, {
      // The context object (`$$.Execution.Name`, …) as Step Functions fills it.
      // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
      context: {
        Execution: {
          Id: description.executionArn,
          Name: description.name,
          StartTime: description.startDate.toISOString(),
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
      overrides: {
        taskResourceLocalHandlers: journaled(machine.handlers, options.journal) as never,
        retryIntervalOverrides: Object.fromEntries(machine.retryStates.map((state) => [state, 50])),
      },
    });
    const label = `${machine.key}/${description.name.slice(0, 8)}`;
    const collecting = collectEvents(execution.eventLogs, events, label, options);
    const output = await execution.result;
    await collecting.catch(() => undefined);
    description.status = 'SUCCEEDED';
    description.output = JSON.stringify(output);
  } catch (error) {
    Object.assign(description, { status: 'FAILED' }, failureOf(error));
  }
  if (options.closed() && description.status !== 'SUCCEEDED') {
    // Its failure may be the stop's doing (emulators going away): the next start resumes it.
    options.log(`[sfn] ${machine.key}/${description.name} left for the next start`);
    return;
  }
  description.stopDate = new Date();
  const outcome = `${description.status}${description.error ? ` (${description.error})` : ''}`;
  options.log(`[sfn] ${machine.key}/${description.name} ${outcome}`);
  persist(description, events, options.dataDir);
  options.journal?.finish();
}

async function collectEvents(
  eventLogs: AsyncIterable<unknown>,
  events: unknown[],
  label: string,
  options: RunnerOptions,
): Promise<void> {
  for await (const event of eventLogs) {
    events.push(event);
    const entry = event as { type: string; state?: { name?: string }; Error?: string; Cause?: string };
    if (options.verbose && verboseLogs() && entry.type !== 'StateExited') {
      const state = entry.state?.name ? ` ${entry.state.name}` : '';
      const error = entry.Error ? ` ${entry.Error}: ${entry.Cause ?? ''}` : '';
      options.log(`[sfn] ${label} ${entry.type}${state}${error}`);
    }
  }
}

/**
 * aws-local-stepfunctions wraps the state's error (a Fail state's Error/Cause, or a Task's
 * uncaught error) in an ExecutionError: the execution reports the inner one, as AWS does.
 */
function failureOf(error: unknown): { error: string; cause: string | undefined } {
  const thrown = error as { name?: string; message?: string; cause?: unknown };
  const inner = thrown.name === 'ExecutionError' && thrown.cause instanceof Error ? thrown.cause : thrown;
  const failure = inner as { name?: string; message?: string; error?: string; cause?: unknown };
  return {
    error: failure.error ?? failure.name ?? 'Error',
    cause: typeof failure.cause === 'string' ? failure.cause : failure.message,
  };
}

function persist(execution: ExecutionDescription, events: unknown[], dataDir: string | undefined): void {
  if (!dataDir) return;
  const directory = join(dataDir, 'executions');
  mkdirSync(directory, { recursive: true });
  const record = `${JSON.stringify({ ...execution, events }, null, 2)}\n`;
  writeFileSync(join(directory, `${execution.name}.json`), record);
}
