/**
 * `npm run bench [-- <name>…]`: runs the benchmarks (all, or the named ones: images,
 * inventory, web, long-runs), prints them, and records the results with the machine they
 * came from in docs/benchmarks.md (between the markers of each section, so a partial run
 * updates only its own sections).
 *
 * Every figure is a ratio against a reference measured in the same run, because these
 * machines are shared and noisy: absolute numbers are given for context only.
 *
 * Options (`--name=value`, after the names) are for development runs, which print their
 * sections but do not record them: e.g. the inventory bench's settled phase alone, small:
 * `npm run bench -- inventory --phases=settled --settled-rows=20000` (see `runnerOptions`).
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../local/service-config.ts';
import type { BenchResult, InventoryBenchResult } from './types.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface BenchSection {
  name: string;
  /** Markdown, without the heading. */
  body: string;
  passed: boolean;
}

/** `--name=value` options from the command line (development runs; see `runnerOptions`). */
type BenchOptions = Record<string, string>;

type Runner = (log: (line: string) => void, options: BenchOptions) => Promise<BenchSection>;

/**
 * The options each benchmark takes. A run given any is a development run: it prints its
 * section but does not record it in docs/benchmarks.md.
 * - inventory: `--phases=importer,alerts,settled` (default all), `--settled-rows=N` (default 200000).
 */
const runnerOptions: Record<string, string[]> = { inventory: ['phases', 'settled-rows'] };

function parseOptions(args: string[]): BenchOptions {
  const options: BenchOptions = {};
  for (const argument of args) {
    const match = /^--([a-z][a-z-]*)=(.*)$/.exec(argument);
    if (match) options[match[1] as string] = match[2] as string;
  }
  return options;
}

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
  inventory: async (log, options) => {
    const { benchInventory, INVENTORY_PHASES } = await import('./inventory.ts');
    const phases = options.phases?.split(',').map((phase) => phase.trim());
    const unknown = phases?.filter((phase) => !(INVENTORY_PHASES as readonly string[]).includes(phase));
    if (unknown?.length)
      throw new Error(`unknown inventory phase(s) ${unknown.join(', ')}: ${INVENTORY_PHASES.join(', ')}`);
    const settledRows = options['settled-rows'] === undefined ? undefined : Number(options['settled-rows']);
    const result = await benchInventory({
      log,
      ...(phases && { phases: phases as (typeof INVENTORY_PHASES)[number][] }),
      ...(settledRows !== undefined && { settledRows }),
    });
    return { name: 'inventory', passed: result.passed, body: inventoryBody(result) };
  },
};

type InventoryResult = InventoryBenchResult;
type SettledResult = NonNullable<InventoryResult['settled']>;

const orDash = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined ? '—' : fixed(value, digits);
const whole = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : Math.round(value).toLocaleString('en-US');
const size = (bytes: number | null): string =>
  bytes === null
    ? '—'
    : bytes >= 1024 ** 2
      ? `${fixed(bytes / 1024 ** 2, 1)} MiB`
      : `${fixed(bytes / 1024, 1)} KiB`;
const yes = (pass: boolean): string => (pass ? 'yes' : 'no');

/** The inventory section: the settled phase first (what users wait for), then the narrower figures. */
function inventoryBody(result: InventoryResult): string {
  const lines: string[] = [];
  if (result.settled) lines.push(...settledLines(result.settled), '');
  if (result.importerAlone) lines.push(...importerAloneLines(result.importerAlone), '');
  if (result.alertLatencyMs) {
    const latency = result.alertLatencyMs;
    lines.push(
      '### Alert latency (stockAlerts alone)',
      '',
      `Count set to 0 → message in the outbox, ${latency.samples} samples: median ${Math.round(latency.median)} ms, p95 ${Math.round(latency.p95)} ms.`,
      '',
    );
  }
  return lines.join('\n').trimEnd();
}

