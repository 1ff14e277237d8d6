import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from './service-config.ts';
import type { Endpoints } from './types.ts';

/**
 * The running `npm start`'s `.local/endpoints.json`, for the project's commands that talk to
 * it. Exits with a clear message when the local cloud has not been started.
 */
export async function readRunningEndpoints(): Promise<Endpoints> {
  try {
    return JSON.parse(await readFile(join(projectRoot, '.local', 'endpoints.json'), 'utf8')) as Endpoints;
  } catch {
    console.error('No .local/endpoints.json: start the local cloud first with `npm start`.');
    process.exit(1);
  }
}
