import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { InvocationRecord, SnsOutboxEntry } from './types.ts';

/**
 * What `npm start` prints. By default: one line per invocation (function, outcome,
 * duration, key figures), except successful stream batches and SNS messages, which are
 * summarised once per window (a 300,000-row import is over 1,000 stream batches); every
 * failure is printed as it happens. The functions' own JSON log lines (Powertools logs,
 * metrics) go to `<dataDir>/logs/functions.jsonl`. `STOCKROOM_LOG=verbose` prints all of
 * it as well: each invocation, each message in full, each Step Functions state.
 */
export const verboseLogs = (): boolean => process.env.STOCKROOM_LOG === 'verbose';
const WINDOW_MS = 10_000;
const MAX_LOG_BYTES = 64 * 1024 * 1024;

/** Sends the JSON lines written to stdout and stderr to a file (and, when verbose, through). */
export function routeFunctionOutput(dataDir: string, echo: boolean): () => void {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const path = join(dataDir, 'logs', 'functions.jsonl');
  // One earlier file is kept: the log of long-lived state does not grow without end.
  if ((statSync(path, { throwIfNoEntry: false })?.size ?? 0) > MAX_LOG_BYTES) renameSync(path, `${path}.1`);
  const file = createWriteStream(path, { flags: 'a' });
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, index) => {
    const write = originals[index] as typeof stream.write;
    stream.write = ((chunk: unknown, ...rest: never[]) => {
      if (typeof chunk !== 'string' || !chunk.startsWith('{')) return write(chunk as string, ...rest);
      file.write(chunk.endsWith('\n') ? chunk : `${chunk}\n`);
      return echo ? write(chunk, ...rest) : true;
    }) as typeof stream.write;
  });
  return () => {
    streams.forEach((stream, index) => {
      stream.write = originals[index] as typeof stream.write;
    });
    file.end();
  };
}

type Shape = { Records?: unknown[]; requestContext?: { http?: { method?: string } }; rawPath?: string };
type Result = { statusCode?: number; status?: string; batchItemFailures?: unknown[]; rowsImported?: number };

/** The figures that say what an invocation did, from its event and result. */
function figuresOf({ event, result }: InvocationRecord): string {
  const [input, output] = [(event ?? {}) as Shape, (result ?? {}) as Result];
  const figures = [
    input.requestContext?.http?.method &&
      `${input.requestContext.http.method} ${input.rawPath} → ${output.statusCode}`,
    input.Records && `${input.Records.length} record(s)`,
    output.batchItemFailures?.length && `${output.batchItemFailures.length} failed`,
    typeof output.status === 'string' && output.status,
    typeof output.rowsImported === 'number' && `${output.rowsImported} rows imported`,
  ];
  return figures.filter(Boolean).join(', ');
}

/** Prints invocations and SNS messages as described above; `stop()` prints what is pending. */
export function terminalLog(print: (line: string) => void, verbose = verboseLogs()) {
  const batches = new Map<string, { count: number; records: number; slowestMs: number }>();
  const messages = new Map<string, number>();
  const flush = () => {
    for (const [fn, { count, records, slowestMs }] of batches)
      print(`${fn}: ${count} stream batch(es), ${records} record(s), all ok (slowest ${slowestMs} ms)`);
    for (const [what, count] of messages) print(`[sns] ${what}: ${count} message(s)`);
    batches.clear();
    messages.clear();
  };
  const timer = setInterval(flush, WINDOW_MS).unref();
  return {
    invocation(record: InvocationRecord): void {
      const figures = figuresOf(record);
      const failed = record.outcome === 'error' || figures.includes(' failed');
      if (record.trigger === 'stream' && !failed && !verbose) {
        const batch = batches.get(record.functionName) ?? { count: 0, records: 0, slowestMs: 0 };
        const records = (record.event as Shape).Records?.length ?? 0;
        batches.set(record.functionName, {
          count: batch.count + 1,
          records: batch.records + records,
          slowestMs: Math.max(batch.slowestMs, record.durationMs),
        });
        return;
      }
      const attempt = record.attempt > 1 ? `, attempt ${record.attempt}` : '';
      const outcome =
        record.outcome === 'error' ? `FAILED: ${record.errorType}: ${record.errorMessage}` : 'ok';
      print(
        `${record.functionName} ${outcome} in ${record.durationMs} ms (${record.trigger}${attempt}) ${figures} [${record.requestId.slice(0, 8)}]`,
      );
    },
    message(entry: SnsOutboxEntry): void {
      const topic = entry.topicArn.split(':').pop();
      if (verbose) print(`[sns] ${topic} ${entry.subject ? `"${entry.subject}" ` : ''}${entry.message}`);
      else {
        const what = `${topic} ${entry.messageAttributes.type?.StringValue ?? 'message'}`;
        messages.set(what, (messages.get(what) ?? 0) + 1);
      }
    },
    stop(): void {
      clearInterval(timer);
      flush();
    },
  };
}
