import { randomUUID } from 'node:crypto';
import type { S3EventRecord } from 'aws-lambda';
import type { FunctionError, LocalFunction } from './lambda-runtime.ts';
import type { FunctionEventS3 } from './service-config.ts';

/**
 * Lambda's asynchronous invocation, as S3 uses it
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html): the event is
 * queued, a failed invocation is retried `maximumRetryAttempts` times (default 2) after
 * a delay, then the event goes to the on-failure destination with an invocation record.
 * AWS waits about 1 and then 2 minutes between attempts; locally the delays are short.
 */
export interface AsyncInvokerOptions {
  maximumRetryAttempts: number;
  retryDelaysMs: number[];
  /** Delivers the invocation record of an event whose retries are exhausted. */
  onFailure: (record: AsyncFailureRecord) => void;
}

/** The invocation record Lambda sends to an on-failure destination. */
export type AsyncFailureRecord = ReturnType<typeof invocationRecord>;

function invocationRecord(event: unknown, functionArn: string, attempts: number, error?: FunctionError) {
  const context = { requestId: randomUUID(), functionArn: `${functionArn}:$LATEST` };
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { ...context, condition: 'RetriesExhausted', approximateInvokeCount: attempts },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: {
      errorType: error?.errorType ?? 'Error',
      errorMessage: error?.message ?? 'unknown error',
    },
  } as const;
}

export class AsyncInvoker {
  private pending = 0;

  constructor(
    readonly fn: LocalFunction,
    private readonly options: AsyncInvokerOptions,
    private readonly functionArn: string,
  ) {}

  get busy(): boolean {
    return this.pending > 0;
  }

  submit(event: unknown): void {
    this.pending += 1;
    void this.run(event).finally(() => {
      this.pending -= 1;
    });
  }

  private async run(event: unknown): Promise<void> {
    const attempts = 1 + Math.max(0, this.options.maximumRetryAttempts);
    let lastError: FunctionError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        await this.fn.invoke(event, 's3', attempt);
        return;
      } catch (error) {
        lastError = error as FunctionError;
        const delays = this.options.retryDelaysMs;
        const delay = delays[Math.min(attempt - 1, delays.length - 1)] ?? 0;
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    this.options.onFailure(invocationRecord(event, this.functionArn, attempts, lastError));
  }
}

/** Does an S3 event record match a function's `s3` event (bucket, event type, prefix/suffix)? */
export function matchesS3Event(
  record: S3EventRecord,
  event: FunctionEventS3['s3'],
  bucketName: string,
): boolean {
  if (record.s3.bucket.name !== bucketName) return false;
  const wanted = (event.event ?? 's3:ObjectCreated:*').replace(/^s3:/, '');
  const actual = record.eventName.replace(/^s3:/, '');
  if (wanted.endsWith(':*') ? !actual.startsWith(wanted.slice(0, -1)) : wanted !== actual) return false;
  // S3 filters on the key itself, not on its URL-encoded form in the event.
  const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  return (event.rules ?? []).every(
    (rule) =>
      (rule.prefix === undefined || key.startsWith(rule.prefix)) &&
      (rule.suffix === undefined || key.endsWith(rule.suffix)),
  );
}
