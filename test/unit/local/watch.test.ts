import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFunction } from '../../../local/lambda-runtime.ts';
import { StackResources } from '../../../local/resources.ts';
import type { LocalService } from '../../../local/service.ts';
import type { FunctionDefinition } from '../../../local/service-config.ts';
import { watchFunctions } from '../../../local/watch.ts';
import { eventually } from '../../support/local-cloud.ts';

/**
 * The reload of `npm start -- --watch`, on a project of two functions written to a
 * temporary folder: the real watcher, esbuild and LocalFunction, files edited on disk.
 */
let root: string;
let watcher: LocalService | undefined;
let printed: string[];

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** `alpha` greets through a shared module and a module of its own; `beta` uses neither. */
function writeProject(): void {
  write('package.json', JSON.stringify({ type: 'module', imports: { '#shared/*': './shared/*' } }));
  write('shared/greeting.ts', `export const greeting = 'hello';\n`);
  write('shared/counter.ts', `export const counted = (n: number) => n + 1;\n`);
  write('functions/alpha/words.ts', `export const word = 'world';\n`);
  write(
    'functions/alpha/handler.ts',
    `import { greeting } from '#shared/greeting.ts';
import { word } from './words.ts';
// Read at cold start, as the project's functions read their configuration.
const audience = process.env.AUDIENCE;
const gates = globalThis as unknown as Record<string, Promise<void>>;
export const handler = async (event: { gate?: string }) => {
  if (event.gate) await gates[event.gate];
  return \`\${greeting} \${word}, \${audience}\`;
};
`,
  );
  write(
    'functions/beta/handler.ts',
    `import { counted } from '../../shared/counter.ts';\nexport const handler = async () => \`beta \${counted(1)}\`;\n`,
  );
}

function localFunction(key: string): LocalFunction {
  const definition: FunctionDefinition = { name: `test-${key}`, handler: `functions/${key}/handler.handler` };
  const provider = { stage: 'local', region: 'us-east-1' };
  const config = { service: 'test', provider, functions: { [key]: definition } };
  const stack = new StackResources(config, {
    region: 'us-east-1',
    accountId: '000000000000',
    stackName: 'test',
  });
  const runtime = {
    stack,
    baseEnvironment: {},
    environmentOverrides: {},
    localEnvironment: { AUDIENCE: `${key}'s audience` },
    onInvocation: () => undefined,
    root,
  };
  return new LocalFunction(key, definition, runtime);
}

async function startWatching() {
  const alpha = localFunction('alpha');
  const beta = localFunction('beta');
  await alpha.load();
  await beta.load();
  watcher = await watchFunctions({ functions: [alpha, beta], log: (line) => printed.push(line), root });
  return { alpha, beta };
}

/** The next line printed from now on that matches. */
function nextLine(pattern: RegExp): Promise<string> {
  const from = printed.length;
  return eventually(() => printed.slice(from).find((line) => pattern.test(line)), {
    what: `a line matching ${pattern}`,
    timeoutMs: 10_000,
    intervalMs: 20,
  });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'stockroom-watch-'));
  printed = [];
  writeProject();
});

afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  rmSync(root, { recursive: true, force: true });
});

