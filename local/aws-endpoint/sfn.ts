import { AwsApiError, StepFunctionsApiError } from './errors.ts';
import { isRecord } from './files.ts';

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

export interface StateMachineSummary {
  name: string;
  arn: string;
  /** Amazon States Language, as JSON text; DescribeStateMachine returns it. */
  definition?: string;
  type?: 'STANDARD' | 'EXPRESS';
  roleArn?: string;
  creationDate?: Date;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** JSON text. */
  input: string;
  /** JSON text, once SUCCEEDED. */
  output?: string;
  error?: string;
  cause?: string;
}

/**
 * What runs the state machines behind the Step Functions API. The endpoint speaks the
 * protocol; the runner owns the machines and executions. Throw `StepFunctionsApiError`
 * (or an error whose `name` is a Step Functions error code) to answer with that error.
 */
export interface StateMachineRunner {
  list(): StateMachineSummary[];
  /** Throws StateMachineDoesNotExist / ExecutionAlreadyExists. */
  start(stateMachineArn: string, input: unknown, name?: string): { executionArn: string; startDate: Date };
  describe(executionArn: string): ExecutionDescription | undefined;
  /** Newest first, as ListExecutions returns them. */
  listExecutions(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionDescription[];
  /** Optional: without it StopExecution answers ValidationException. */
  stop?(executionArn: string, error?: string, cause?: string): { stopDate: Date };
}

/** Execution input and output are at most 256 KiB of UTF-8. */
const MAX_INPUT_BYTES = 256 * 1024;
const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:(execution|express):[^:]+:[^:]+$/;
/** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are not allowed in names
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const SFN_ERROR_CODES = new Set([
  'StateMachineDoesNotExist',
  'ExecutionAlreadyExists',
  'ExecutionDoesNotExist',
  'ExecutionLimitExceeded',
  'InvalidArn',
  'InvalidName',
  'InvalidExecutionInput',
  'ValidationException',
]);

export interface StepFunctionsContext {
  runner: StateMachineRunner | undefined;
  accountId: string;
  /** When the endpoint started: the creation date of machines that do not say. */
  startedAt: Date;
}

/** One Step Functions operation (awsJson1_0); dates go out as epoch seconds, as the SDK reads them. */
export function handleStepFunctionsOperation(
  context: StepFunctionsContext,
  operation: string,
  input: Record<string, unknown>,
): Record<string, unknown> {
  try {
    return run(context, operation, input);
  } catch (error) {
    if (error instanceof AwsApiError) throw error;
    if (error instanceof Error && SFN_ERROR_CODES.has(error.name)) {
      throw new AwsApiError(error.name, error.message, { cause: error });
    }
    throw error;
  }
}

