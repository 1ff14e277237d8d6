/**
 * An error the endpoint answers with, in the calling protocol's shape: the Query
 * protocol's `<Code>` for SNS (`NotFound`, `InvalidParameter`), the JSON protocol's
 * `__type` for Step Functions (`StateMachineDoesNotExist`). The SDK picks its exception
 * class from that name, so it must be AWS's own.
 */
export class AwsApiError extends Error {
  override readonly name: string = 'AwsApiError';
  readonly status: number;
  /** `Sender` for the caller's mistakes, `Receiver` for ours. */
  readonly fault: 'Sender' | 'Receiver';

  constructor(
    readonly code: string,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status ?? 400;
    this.fault = this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

type StepFunctionsErrorCode =
  | 'StateMachineDoesNotExist'
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidArn'
  | 'InvalidName'
  | 'InvalidExecutionInput'
  | 'ValidationException';

/** Thrown by a state machine runner to answer with a specific Step Functions error. */
export class StepFunctionsApiError extends AwsApiError {
  override readonly name: string = 'StepFunctionsApiError';

  constructor(code: StepFunctionsErrorCode, message: string) {
    super(code, message);
  }
}
