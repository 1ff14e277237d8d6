import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { Endpoints } from '../../local/types.ts';
import { clientsOfEndpoints, eventually } from '../support/local-cloud.ts';
import { freePorts, type NpmStart, npmStart } from '../support/npm-start.ts';

// `kill -9` of the whole local cloud while a large-import execution is part-way through its
// ranges, then a restart: the execution goes on from where it was, as Step Functions keeps
// an execution going when a host dies. Ranges that had finished are not imported again.

const ROWS = 20_000;
/** About 45 ranges of 10 KB, 10 at a time (the Map's MaxConcurrency). */
const RANGE_BYTES = 10_000;
let dataDir: string | undefined;
let running: NpmStart | undefined;

afterAll(async () => {
  running?.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The journal's lines: the execution's start, then each Task result recorded. */
async function journalLines(dir: string): Promise<{ result?: Record<string, unknown> }[]> {
  const folder = join(dir, 'journal', 'states');
  const names = (await readdir(folder).catch(() => [])).filter((name) => name.endsWith('.jsonl'));
  if (names.length !== 1) return [];
  const text = await readFile(join(folder, names[0] as string), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line));
}

const rangeLines = (output: string) =>
  output.split('\n').filter((line) => /largeImportRange ok\b/.test(line));

describe('a Step Functions execution when the local cloud is killed', () => {
  it('resumes after a restart, importing only the ranges that had not finished', async () => {
    // Prepare
    dataDir = await mkdtemp(join(tmpdir(), 'stockroom-resume-'));
    const ports = await freePorts();
    running = npmStart(dataDir, ports);
    await running.printed('Press Ctrl-C to stop.');
    const endpoints: Endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
    const { s3, sfn, documents } = clientsOfEndpoints(endpoints);
    const { uploads } = endpoints.buckets;
    const rows = ['store,item,count'];
    for (let row = 0; row < ROWS; row += 1) rows.push(`resume-${row % 4},item-${row},${row % 97}`);
    await s3.send(
      new PutObjectCommand({ Bucket: uploads, Key: 'by-hand/resume.csv', Body: `${rows.join('\n')}\n` }),
    );
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: endpoints.stateMachines.largeImport,
        name: 'resume-test',
        input: JSON.stringify({ bucket: uploads, key: 'by-hand/resume.csv', rangeBytes: RANGE_BYTES }),
      }),
    );

    // Act: killed once a dozen ranges are recorded, well before the last.
    const before = await eventually(
      async () => {
        const lines = await journalLines(dataDir as string);
        return lines.length >= 1 + 1 + 12 ? lines : undefined;
      },
      { timeoutMs: 120_000, what: 'a dozen ranges recorded in the journal' },
    );
    running.kill();
    await running.exited;
    const recorded = await journalLines(dataDir);
    const plan = recorded[1]?.result as { ranges?: unknown[] } | undefined;
    const rangesRecorded = recorded.length - 2;
    running = npmStart(dataDir, ports);
    await running.printed('Press Ctrl-C to stop.');

    // Assess
    expect(before.length).toBeGreaterThan(2);
    const ranges = plan?.ranges?.length ?? 0;
    expect(ranges).toBeGreaterThan(30);
    expect(rangesRecorded).toBeLessThan(ranges);
    expect(running.output()).toContain('resuming 1 Step Functions execution(s) left running by the last run');
    const described = await eventually(
      async () => {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return execution.status === 'RUNNING' ? undefined : execution;
      },
      { timeoutMs: 180_000, what: 'the resumed execution to end' },
    );
    expect(described.status).toBe('SUCCEEDED');
    const report = JSON.parse(
      (await (
        await s3.send(
          new GetObjectCommand({ Bucket: uploads, Key: 'reports/inventory/by-hand/resume.csv.json' }),
        )
      ).Body?.transformToString()) ?? '{}',
    );
    expect(report).toMatchObject({ status: 'completed', rowsRead: ROWS, rowsImported: ROWS });
    let items = 0;
    for await (const page of paginateScan(
      { client: documents },
      { TableName: endpoints.tables.inventory, Select: 'COUNT' },
    ))
      items += page.Count ?? 0;
    expect(items).toBe(ROWS);
    // The ranges recorded before the kill were answered from the journal, not run again.
    expect(rangeLines(running.output())).toHaveLength(ranges - rangesRecorded);
    expect(await journalLines(dataDir)).toEqual([]);
  }, 600_000);
});
