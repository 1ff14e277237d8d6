import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { appendJsonLine, isRecord, loadJsonLines } from './json-lines.ts';
import type { FailureRecord } from './types.ts';

export class UnknownQueueError extends Error {
  override readonly name = 'UnknownQueueError';

  constructor(queueName: string) {
    super(`There is no on-failure queue named "${queueName}" in serverless.yml.`);
  }
}

/**
 * The on-failure queues serverless.yml declares, in this process. Lambda's on-failure
 * destinations write to them (an S3 event whose retries ran out, a stream batch given
 * up); `LocalCloud.failures(queue)` reads them. Nothing receives from them locally, so
 * there is no SQS API in front of them: each is a file to read instead,
 * `<dataDir>/failures/<queue name>.jsonl`, one `FailureRecord` a line, kept across restarts.
 */
export class FailureQueues {
  readonly #directory: string;
  readonly #records = new Map<string, FailureRecord[]>();

  constructor(directory: string, queueNames: string[]) {
    this.#directory = directory;
    mkdirSync(directory, { recursive: true });
    for (const name of queueNames) {
      const records = loadJsonLines(this.#file(name)).filter(
        (record): record is FailureRecord => isRecord(record) && record.queueName === name,
      );
      this.#records.set(name, records);
    }
  }

  /** Stored before it returns. Throws UnknownQueueError for a queue serverless.yml does not declare. */
  send(queueName: string, body: unknown): void {
    const records = this.#records.get(queueName);
    if (records === undefined) throw new UnknownQueueError(queueName);
    const record: FailureRecord = { queueName, body: structuredClone(body), at: new Date().toISOString() };
    appendJsonLine(this.#file(queueName), record);
    records.push(record);
  }

  /** Every record sent to the queue, oldest first; none for an unknown queue. */
  messages(queueName: string): FailureRecord[] {
    return structuredClone(this.#records.get(queueName) ?? []);
  }

  #file(queueName: string): string {
    return join(this.#directory, `${queueName}.jsonl`);
  }
}
