/**
 * `npm run bench [-- <name>…]`: runs the benchmarks (all, or the named ones: images,
 * inventory, web, long-runs), prints them, and records the results with the machine they
 * came from in docs/benchmarks.md (between the markers of each section, so a partial run
 * updates only its own sections).
 *
 * Every figure is a ratio against a reference measured in the same run, because these
 * machines are shared and noisy: absolute numbers are given for context only.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../local/service-config.ts';
import type { BenchResult } from './types.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface BenchSection {
  name: string;
  /** Markdown, without the heading. */
  body: string;
  passed: boolean;
}

type Runner = (log: (line: string) => void) => Promise<BenchSection>;

const fixed = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : String(value);
const verdict = (pass: boolean): string => (pass ? 'met' : '**not met**');

function standardSection(name: string, result: BenchResult): BenchSection {
  return {
    name,
    passed: result.targets.every((target) => target.pass),
    body: [
      '| target | measured | wanted | |',
      '| --- | --- | --- | --- |',
      ...result.targets.map(
        (target) =>
          `| ${target.name} | ${fixed(target.value)} | ${target.target} | ${verdict(target.pass)} |`,
      ),
      '',
      '| metric | value |',
      '| --- | --- |',
      ...Object.entries(result.metrics).map(([metric, value]) => `| ${metric} | ${fixed(value)} |`),
      '',
      ...result.notes.map((note) => `- ${note}`),
    ].join('\n'),
  };
}

const runners: Record<string, Runner> = {
  images: async (log) => {
    const { benchImages } = await import('./images.ts');
    return standardSection('images', await benchImages({ log }));
  },
  web: async (log) => {
    const { benchWeb } = await import('./web.ts');
    return standardSection('web', await benchWeb({ log }));
  },
  'long-runs': async (log) => {
    const { benchLongRuns } = await import('./long-runs.ts');
    const result = await benchLongRuns({ log });
    const row = (label: string, t: { seconds: number; rowsPerSecond: number; peakRssMb: number }) =>
      `| ${label} | ${fixed(t.seconds, 1)} | ${Math.round(t.rowsPerSecond).toLocaleString('en-US')} | ${Math.round(t.peakRssMb)} MB |`;
    return {
      name: 'long-runs',
      passed: result.passed,
      body: [
        `${result.rows.toLocaleString('en-US')} rows (${fixed(result.bytes / 1024 ** 2, 1)} MiB), ${result.ranges} ranges.`,
        '',
        '| target | measured | wanted | |',
        '| --- | --- | --- | --- |',
        `| workflow ÷ direct single-function import | ${fixed(result.ratio)}× | ≥ ${result.target}× | ${verdict(result.passed)} |`,
        '',
        '| path | seconds | rows/s | peak RSS |',
        '| --- | --- | --- | --- |',
        row('direct import (one function)', result.direct),
        row('Step Functions workflow', result.workflow),
        '',
        'The estimate for a 10 GB file on AWS, with its arithmetic, is in [long-runs.md](long-runs.md#10-gb-on-aws-an-estimate).',
      ].join('\n'),
    };
  },
  inventory: async (log) => {
    const { benchInventory } = await import('./inventory.ts');
    const result = await benchInventory({ log });
    const throughput = (label: string, t: { rows: number; seconds: number; rowsPerSecond: number }) =>
      `| ${label} | ${t.rows.toLocaleString('en-US')} | ${fixed(t.seconds)} | ${Math.round(t.rowsPerSecond).toLocaleString('en-US')} |`;
    return {
      name: 'inventory',
      passed: Object.values(result.passed).every(Boolean),
      body: [
        '**Narrower than the system users run:** these figures are the importer alone — no stream',
        'consumer (stockAlerts, storeSummaries) is wired while they are measured, so they say how',
        'fast rows reach the table, not how soon the dashboard and the alerts are right.',
        '',
        '| target | measured | wanted | |',
        '| --- | --- | --- | --- |',
        `| import ÷ raw BatchWriteItem | ${fixed(result.ratios.importVsRawBatch)}× | ≥ ${result.targets.importVsRawBatch}× | ${verdict(result.passed.importVsRawBatch)} |`,
        `| import ÷ one PutItem per row | ${fixed(result.ratios.importVsPerRowPut)}× | ≥ ${result.targets.importVsPerRowPut}× | ${verdict(result.passed.importVsPerRowPut)} |`,
        `| RSS growth, smallest → largest import (median of ${result.rssGrowthsMb.length} rounds: ${result.rssGrowthsMb.map((growth) => fixed(growth, 1)).join(', ')} MB) | ${fixed(result.rssGrowthMb, 1)} MB | < ${result.targets.rssGrowthMb} MB | ${verdict(result.passed.rssGrowthMb)} |`,
        '',
        '| round | import (S3 → parse → DynamoDB) rows/s | raw BatchWriteItem rows/s | ratio |',
        '| --- | --- | --- | --- |',
        ...result.rounds.map(
          (round, index) =>
            `| ${index + 1} | ${Math.round(round.import.rowsPerSecond).toLocaleString('en-US')} | ${Math.round(round.rawBatch.rowsPerSecond).toLocaleString('en-US')} | ${fixed(round.ratio)}× |`,
        ),
        '',
        '| path | rows | seconds | rows/s |',
        '| --- | --- | --- | --- |',
        ...result.memory.map((t) =>
          throughput(
            `import (memory round ${t.round}), peak RSS ${fixed(t.peakRssMb, 1)} MB, +${fixed(t.peakRssGrowthMb, 1)} MB`,
            t,
          ),
        ),
        throughput('one PutItem per row (the lab’s way)', result.perRowPut),
        '',
        `Alert latency (count set to 0 → message in the outbox), ${result.alertLatencyMs.samples} samples: median ${Math.round(result.alertLatencyMs.median)} ms, p95 ${Math.round(result.alertLatencyMs.p95)} ms.`,
      ].join('\n'),
    };
  },
};

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.versions.node}, ${process.platform}/${process.arch}`;
}

async function record(sections: BenchSection[]): Promise<void> {
  const file = join(projectRoot, 'docs', 'benchmarks.md');
  let text = existsSync(file)
    ? await readFile(file, 'utf8')
    : '# Benchmarks\n\nProduced by `npm run bench`. Each section is rewritten by the run that measured it.\n';
  for (const section of sections) {
    const begin = `<!-- bench:${section.name}:begin -->`;
    const end = `<!-- bench:${section.name}:end -->`;
    const block = `${begin}\n## ${section.name}\n\n_Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}._\n\n${section.body}\n${end}`;
    const start = text.indexOf(begin);
    const stop = text.indexOf(end);
    text =
      start >= 0 && stop > start
        ? `${text.slice(0, start)}${block}${text.slice(stop + end.length)}`
        : `${text.trimEnd()}\n\n${block}\n`;
  }
  await writeFile(file, text.endsWith('\n') ? text : `${text}\n`);
}

