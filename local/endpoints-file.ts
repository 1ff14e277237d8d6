import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { projectRoot } from './service-config.ts';
import type { Endpoints } from './types.ts';

/** Where the local cloud keeps its state: `.local/`, or `STOCKROOM_DATA_DIR` when set. */
export function localDataDir(): string {
  return resolve(process.env.STOCKROOM_DATA_DIR || join(projectRoot, '.local'));
}

/**
 * The running `npm start`'s `endpoints.json`, for the project's commands that talk to it.
 * Exits with a clear message when the local cloud has not been started.
 */
export async function readRunningEndpoints(): Promise<Endpoints> {
  const path = join(localDataDir(), 'endpoints.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Endpoints;
  } catch {
    console.error(`No ${path}: start the local cloud first with \`npm start\`.`);
    process.exit(1);
  }
}
