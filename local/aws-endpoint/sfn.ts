import { AwsApiError, StepFunctionsApiError } from './errors.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface StateMachineSummary {
  name: string;
  arn: string;
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
 * What runs the state machines behind the Step Functions API (step-functions.ts). The
 * endpoint checks the requests; the runner owns the machines and executions, and throws
 * `StepFunctionsApiError` to answer with a Step Functions error (ExecutionAlreadyExists).
 */
export interface StateMachineRunner {
  list(): StateMachineSummary[];
  start(stateMachineArn: string, input: unknown, name?: string): { executionArn: string; startDate: Date };
  describe(executionArn: string): ExecutionDescription | undefined;
}

/** Execution input is at most 256 KiB of UTF-8. */
const MAX_INPUT_BYTES = 256 * 1024;
const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:(execution|express):[^:]+:[^:]+$/;
/** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are not allowed in names
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

type Input = Record<string, unknown>;

/**
 * One Step Functions operation (awsJson1_0), cut to what is called locally: StartExecution
 * and DescribeExecution (the import hand-off, `npm run rebuild-thumbnails`, the tests).
 * Dates go out as epoch seconds, as the SDK reads them.
 */
export function handleStepFunctionsOperation(
  runner: StateMachineRunner | undefined,
  operation: string,
  input: Input,
): Record<string, unknown> {
  if (operation === 'StartExecution') return startExecution(runner, input);
  if (operation === 'DescribeExecution') return describeExecution(runner, input);
  throw new AwsApiError('UnknownOperationException', `Unknown operation ${operation}`);
}

function startExecution(runner: StateMachineRunner | undefined, input: Input): Record<string, unknown> {
  const arn = stringField(input, 'stateMachineArn', true);
  if (!STATE_MACHINE_ARN.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  if (runner === undefined || !runner.list().some((machine) => machine.arn === arn)) {
    throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }
  const name = stringField(input, 'name');
  if (name !== undefined && (name.length === 0 || name.length > 80 || INVALID_NAME_CHARACTER.test(name))) {
    throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name}'`);
  }
  const text = stringField(input, 'input') ?? '{}';
  const invalidInput = (why: string) =>
    new StepFunctionsApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: ${why}`);
  if (Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) throw invalidInput('Input is too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidInput(`'${text.slice(0, 100)}'`);
  }
  const started = runner.start(arn, parsed, name);
  return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
}

function describeExecution(runner: StateMachineRunner | undefined, input: Input): Record<string, unknown> {
  const arn = stringField(input, 'executionArn', true);
  if (!EXECUTION_ARN.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const execution = runner?.describe(arn);
  if (execution === undefined) {
    throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  }
  const { startDate, stopDate, output } = execution;
  return {
    ...execution,
    startDate: epochSeconds(startDate),
    ...(stopDate === undefined ? {} : { stopDate: epochSeconds(stopDate) }),
    inputDetails: { included: true },
    ...(output === undefined ? {} : { outputDetails: { included: true } }),
  };
}

function stringField(input: Input, name: string, required: true): string;
function stringField(input: Input, name: string): string | undefined;
function stringField(input: Input, name: string, required = false): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) {
    if (!required) return undefined;
    throw new StepFunctionsApiError(
      'ValidationException',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'string')
    throw new AwsApiError('SerializationException', `Expected a string for ${name}`);
  return value;
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
