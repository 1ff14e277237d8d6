/**
 * An error the endpoint answers with, in the calling protocol's shape.
 *
 * `code` is what goes on the wire: the Query protocol's `<Code>` (SNS: `NotFound`,
 * `InvalidParameter`), or the JSON protocol's `__type` (Step Functions:
 * `StateMachineDoesNotExist`). SQS speaks JSON but stays compatible with its older
 * Query protocol, so its errors carry both names: the JSON shape name (`QueueDoesNotExist`)
 * and the Query code (`AWS.SimpleQueueService.NonExistentQueue`), which the SDK reads from
 * the `x-amzn-query-error` header to pick the exception class.
 */
export class AwsApiError extends Error {
  override readonly name: string = 'AwsApiError';
  readonly code: string;
  readonly status: number;
  /** `Sender` for the caller's mistakes, `Receiver` for ours. */
  readonly fault: 'Sender' | 'Receiver';
  /** SQS only: the Query-protocol code when it differs from `code`. */
  readonly queryCode: string | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; queryCode?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 400;
    this.fault = this.status >= 500 ? 'Receiver' : 'Sender';
    this.queryCode = options.queryCode;
  }
}

/** Thrown by a state machine runner to answer with a specific Step Functions error. */
export class StepFunctionsApiError extends AwsApiError {
  override readonly name: string = 'StepFunctionsApiError';

  constructor(
    code:
      | 'StateMachineDoesNotExist'
      | 'ExecutionAlreadyExists'
      | 'ExecutionDoesNotExist'
      | 'InvalidArn'
      | 'InvalidName'
      | 'InvalidExecutionInput'
      | 'ValidationException',
    message: string,
  ) {
    super(code, message);
  }
}

/** Bodies above this are refused before parsing (the largest legal payload, a 1 MiB SQS message, fits). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
