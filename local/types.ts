import type { PortName } from './service.ts';

/**
 * The public face of the local cloud, shared by `npm start`, the tests and the bench.
 * `startLocalCloud()` (local/cloud.ts) returns a `LocalCloud`.
 */

/** `.local/endpoints.json` — exactly this shape; tools outside the project read it. */
export interface Endpoints {
  region: string;
  /** `sns` also serves Step Functions, `lambda` is the same endpoint; `oidc`: the local OpenID provider's issuer, when sign-in is on; `smtp`: smtp://127.0.0.1:<port>, with the mail part. */
  endpoints: {
    s3: string;
    dynamodb: string;
    sns: string;
    lambda: string;
    http: string;
    oidc?: string;
    smtp?: string;
  };
  buckets: { uploads: string; thumbnails: string };
  tables: { inventory: string };
  topics: { outOfStock: string };
  stateMachines: Record<string, string>;
}

export interface LocalCloudOptions {
  /** Where state lives (S3 objects, DynamoDB files, the outbox, the failure queues). Default `.local/` or `STOCKROOM_DATA_DIR`. */
  dataDir?: string;
  /** Start from empty state (deletes dataDir first). */
  clean?: boolean;
  /** Keep DynamoDB, stream positions and executions in memory (tests). Default false. */
  inMemory?: boolean;
  /** Fixed ports; 0 or absent picks a free one. */
  ports?: Partial<Record<PortName, number>>;
  /** Print logs and SNS messages to the terminal. Default true for `npm start`, false in tests. */
  verbose?: boolean;
  /** Lambda async retry delays in ms (AWS: ~1 min, then ~2 min). Default [200, 400] locally. */
  asyncRetryDelaysMs?: number[];
  /** Only wire these functions (by serverless.yml name); default all. */
  functions?: string[];
  /** By function key: environment values over serverless.yml's (a bench measuring one path). */
  environment?: Record<string, Record<string, string>>;
  /** `oidc`: sign-in with the local OpenID provider (`npm start`); `none` (default, tests): the web function open. */
  auth?: 'none' | 'oidc';
  /** Reload a function's modules when its files change (`npm start -- --watch`, local/watch.ts). Default false. */
  watch?: boolean;
}

/** One handler invocation, as recorded by the local Lambda runtime. */
export interface InvocationRecord {
  functionName: string;
  requestId: string;
  trigger: 's3' | 'stream' | 'http' | 'stepFunctions' | 'direct';
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: 'success' | 'error';
  errorType?: string;
  errorMessage?: string;
  /** Kept for the newest 200 invocations only; older records drop it (and `result`). */
  event: unknown;
  result?: unknown;
}

/** A message that landed in an on-failure queue: one line of `<dataDir>/failures/<queue>.jsonl`. */
export interface FailureRecord {
  queueName: string;
  body: unknown;
  at: string;
}

export interface SnsOutboxEntry {
  topicArn: string;
  subject?: string;
  message: string;
  messageAttributes: Record<string, { DataType: string; StringValue?: string }>;
  timestamp: string;
  messageId: string;
}

export interface LocalCloud {
  readonly endpoints: Endpoints;
  readonly dataDir: string;
  readonly tables: {
    inventory: string;
    storeSummaries: string;
    stockHistory: string;
    stockAttention: string;
  };
  /** The on-failure queues' names, by logical id (`ThumbnailsFailuresQueue`). */
  readonly queues: Record<string, string>;
  /** Every invocation so far, oldest first. */
  invocations(functionName?: string): InvocationRecord[];
  /** Messages in an on-failure queue (by queue name), oldest first. */
  failures(queueName: string): FailureRecord[];
  /** Every SNS message published so far (also in `<dataDir>/sns-outbox.jsonl`). */
  snsMessages(): SnsOutboxEntry[];
  /** Invoke a function directly with an event (as `aws lambda invoke` would). */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  /**
   * Each emulator's health by name (`s3`, `dynamodb`, `aws`, `http`, `triggers`, `oidc`): 'ok' or
   * what is wrong; `GET /healthz` answers 503 with it when one is not ok.
   */
  health(): Promise<Record<string, 'ok' | string>>;
  /** What is running now, by function (`importInventory ×1, storeSummaries ×2`); '' when nothing. */
  running(): string;
  /** Resolves when no invocation is running or queued and stream consumers are caught up. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /**
   * Takes no more HTTP requests (503) or events, lets running invocations finish for up to
   * the grace period, then stops every emulator, DynamoDB Local last. Called again, it
   * returns the same stop.
   */
  stop(options?: StopOptions): Promise<void>;
}

export interface StopOptions {
  /** How long running invocations may take to finish; default 30 s. */
  graceMs?: number;
  /** Told what was still running when the grace period ended. */
  unfinished?: (running: string) => void;
}
