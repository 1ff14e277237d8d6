import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  /** Where queued events are kept until they succeeded or reached onFailure; undefined: memory only. */
  journalDir?: string | undefined;
}

/** A queued event on disk: what to invoke, and how many attempts were started. */
interface JournalEntry {
  id: string;
  event: unknown;
  attempts: number;
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

/**
 * An event is journaled (one file, written aside and renamed) before submit returns, which
 * is before S3 answers the upload; each attempt is counted in it before it starts, and the
 * file goes only when the event succeeded or reached the on-failure destination. A process
 * killed mid-way leaves the file, and the next start replays it as Lambda would retry it:
 * an attempt in flight at the crash counts as a failed one.
 */
export class AsyncInvoker {
  private pending = 0;

  constructor(
    readonly fn: LocalFunction,
    private readonly options: AsyncInvokerOptions,
    private readonly functionArn: string,
  ) {
    if (options.journalDir) mkdirSync(options.journalDir, { recursive: true });
  }

  get busy(): boolean {
    return this.pending > 0;
  }

  submit(event: unknown): void {
    this.start({ id: randomUUID(), event, attempts: 0 });
  }

  /** Journals an event without running it (the cloud is stopping): the next start runs it. */
  keep(event: unknown): void {
    this.save({ id: randomUUID(), event, attempts: 0 });
  }

  /** Runs again every event a previous process left in the journal; returns how many. */
  replay(): number {
    const dir = this.options.journalDir;
    const names = dir ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
    for (const name of names) this.start(JSON.parse(readFileSync(join(dir as string, name), 'utf8')));
    return names.length;
  }

  /** run() journals the event (attempt counted) before its first await: before this returns. */
  private start(entry: JournalEntry): void {
    this.pending += 1;
    void this.run(entry).finally(() => {
      this.pending -= 1;
    });
  }

  private save(entry: JournalEntry | { id: string; done: true }): void {
    const dir = this.options.journalDir;
    if (!dir) return;
    const file = join(dir, `${entry.id}.json`);
    if ('done' in entry) rmSync(file, { force: true });
    else {
      writeFileSync(`${file}.tmp`, JSON.stringify(entry));
      renameSync(`${file}.tmp`, file);
    }
  }

  private async run(entry: JournalEntry): Promise<void> {
    const attempts = 1 + Math.max(0, this.options.maximumRetryAttempts);
    let lastError: FunctionError | undefined;
    for (let attempt = entry.attempts + 1; attempt <= attempts; attempt += 1) {
      this.save({ ...entry, attempts: attempt });
      try {
        await this.fn.invoke(entry.event, 's3', attempt);
        this.save({ id: entry.id, done: true });
        return;
      } catch (error) {
        lastError = error as FunctionError;
        const delays = this.options.retryDelaysMs;
        const delay = delays[Math.min(attempt - 1, delays.length - 1)] ?? 0;
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    this.options.onFailure(invocationRecord(entry.event, this.functionArn, attempts, lastError));
    this.save({ id: entry.id, done: true });
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