function settledLines(settled: SettledResult): string[] {
  const { targets, passed, raw } = settled;
  const interleaved = settled.imports.find((figures) => figures.file === 'interleaved');
  const largeBatches = interleaved?.invocations.storeSummaries.largeBatches;
  return [
    '### Settled: every function wired, as `npm start` wires them',
    '',
    `What users wait for. Each file is uploaded under \`inventory/\` with every function wired (DynamoDB on disk) and timed from the end of its upload to its import report (status completed), and to **settled**: the report written, every alert it should raise in the SNS outbox, and every store summary equal to a recount of the store's items (polled every ${settled.pollMs} ms, so settled is good to one poll). ${settled.rows.toLocaleString('en-US')} rows a file, ${settled.stores} stores × ${(settled.rows / settled.stores).toLocaleString('en-US')} items, ${settled.zeroRows.toLocaleString('en-US')} rows at count 0 (each a new item at 0: one out-of-stock alert). *blocks*: a store's rows together; *interleaved*: row i in store i mod ${settled.stores}, so every stream batch touches every store; then the interleaved file uploaded again (same key, no count changed: no alert; its summaries are right before it starts, so its settled time is its report's, and the check once the cloud is idle is what tests it). Raw reference: as many rows written with BatchWriteItem at the importer's concurrency, DynamoDB on disk, no function wired. DynamoDB Local on disk is several times slower than in memory, so these rates are far below the importer-alone ones: compare the ratios, not the rates.`,
    '',
    '| target | measured | wanted | |',
    '| --- | --- | --- | --- |',
    `| settled ÷ raw BatchWriteItem (interleaved) | ${orDash(interleaved?.ratios.settledVsRaw)}× | ≥ ${targets.settledVsRaw}× | ${verdict(passed.settledVsRaw)} |`,
    `| to the report ÷ raw BatchWriteItem (interleaved) | ${orDash(interleaved?.ratios.reportVsRaw)}× | ≥ ${targets.reportVsRaw}× | ${verdict(passed.reportVsRaw)} |`,
    `| storeSummaries p95, batches of ≥ ${targets.largeBatchRecords} records (interleaved; ${largeBatches?.count ?? 0} such batches) | ${whole(largeBatches?.p95Ms)} ms | < ${targets.summariesLargeBatchP95Ms} ms | ${verdict(passed.summariesLargeBatchP95Ms)} |`,
    `| every import completed (none failed) | ${yes(passed.everyImportCompleted)} | yes | ${verdict(passed.everyImportCompleted)} |`,
    `| every import settled | ${yes(passed.everyImportSettled)} | yes | ${verdict(passed.everyImportSettled)} |`,
    `| alerts and summaries still right once the cloud is idle | ${yes(passed.rightWhenIdle)} | yes | ${verdict(passed.rightWhenIdle)} |`,
    '',
    '| file | rows | seconds to report | rows/s to report | seconds settled | rows/s settled | raw rows/s | report ÷ raw | settled ÷ raw | target | met? |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...settled.imports.map((figures) => {
      const headline = figures === interleaved;
      const target = headline ? `settled ≥ ${targets.settledVsRaw}×, report ≥ ${targets.reportVsRaw}×` : '—';
      const met = headline ? verdict(passed.settledVsRaw && passed.reportVsRaw) : '—';
      return `| ${figures.file} | ${whole(figures.rows)} | ${orDash(figures.toReportSeconds, 1)} | ${whole(figures.rowsPerSecondToReport)} | ${orDash(figures.settledSeconds, 1)} | ${whole(figures.rowsPerSecondSettled)} | ${whole(raw.rowsPerSecond)} | ${orDash(figures.ratios.reportVsRaw)}× | ${orDash(figures.ratios.settledVsRaw)}× | ${target} | ${met} |`;
    }),
    '',
    '| file | status | upload seconds | handler seconds (report) | alerts expected | alerts published | summaries wrong once idle | notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...settled.imports.map(
      (figures) =>
        `| ${figures.file} | ${figures.status} | ${orDash(figures.uploadSeconds, 1)} | ${orDash(figures.importSeconds, 1)} | ${whole(figures.alerts.expected)} | ${whole(figures.alerts.published)} | ${figures.summaryMismatchesWhenIdle} | ${figures.notes.join('; ') || '—'} |`,
    ),
    '',
    ...consumerLines(settled),
    '',
    ...directImportLines(settled),
  ];
}

/** The stream consumers' invocations during each import. */
function consumerLines(settled: SettledResult): string[] {
  const { largeBatchRecords } = settled.targets;
  return [
    'Stream consumers during each import (invocation durations as the local runtime records them):',
    '',
    `| file | function | invocations | errors | median ms | p95 ms | max ms | records a batch, median / max | batches ≥ ${largeBatchRecords} records | their p95 ms |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...settled.imports.flatMap((figures) =>
      (['storeSummaries', 'stockAlerts'] as const).map((name) => {
        const stats = figures.invocations[name];
        const sizes = `${whole(stats.medianRecords)} / ${whole(stats.maxRecords)}${stats.sized < stats.count ? ` (${stats.sized} of ${stats.count} known)` : ''}`;
        return `| ${figures.file} | ${name} | ${stats.count} | ${stats.errors} | ${whole(stats.medianMs)} | ${whole(stats.p95Ms)} | ${whole(stats.maxMs)} | ${sizes} | ${stats.largeBatches.count} | ${whole(stats.largeBatches.p95Ms)} |`;
      }),
    ),
  ];
}

/** What the interleaved file's rate means for the direct import's time limit. */
function directImportLines(settled: SettledResult): string[] {
  const direct = settled.directImport;
  const interleaved = settled.imports.find((figures) => figures.file === 'interleaved');
  return [
    `**Direct import, bytes:** the interleaved file (${size(interleaved?.bytes ?? null)}) reached its report at ${size(direct.bytesPerSecond)}/s (${whole(direct.bytesPerSecond)} bytes/s). At that rate importInventory's ${whole(direct.timeoutSeconds)} s timeout takes ${size(direct.bytesInTimeout)} (${whole(direct.bytesInTimeout)} bytes); the ${whole(direct.timeoutSeconds === null || direct.safetyMarginSeconds === null ? null : direct.timeoutSeconds - direct.safetyMarginSeconds)} s before its ${whole(direct.safetyMarginSeconds)} s safety margin take ${size(direct.bytesInTimeoutLessMargin)}. Today files over ${size(direct.thresholdBytes)} (LARGE_IMPORT_THRESHOLD_BYTES) go to Step Functions at once, and the up-front time check assumes ${whole(direct.assumedRowsPerSecond)} rows/s.`,
  ];
}

