import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeFunctionOutput } from '../../local/logs.ts';
import type { LocalCloud } from '../../local/types.ts';
import { clientsFor, startTestCloud } from '../support/local-cloud.ts';

// Lambda runs one invocation at a time per container; the local cloud runs concurrent
// invocations of a function in one process, so each gets a container (module copy) of its
// own. Observable: every log line carries the request id of the invocation that wrote it.

let cloud: LocalCloud;
let restore: () => void;

beforeAll(async () => {
  cloud = await startTestCloud({ verbose: true, functions: ['storeSummaries'] });
  restore = routeFunctionOutput(cloud.dataDir, false);
});

afterAll(async () => {
  restore?.();
  await cloud?.stop();
});

const STORES = Array.from({ length: 8 }, (_, i) => `request-id-store-${i}`);

function staleRecord(store: string): DynamoDBRecord {
  return {
    eventID: `stale-${store}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { store: { S: store }, item: { S: 'x' } },
      NewImage: { store: { S: store }, item: { S: 'x' }, count: { N: '1' } },
      SequenceNumber: '100',
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

describe('request ids in the logs of concurrent invocations', () => {
  it("are always the writing invocation's own", async () => {
    // Prepare: each store's summary has applied a newer record, so each invocation reads
    // it back (awaits interleave) and then logs the skipped record with its store.
    const { documents } = clientsFor(cloud);
    for (const store of STORES) {
      await documents.send(
        new PutCommand({
          TableName: cloud.tables.storeSummaries,
          Item: {
            store,
            itemCount: 1,
            totalUnits: 1,
            outOfStockCount: 0,
            computedAt: 'x',
            appliedSequence: '9'.repeat(40),
          },
        }),
      );
    }

    // Act: all at once, three rounds.
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(
        STORES.map((store) => cloud.invoke('storeSummaries', { Records: [staleRecord(store)] })),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess
    const requestIdOf = new Map(
      cloud
        .invocations('storeSummaries')
        .map((record) => [
          record.requestId,
          (record.event as { Records: DynamoDBRecord[] }).Records[0]?.dynamodb?.Keys?.store?.S,
        ]),
    );
    const lines = (await readFile(join(cloud.dataDir, 'logs', 'functions.jsonl'), 'utf8'))
      .split('\n')
      .filter((line) => line.includes('already applied'))
      .map((line) => JSON.parse(line) as { function_request_id: string; stores: string[] });
    expect(lines).toHaveLength(STORES.length * 3);
    for (const line of lines) expect(requestIdOf.get(line.function_request_id)).toBe(line.stores[0]);
  });
});
