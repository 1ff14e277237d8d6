import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layout rules of docs/architecture.md, checked on the source tree itself:
 * functions wire the shared domain and never import one another; shared/ never reaches
 * into a function or the local cloud; modules and functions stay small enough to read.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
/** A file may be longer (or hold a longer function) when its first line says why. */
const EXEMPTION = /^\/\/ (Long|Longer)\b/;

function sourceFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      found.push(relative(root, join(entry.parentPath, entry.name)));
    }
  }
  return found.sort();
}

const layers = ['functions', 'shared', 'local'] as const;
const files = layers.flatMap((layer) => sourceFiles(layer));
/** After the cut, 3,999; each addition since is a row in docs/architecture.md. */
const LOCAL_LINE_BUDGET = 5787;

function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  source.forEachChild(function visit(node) {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) specifiers.push(argument.text);
    }
    node.forEachChild(visit);
  });
  return specifiers;
}

/** The repository path an import points at, or undefined for a package. */
function importedPath(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('#shared/')) return join('shared', specifier.slice('#shared/'.length));
  if (specifier.startsWith('.')) return relative(root, resolve(root, dirname(file), specifier));
  return undefined;
}

function functionFolder(path: string): string | undefined {
  const parts = path.split(sep);
  return parts[0] === 'functions' ? parts[1] : undefined;
}

describe('the source tree', () => {
  it('has no import from one function folder into another', () => {
    const crossings = files.flatMap((file) => {
      const own = functionFolder(file);
      if (own === undefined) return [];
      return importsOf(file)
        .map((specifier) => importedPath(file, specifier))
        .filter((target): target is string => {
          const other = target === undefined ? undefined : functionFolder(target);
          return other !== undefined && other !== own;
        })
        .map((target) => `${file} → ${target}`);
    });
    expect(crossings).toEqual([]);
  });

  it('keeps shared/ free of function and local-cloud code', () => {
    const reaches = files
      .filter((file) => file.startsWith(`shared${sep}`))
      .flatMap((file) =>
        importsOf(file)
          .map((specifier) => importedPath(file, specifier))
          .filter((target) => target?.startsWith(`functions${sep}`) || target?.startsWith(`local${sep}`))
          .map((target) => `${file} → ${target}`),
      );
    expect(reaches).toEqual([]);
  });

  it(`has no module over ${MAX_FILE_LINES} lines without a comment saying why`, () => {
    const long = files.filter((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return text.split('\n').length > MAX_FILE_LINES && !EXEMPTION.test(text);
    });
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines without a comment saying why`, () => {
    const long: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      if (EXEMPTION.test(text)) continue;
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      source.forEachChild(function visit(node) {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
          const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (end - start + 1 > MAX_FUNCTION_LINES)
            long.push(`${file}:${start + 1} (${end - start + 1} lines)`);
        }
        node.forEachChild(visit);
      });
    }
    expect(long).toEqual([]);
  });

  // The local cloud was cut to 3,999 lines by deleting what no user path needed; since
  // then it grows only by features a user asked for, each listed in docs/architecture.md
  // ("The local cloud's size") with its lines, and this budget with them.
  it('keeps the local cloud within its line budget', () => {
    const lines = files
      .filter((file) => file.startsWith(`local${sep}`))
      .reduce((total, file) => total + readFileSync(join(root, file), 'utf8').split('\n').length - 1, 0);
    expect(lines).toBeLessThanOrEqual(LOCAL_LINE_BUDGET);
  });

  // `<module>.test.ts`, or `<module>.<aspect>.test.ts` (e.g. `ranges.properties.test.ts`).
  it('mirrors every unit test on a module at the same path', () => {
    const orphans = sourceFiles(join('test', 'unit'))
      .filter((file) => file.endsWith('.test.ts') && file !== join('test', 'unit', 'structure.test.ts'))
      .map((file) => relative(join('test', 'unit'), file))
      .filter((test) => {
        const exact = test.replace(/\.test\.ts$/, '.ts');
        const aspect = test.replace(/\.[a-z-]+\.test\.ts$/, '.ts');
        return !files.includes(exact) && !files.includes(aspect);
      });
    expect(orphans).toEqual([]);
  });
});
