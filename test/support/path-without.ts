import { constants } from 'node:fs';
import { access, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PathWithout {
  /** A PATH with one folder, holding a link to every command of this PATH but the hidden ones. */
  PATH: string;
  /** That folder: put a stand-in command there to replace a real one. */
  folder: string;
  remove(): Promise<void>;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * This machine as it would be without some commands (`java`, `chromium`, `aws`): every
 * other command of the PATH stays reachable under its own name, the first of a name winning
 * as in a shell.
 */
export async function pathWithout(hidden: string[]): Promise<PathWithout> {
  const folder = await mkdtemp(join(tmpdir(), 'stockroom-path-'));
  const linked = new Set(hidden);
  for (const source of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const names = await readdir(source).catch(() => [] as string[]);
    for (const name of names) {
      if (linked.has(name) || !(await isExecutableFile(join(source, name)))) continue;
      linked.add(name);
      await symlink(join(source, name), join(folder, name));
    }
  }
  return { PATH: folder, folder, remove: () => rm(folder, { recursive: true, force: true }) };
}