function importerAloneLines(alone: NonNullable<InventoryResult['importerAlone']>): string[] {
  const throughput = (label: string, t: { rows: number; seconds: number; rowsPerSecond: number }) =>
    `| ${label} | ${t.rows.toLocaleString('en-US')} | ${fixed(t.seconds)} | ${Math.round(t.rowsPerSecond).toLocaleString('en-US')} |`;
  return [
    '### Importer alone (no stream consumer wired)',
    '',
    '**Narrower than the system users run:** these figures are the importer alone — no stream',
    'consumer (stockAlerts, storeSummaries) is wired while they are measured, so they say how',
    'fast rows reach the table, not how soon the dashboard and the alerts are right (that is',
    'the settled figures above).',
    '',
    '| target (importer alone) | measured | wanted | |',
    '| --- | --- | --- | --- |',
    `| import ÷ raw BatchWriteItem | ${fixed(alone.ratios.importVsRawBatch)}× | ≥ ${alone.targets.importVsRawBatch}× | ${verdict(alone.passed.importVsRawBatch)} |`,
    `| import ÷ one PutItem per row | ${fixed(alone.ratios.importVsPerRowPut)}× | ≥ ${alone.targets.importVsPerRowPut}× | ${verdict(alone.passed.importVsPerRowPut)} |`,
    `| RSS growth, smallest → largest import (median of ${alone.rssGrowthsMb.length} rounds: ${alone.rssGrowthsMb.map((growth) => fixed(growth, 1)).join(', ')} MB) | ${fixed(alone.rssGrowthMb, 1)} MB | < ${alone.targets.rssGrowthMb} MB | ${verdict(alone.passed.rssGrowthMb)} |`,
    '',
    '| round | import alone (S3 → parse → DynamoDB) rows/s | raw BatchWriteItem rows/s | ratio |',
    '| --- | --- | --- | --- |',
    ...alone.rounds.map(
      (round, index) =>
        `| ${index + 1} | ${Math.round(round.import.rowsPerSecond).toLocaleString('en-US')} | ${Math.round(round.rawBatch.rowsPerSecond).toLocaleString('en-US')} | ${fixed(round.ratio)}× |`,
    ),
    '',
    '| path (importer alone) | rows | seconds | rows/s |',
    '| --- | --- | --- | --- |',
    ...alone.memory.map((t) =>
      throughput(
        `import (memory round ${t.round}), peak RSS ${fixed(t.peakRssMb, 1)} MB, +${fixed(t.peakRssGrowthMb, 1)} MB`,
        t,
      ),
    ),
    throughput('one PutItem per row (the lab’s way)', alone.perRowPut),
  ];
}

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
  const options = parseOptions(process.argv.slice(childIndex + 3));
  const section = await (runners[name] as Runner)((line) => console.log(`  ${line}`), options);
  await writeFile(output, JSON.stringify(section));
  process.exit(0);
}

function runInChild(name: string, options: BenchOptions): Promise<BenchSection> {
  const output = join(tmpdir(), `stockroom-bench-${process.pid}-${name}.json`);
  const optionArgs = Object.entries(options)
    .filter(([option]) => runnerOptions[name]?.includes(option))
    .map(([option, value]) => `--${option}=${value}`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--child', name, output, ...optionArgs],
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
const options = parseOptions(process.argv.slice(2));
const unknownOptions = Object.keys(options).filter(
  (option) => !selected.some((name) => runnerOptions[name]?.includes(option)),
);
if (unknownOptions.length > 0) {
  console.error(`Unknown option(s) for ${selected.join(', ')}: ${unknownOptions.join(', ')}`);
  process.exit(2);
}
// A run with options measures something other than the documented run: shown, not recorded.
const development = Object.keys(options).length > 0;
const sections: BenchSection[] = [];
let failed = false;
for (const name of selected) {
  console.log(`\n== bench: ${name}`);
  try {
    const section = await runInChild(name, options);
    console.log(section.body);
    sections.push(section);
    if (!development) await record([section]);
  } catch (error) {
    failed = true;
    console.error(`bench ${name} failed: ${(error as Error).message}`);
  }
}
console.log(
  development
    ? `\nA development run (options ${Object.keys(options).join(', ')}): not recorded in docs/benchmarks.md.`
    : `\nRecorded in docs/benchmarks.md (${machine()}).`,
);
process.exit(!failed && sections.every((section) => section.passed) ? 0 : 1);
