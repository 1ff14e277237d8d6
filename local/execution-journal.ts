import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appendJsonLine, isRecord, loadJsonLines } from './json-lines.ts';
import type { Json } from './service-config.ts';

/** How an execution was started: enough to start it again with the same context object. */
export interface ExecutionStart {
  stateMachineArn: string;
  executionArn: string;
  name: string;
  startDate: string;
  input: Json;
}

/**
 * A running Step Functions execution on disk, `<dir>/<name>.jsonl`: its start, then one line
 * per Task that succeeded. An execution that a crash or a cut-short stop left running is
 * started again at the next start, and each Task state whose input was already seen gets
 * its recorded result instead of a second invocation, so that the run picks up where it was,
 * as Step Functions keeps an execution going when a host dies. The state machines' inputs
 * depend only on the execution's input, its context object (kept) and earlier results.
 */
export class ExecutionJournal {
  private readonly results = new Map<string, Json[]>();

  private constructor(
    private readonly path: string,
    readonly start: ExecutionStart,
  ) {}

  static begin(dir: string, start: ExecutionStart): ExecutionJournal {
    mkdirSync(dir, { recursive: true });
    const journal = new ExecutionJournal(join(dir, `${start.name}.jsonl`), start);
    appendJsonLine(journal.path, { start });
    return journal;
  }

  /** The executions a previous process left running, each with the Task results it recorded. */
  static unfinished(dir: string): ExecutionJournal[] {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
    } catch {
      return [];
    }
    return names.flatMap((name) => {
      const [first, ...tasks] = loadJsonLines(join(dir, name));
      if (!isRecord(first) || !isRecord(first.start)) return [];
      const journal = new ExecutionJournal(join(dir, name), first.start as unknown as ExecutionStart);
      for (const task of tasks) {
        if (isRecord(task) && typeof task.key === 'string') journal.remember(task.key, task.result as Json);
      }
      return [journal];
    });
  }

  /** A recorded result for this state and input, used once (a Map may run the same input twice). */
  take(state: string, input: Json): { result: Json } | undefined {
    const recorded = this.results.get(keyOf(state, input));
    return recorded && recorded.length > 0 ? { result: recorded.shift() as Json } : undefined;
  }

  record(state: string, input: Json, result: Json): void {
    appendJsonLine(this.path, { key: keyOf(state, input), result });
  }

  finish(): void {
    rmSync(this.path, { force: true });
  }

  private remember(key: string, result: Json): void {
    this.results.set(key, [...(this.results.get(key) ?? []), result]);
  }
}

function keyOf(state: string, input: Json): string {
  return createHash('sha256').update(state).update('\0').update(JSON.stringify(input)).digest('hex');
}
