import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * The local cloud's append-only records (the SNS outbox, the on-failure queues): JSON
 * Lines, written synchronously before the caller is answered, so that what was
 * acknowledged is still there after a restart.
 */
export function appendJsonLine(path: string, value: unknown): void {
  appendFileSync(path, `${JSON.stringify(value)}\n`);
}

/**
 * The records of a JSON Lines file. A line that does not parse (a write cut short by a
 * crash) is skipped rather than failing the start, and the file is ended with a newline
 * so that the next append starts a fresh line.
 */
export function loadJsonLines(path: string): unknown[] {
  if (!existsSync(path)) return [];
  const content = readFileSync(path, 'utf8');
  if (content.length > 0 && !content.endsWith('\n')) appendFileSync(path, '\n');
  const records: unknown[] = [];
  for (const line of content.split('\n')) {
    if (line.trim().length === 0) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // A torn last line; everything before it is intact.
    }
  }
  return records;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
