import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildFailure, build } from 'esbuild';
import type { LocalFunction } from './lambda-runtime.ts';
import type { LocalService } from './service.ts';
import { projectRoot } from './service-config.ts';

/** A save is often several events (and a temporary file beside it): one reload per burst. */
const DEBOUNCE_MS = 100;
/** Source files only: not editors' swap files, backups (`name~`), vim's `4913` probe or dotfiles. */
const SOURCE_FILE = /^[^.#].*\.(?:[cm]?[jt]s|json)$/;

export interface WatchOptions {
  functions: Iterable<LocalFunction>;
  log: (line: string) => void;
  /** The folder holding functions/ and shared/; default the project's root. */
  root?: string;
}

/**
 * `npm start -- --watch`: when a file under functions/ or shared/ changes, the functions
 * whose handler lives in that function's folder, or whose module graph holds the file, load
 * a new version, and one line says which. ESM cannot unload a module, and a query string on
 * the entry renews the entry alone, not what it imports: so each version is the function's
 * own code bundled by esbuild into a file of its own under `.local/reload/` (packages stay
 * external, loaded once for every version) and cold-started from there. The bundle's
 * metafile is the module graph. A version that does not build or load is reported in one
 * line and the previous one serves on; it is tried again at the next change.
 */
export async function watchFunctions({
  functions,
  log,
  root = projectRoot,
}: WatchOptions): Promise<LocalService> {
  const outDir = join(root, '.local', 'reload');
  await rm(outDir, { recursive: true, force: true });
  const all = [...functions];
  const graphs = new Map(await Promise.all(all.map(async (fn) => [fn, await bundle(fn, root)] as const)));
  const bundles = new Map<LocalFunction, string>();
  const failed = new Set<LocalFunction>();
  let versions = 0;

  /** Undefined when the new version serves; else why not, in one line. */
  const reload = async (fn: LocalFunction): Promise<string | undefined> => {
    versions += 1;
    const file = join(outDir, `${fn.key}.${versions}.mjs`);
    try {
      const graph = await bundle(fn, root, file);
      await fn.reload(pathToFileURL(file).href);
      const previous = bundles.get(fn);
      if (previous) await rm(previous, { force: true });
      graphs.set(fn, graph);
      bundles.set(fn, file);
      failed.delete(fn);
      return undefined;
    } catch (error) {
      failed.add(fn);
      await rm(file, { force: true });
      return reasonOf(error, root);
    }
  };

  const reloadFor = async (files: string[]): Promise<void> => {
    const hit = all.filter(
      (fn) =>
        failed.has(fn) ||
        files.some(
          (file) => file.startsWith(`${fn.modulePath.split('/', 2).join('/')}/`) || graphs.get(fn)?.has(file),
        ),
    );
    const outcomes = await Promise.all(hit.map(async (fn) => [fn.key, await reload(fn)] as const));
    const what = `${files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ')} changed`;
    const reloaded = outcomes.flatMap(([key, problem]) => (problem ? [] : [key]));
    if (reloaded.length > 0) log(`reloaded ${reloaded.join(', ')} (${what})`);
    const failures = new Map<string, string[]>();
    for (const [key, problem] of outcomes)
      if (problem) failures.set(problem, [...(failures.get(problem) ?? []), key]);
    for (const [problem, keys] of failures) {
      log(`${keys.join(', ')} did not reload (${what}): ${problem}. The previous version serves on.`);
    }
  };

  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let reloading = Promise.resolve();
  const unwatch = watchTree(root, ['functions', 'shared'], (file) => {
    if (!SOURCE_FILE.test(basename(file))) return;
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed].sort();
      changed.clear();
      reloading = reloading.then(() => reloadFor(files)).catch((error) => log(`reload: ${error}`));
    }, DEBOUNCE_MS);
  });
  return {
    name: 'reload',
    ports: {},
    health: async () => 'ok',
    stop: async () => {
      unwatch();
      clearTimeout(timer);
      await reloading;
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/**
 * Tells `onFile` of each file changed, added or removed under `folders` (its path from the
 * root, with `/`). One watch per directory rather than `recursive: true`: on Linux, Node 20's
 * recursive watch follows each file's inode and loses a file that an editor saves by
 * renaming a new one over it.
 */
function watchTree(root: string, folders: string[], onFile: (path: string) => void): () => void {
  const watchers = new Map<string, FSWatcher>();
  const forget = (directory: string): void => {
    watchers.get(directory)?.close();
    watchers.delete(directory);
  };
  const add = (directory: string): void => {
    if (watchers.has(directory)) return;
    try {
      const watcher = watch(directory, (_event, name) => {
        const path = join(directory, name ?? '');
        const stats = statSync(path, { throwIfNoEntry: false });
        if (stats?.isDirectory()) add(path);
        else if (!stats && watchers.has(path)) forget(path);
        else if (name) onFile(relative(root, path).split(sep).join('/'));
      });
      watcher.on('error', () => forget(directory));
      watchers.set(directory, watcher);
      const entries = readdirSync(directory, { withFileTypes: true });
      for (const entry of entries) if (entry.isDirectory()) add(join(directory, entry.name));
    } catch {
      // Gone before it could be watched (or never there): nothing in it to reload.
    }
  };
  for (const folder of folders) add(join(root, folder));
  return () => {
    for (const directory of [...watchers.keys()]) forget(directory);
  };
}

/** The function's own code as one ESM file (`outfile`; none: only the graph), and the files it was made of. */
async function bundle(fn: LocalFunction, root: string, outfile?: string): Promise<Set<string>> {
  const { metafile } = await build({
    entryPoints: [fn.modulePath],
    absWorkingDir: root,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    outfile: outfile ?? join(root, '.local', 'reload', 'graph.mjs'),
    write: outfile !== undefined,
    // Stack traces name the source files, not the bundle.
    sourcemap: 'inline',
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
  });
  return new Set(Object.keys(metafile.inputs));
}

/** Where the build failed and why; or what the module threw while loading, and where in the project. */
function reasonOf(error: unknown, root: string): string {
  const [first] = (error as Partial<BuildFailure>).errors ?? [];
  if (first?.location)
    return `${first.location.file}:${first.location.line}:${first.location.column}: ${first.text}`;
  if (first) return first.text;
  const thrown = error instanceof Error ? error : new Error(String(error));
  const frames = thrown.stack?.replaceAll('file://', '').match(/\/[^\s():]+:\d+:\d+/g) ?? [];
  const where = frames.map((path) => relative(root, path)).find((path) => /^(functions|shared)\//.test(path));
  return `${where ? `${where}: ` : ''}${thrown.name}: ${thrown.message.split('\n')[0]}`;
}