function run(
  context: StepFunctionsContext,
  operation: string,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const runner = context.runner;
  switch (operation) {
    case 'ListStateMachines': {
      const machines = (runner?.list() ?? []).map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: machine.type ?? 'STANDARD',
        creationDate: epochSeconds(machine.creationDate ?? context.startedAt),
      }));
      const { items, nextToken } = paginate(machines, input);
      return { stateMachines: items, ...(nextToken === undefined ? {} : { nextToken }) };
    }
    case 'DescribeStateMachine': {
      const machine = findStateMachine(context, stringField(input, 'stateMachineArn'));
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        definition: machine.definition ?? '{}',
        roleArn: machine.roleArn ?? `arn:aws:iam::${context.accountId}:role/local-step-functions`,
        type: machine.type ?? 'STANDARD',
        creationDate: epochSeconds(machine.creationDate ?? context.startedAt),
      };
    }
    case 'StartExecution': {
      const machine = findStateMachine(context, stringField(input, 'stateMachineArn'));
      const name = optionalStringField(input, 'name');
      if (
        name !== undefined &&
        (name.length === 0 || name.length > 80 || INVALID_NAME_CHARACTER.test(name))
      ) {
        throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name}'`);
      }
      const inputText = optionalStringField(input, 'input') ?? '{}';
      if (Buffer.byteLength(inputText, 'utf8') > MAX_INPUT_BYTES) {
        throw new StepFunctionsApiError(
          'InvalidExecutionInput',
          'Invalid State Machine Execution Input: Input is too large',
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(inputText);
      } catch {
        throw new StepFunctionsApiError(
          'InvalidExecutionInput',
          `Invalid State Machine Execution Input: '${inputText.slice(0, 100)}'`,
        );
      }
      const started = (runner as StateMachineRunner).start(machine.arn, parsed, name);
      return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
    }
    case 'DescribeExecution': {
      const execution = findExecution(context, stringField(input, 'executionArn'));
      return {
        ...executionSummary(execution),
        input: execution.input,
        inputDetails: { included: true },
        ...(execution.output === undefined
          ? {}
          : { output: execution.output, outputDetails: { included: true } }),
        ...(execution.error === undefined ? {} : { error: execution.error }),
        ...(execution.cause === undefined ? {} : { cause: execution.cause }),
      };
    }
    case 'ListExecutions': {
      const machine = findStateMachine(context, stringField(input, 'stateMachineArn'));
      const statusFilter = optionalStringField(input, 'statusFilter') as ExecutionStatus | undefined;
      const executions = (runner as StateMachineRunner)
        .listExecutions(machine.arn, statusFilter)
        .filter((execution) => statusFilter === undefined || execution.status === statusFilter)
        .map(executionSummary);
      const { items, nextToken } = paginate(executions, input);
      return { executions: items, ...(nextToken === undefined ? {} : { nextToken }) };
    }
    case 'StopExecution': {
      const execution = findExecution(context, stringField(input, 'executionArn'));
      if (runner?.stop === undefined) {
        throw new StepFunctionsApiError(
          'ValidationException',
          'StopExecution is not supported by the local runner',
        );
      }
      if (execution.status !== 'RUNNING') {
        return { stopDate: epochSeconds(execution.stopDate ?? new Date()) };
      }
      const stopped = runner.stop(
        execution.executionArn,
        optionalStringField(input, 'error'),
        optionalStringField(input, 'cause'),
      );
      return { stopDate: epochSeconds(stopped.stopDate) };
    }
    default:
      throw new AwsApiError('UnknownOperationException', `Unknown operation ${operation}`);
  }
}

function findStateMachine(context: StepFunctionsContext, arn: string): StateMachineSummary {
  if (!STATE_MACHINE_ARN.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const machine = context.runner?.list().find((candidate) => candidate.arn === arn);
  if (machine === undefined) {
    throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }
  return machine;
}

function findExecution(context: StepFunctionsContext, arn: string): ExecutionDescription {
  if (!EXECUTION_ARN.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const execution = context.runner?.describe(arn);
  if (execution === undefined) {
    throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  }
  return execution;
}

function stringField(input: Record<string, unknown>, name: string): string {
  const value = optionalStringField(input, name);
  if (value === undefined) {
    throw new StepFunctionsApiError(
      'ValidationException',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalStringField(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new AwsApiError('SerializationException', `Expected a string for ${name}`);
  }
  return value;
}

/** Numeric `nextToken`s over the full list; maxResults defaults to 100 and is at most 1000. */
function paginate<T>(items: T[], input: Record<string, unknown>): { items: T[]; nextToken?: string } {
  const maxResults = input.maxResults;
  const size = maxResults === undefined || maxResults === null || maxResults === 0 ? 100 : maxResults;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 1000) {
    throw new StepFunctionsApiError('ValidationException', 'maxResults must be between 0 and 1000');
  }
  const token = optionalStringField(input, 'nextToken');
  const start = token === undefined ? 0 : Number.parseInt(token, 10);
  if (!Number.isSafeInteger(start) || start < 0 || start > items.length) {
    throw new AwsApiError('InvalidToken', `Invalid Token: '${token}'`);
  }
  const end = start + size;
  return end < items.length
    ? { items: items.slice(start, end), nextToken: String(end) }
    : { items: items.slice(start) };
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** Input for the JSON protocol must be an object; anything else is a serialization error. */
export function asJsonObject(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.trim().length === 0 ? {} : JSON.parse(body);
  } catch (error) {
    throw new AwsApiError('SerializationException', 'The request body is not valid JSON.', { cause: error });
  }
  if (!isRecord(parsed))
    throw new AwsApiError('SerializationException', 'The request body must be a JSON object.');
  return parsed;
}

/** The fields ListExecutions returns, which DescribeExecution returns too. */
function executionSummary(execution: ExecutionDescription): Record<string, unknown> {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    ...(execution.stopDate === undefined ? {} : { stopDate: epochSeconds(execution.stopDate) }),
  };
}
