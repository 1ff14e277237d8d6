import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Small synchronous file helpers. State changes are written before the request is
 * answered, so a caller that got a 200 finds its change after a restart.
 */

/** Writes through a temporary file and a rename, so a crash never leaves half a file. */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

export function readJsonFile(path: string): unknown {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8'));
}

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
