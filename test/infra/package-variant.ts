import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../local/service-config.ts';
import { startOfflineControlPlane } from '../../scripts/offline-control-plane.ts';
import type { Template } from './template.ts';

const run = promisify(execFile);

export interface PackagedVariant {
  templatePath: string;
  template: Template;
  remove(): Promise<void>;
}

/**
 * `serverless package` of the same serverless.yml with other parameters (`--param`), offline
 * as `npm run package` does it. It runs in a directory of its own that links to the
 * project's files: packaging empties the service's `.serverless/` (which the other infra
 * tests read) and works in its `.esbuild/` (which `npm run package` uses).
 */
export async function packageVariant(
  region: string,
  params: Record<string, string>,
): Promise<PackagedVariant> {
  const directory = await mkdtemp(join(tmpdir(), 'stockroom-variant-'));
  // The framework takes the real file's folder as the service's: serverless.yml is copied.
  await copyFile(join(projectRoot, 'serverless.yml'), join(directory, 'serverless.yml'));
  for (const entry of await readdir(projectRoot)) {
    if (entry.startsWith('.') || entry === 'serverless.yml') continue;
    await symlink(join(projectRoot, entry), join(directory, entry));
  }
  const controlPlane = await startOfflineControlPlane();
  try {
    const args = ['package', '--stage', 'dev', '--region', region];
    for (const [name, value] of Object.entries(params)) args.push(`--param=${name}=${value}`);
    await run(join(projectRoot, 'node_modules/.bin/serverless'), args, {
      cwd: directory,
      env: { ...process.env, ...controlPlane.env },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  } finally {
    await controlPlane.close();
  }
  const templatePath = join(directory, '.serverless', 'cloudformation-template-update-stack.json');
  const template = JSON.parse(await readFile(templatePath, 'utf8')) as Template;
  return { templatePath, template, remove: () => rm(directory, { recursive: true, force: true }) };
}