describe('reloading functions when their files change', () => {
  it('reloads the functions whose module graph holds a changed shared file, with their environment', async () => {
    // Prepare
    const { alpha, beta } = await startWatching();
    expect(await alpha.invoke({}, 'direct')).toBe("hello world, alpha's audience");

    // Act
    const reloaded = nextLine(/^reloaded/);
    write('shared/greeting.ts', `export const greeting = 'howdy';\n`);

    // Assess
    expect(await reloaded).toBe('reloaded alpha (shared/greeting.ts changed)');
    expect(await alpha.invoke({}, 'direct')).toBe("howdy world, alpha's audience");
    expect(await beta.invoke({}, 'direct')).toBe('beta 2');
    expect(process.env.AUDIENCE).toBeUndefined();
  });

  it("reloads the functions of a changed file's function folder alone, even for a file not yet imported", async () => {
    // Prepare
    const { alpha, beta } = await startWatching();

    // Act
    const reloaded = nextLine(/^reloaded/);
    write('functions/beta/formatting.ts', `export const format = (n: number) => \`#\${n}\`;\n`);

    // Assess
    expect(await reloaded).toBe('reloaded beta (functions/beta/formatting.ts changed)');
    expect(await beta.invoke({}, 'direct')).toBe('beta 2');
    expect(await alpha.invoke({}, 'direct')).toBe("hello world, alpha's audience");
  });

  it('sees each save of an editor that renames a new file over the old one', async () => {
    // Prepare
    const { alpha } = await startWatching();
    const save = (text: string): void => {
      write('functions/alpha/words.ts.tmp', text);
      renameSync(join(root, 'functions/alpha/words.ts.tmp'), join(root, 'functions/alpha/words.ts'));
    };

    // Act
    const first = nextLine(/^reloaded/);
    save(`export const word = 'once';\n`);
    await first;
    const second = nextLine(/^reloaded/);
    save(`export const word = 'twice';\n`);

    // Assess
    expect(await second).toBe('reloaded alpha (functions/alpha/words.ts changed)');
    expect(await alpha.invoke({}, 'direct')).toBe("hello twice, alpha's audience");
  });

  it('follows the module graph into a folder created after the start', async () => {
    // Prepare
    const { alpha } = await startWatching();
    const imported = nextLine(/^reloaded/);
    write('shared/new/word.ts', `export const newWord = 'new';\n`);
    write('functions/alpha/words.ts', `export { newWord as word } from '#shared/new/word.ts';\n`);
    await imported;

    // Act
    const reloaded = nextLine(/^reloaded/);
    write('shared/new/word.ts', `export const newWord = 'newer';\n`);

    // Assess
    expect(await reloaded).toBe('reloaded alpha (shared/new/word.ts changed)');
    expect(await alpha.invoke({}, 'direct')).toBe("hello newer, alpha's audience");
  });

  it('ignores editor temporary files beside the source', async () => {
    // Prepare
    await startWatching();

    // Act: the temporary files come first, in the same burst as a real edit.
    const reloaded = nextLine(/^reloaded/);
    write('functions/alpha/.handler.ts.swp', 'swap');
    write('functions/alpha/handler.ts~', 'backup');
    write('functions/alpha/4913', '');
    write('shared/.#greeting.ts', 'lock');
    write('functions/beta/handler.ts', `export const handler = async () => 'beta, edited';\n`);

    // Assess
    expect(await reloaded).toBe('reloaded beta (functions/beta/handler.ts changed)');
  });

  it('keeps serving the previous version when an edit does not build, and reloads at the next change', async () => {
    // Prepare
    const { alpha } = await startWatching();

    // Act
    const failed = nextLine(/did not reload/);
    write('functions/alpha/words.ts', `export const word = 'world;\n`);
    const problem = await failed;
    const served = await alpha.invoke({}, 'direct');
    const reloaded = nextLine(/^reloaded/);
    write('functions/alpha/words.ts', `export const word = 'again';\n`);

    // Assess
    expect(problem).toMatch(
      /^alpha did not reload \(functions\/alpha\/words\.ts changed\): functions\/alpha\/words\.ts:1:\d+: Unterminated string literal\. The previous version serves on\.$/,
    );
    expect(served).toBe("hello world, alpha's audience");
    expect(await reloaded).toBe('reloaded alpha (functions/alpha/words.ts changed)');
    expect(await alpha.invoke({}, 'direct')).toBe("hello again, alpha's audience");
  });

  it('keeps serving the previous version when the new one throws while it loads, naming where', async () => {
    // Prepare
    const { beta } = await startWatching();

    // Act
    const failed = nextLine(/did not reload/);
    write(
      'shared/counter.ts',
      `export const counted = (n: number) => n + 1;\nthrow new RangeError('no counting today');\n`,
    );

    // Assess
    expect(await failed).toBe(
      'beta did not reload (shared/counter.ts changed): shared/counter.ts:2:7: RangeError: no counting today. The previous version serves on.',
    );
    expect(await beta.invoke({}, 'direct')).toBe('beta 2');
  });

  it('lets an invocation running at the reload finish on its version, while the next one runs the new', async () => {
    // Prepare
    const { alpha } = await startWatching();
    let open = (): void => undefined;
    (globalThis as Record<string, unknown>).reloadTestGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const running = alpha.invoke({ gate: 'reloadTestGate' }, 'direct');

    // Act
    const reloaded = nextLine(/^reloaded/);
    write('functions/alpha/words.ts', `export const word = 'there';\n`);
    await reloaded;
    const after = await alpha.invoke({}, 'direct');
    open();

    // Assess
    expect(after).toBe("hello there, alpha's audience");
    expect(await running).toBe("hello world, alpha's audience");
    expect(await alpha.invoke({}, 'direct')).toBe("hello there, alpha's audience");
  });
});