// Each benchmark runs in a process of its own: handler modules are loaded once per process
// (a warm container) and keep the clients of the first local cloud they were started in.
const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  const name = process.argv[childIndex + 1] as string;
  const output = process.argv[childIndex + 2] as string;
  const section = await (runners[name] as Runner)((line) => console.log(`  ${line}`));
  await writeFile(output, JSON.stringify(section));
  process.exit(0);
}

function runInChild(name: string): Promise<BenchSection> {
  const output = join(tmpdir(), `stockroom-bench-${process.pid}-${name}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--child', name, output],
      {
        stdio: 'inherit',
        env: process.env,
      },
    );
    child.on('error', reject);
    child.on('exit', async (code) => {
      if (code !== 0) {
        reject(new Error(`bench ${name} exited with ${code}`));
        return;
      }
      try {
        resolve(JSON.parse(await readFile(output, 'utf8')) as BenchSection);
      } catch (error) {
        reject(error);
      } finally {
        await rm(output, { force: true });
      }
    });
  });
}

const wanted = process.argv.slice(2).filter((argument) => !argument.startsWith('-'));
const unknown = wanted.filter((name) => !(name in runners));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${Object.keys(runners).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length > 0 ? wanted : Object.keys(runners);
const sections: BenchSection[] = [];
let failed = false;
for (const name of selected) {
  console.log(`\n== bench: ${name}`);
  try {
    const section = await runInChild(name);
    console.log(section.body);
    sections.push(section);
    await record([section]);
  } catch (error) {
    failed = true;
    console.error(`bench ${name} failed: ${(error as Error).message}`);
  }
}
console.log(`\nRecorded in docs/benchmarks.md (${machine()}).`);
process.exit(!failed && sections.every((section) => section.passed) ? 0 : 1);
