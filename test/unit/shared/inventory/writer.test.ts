import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InventoryWriteError } from '../../../../shared/inventory/errors.ts';
import { InventoryWriter, type InventoryWriterOptions } from '../../../../shared/inventory/writer.ts';

const TABLE = 'inventory';
const client = new DynamoDBClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const dynamo = mockClient(client);

const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } });
const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

function newWriter(overrides: Partial<InventoryWriterOptions> = {}) {
  const sleeps: number[] = [];
  const writer = new InventoryWriter({
    client,
    tableName: TABLE,
    source: { bucket: 'uploads', key: 'inventory/a.csv', etag: 'abc' },
    updatedAt: '2025-01-02T03:04:05.000Z',
    concurrency: 4,
    maxAttempts: 5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
  return { writer, sleeps };
}

const requestsOf = (call: number): WriteRequest[] => {
  const input = dynamo.commandCalls(BatchWriteItemCommand)[call]?.args[0].input as BatchWriteItemCommandInput;
  return input.RequestItems?.[TABLE] ?? [];
};
const countsOf = (requests: WriteRequest[]) =>
  requests.map((r) => `${r.PutRequest?.Item?.item?.S}=${r.PutRequest?.Item?.count?.N}`);

const rows = (n: number, prefix = 'i') =>
  Array.from({ length: n }, (_, i) => ({ store: 's1', item: `${prefix}${i}`, count: i }));

beforeEach(() => {
  dynamo.reset();
});

describe('InventoryWriter', () => {
  it('writes 25 items per request with the source and time on each', async () => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { writer } = newWriter();

    // Act
    for (const row of rows(60)) await writer.put(row);
    await writer.flush();

    // Assess
    const sizes = dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sizes).toEqual([25, 25, 10]);
    expect(requestsOf(0)[1]?.PutRequest?.Item).toEqual({
      store: { S: 's1' },
      item: { S: 'i1' },
      count: { N: '1' },
      updatedAt: { S: '2025-01-02T03:04:05.000Z' },
      source: { M: { bucket: { S: 'uploads' }, key: { S: 'inventory/a.csv' }, etag: { S: 'abc' } } },
    } satisfies Record<string, AttributeValue>);
    expect(writer.rowsWritten).toBe(60);
  });

  it('sends one put per key in a batch, keeping the later row', async () => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).resolves({});
    const { writer } = newWriter();

    // Act
    await writer.put({ store: 's1', item: 'a', count: 1 });
    await writer.put({ store: 's1', item: 'b', count: 2 });
    await writer.put({ store: 's1', item: 'a', count: 3 });
    await writer.flush();

    // Assess
    expect(countsOf(requestsOf(0))).toEqual(['a=3', 'b=2']);
    expect(writer.rowsWritten).toBe(3);
  });

  it('retries UnprocessedItems alone, with full-jitter backoff', async () => {
    // Prepare
    const left = (n: number): BatchWriteItemCommandOutput => ({
      UnprocessedItems: { [TABLE]: requestsOfBatch().slice(0, n) },
      $metadata: {},
    });
    let firstBatch: WriteRequest[] = [];
    const requestsOfBatch = () => firstBatch;
    dynamo
      .on(BatchWriteItemCommand)
      .callsFakeOnce((input: BatchWriteItemCommandInput) => {
        firstBatch = input.RequestItems?.[TABLE] ?? [];
        return left(3);
      })
      .callsFakeOnce(() => left(1))
      .resolves({});
    const { writer, sleeps } = newWriter();

    // Act
    for (const row of rows(10)) await writer.put(row);
    await writer.flush();

    // Assess
    expect(
      dynamo.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]?.length),
    ).toEqual([10, 3, 1]);
    expect(countsOf(requestsOf(2))).toEqual(['i0=0']);
    expect(sleeps).toEqual([25, 50]);
    expect(writer.rowsWritten).toBe(10);
  });

  it.each([
    ['ProvisionedThroughputExceededException', throttled()],
    ['ThrottlingException', awsError('ThrottlingException', 400)],
    ['RequestLimitExceeded', awsError('RequestLimitExceeded', 400)],
    ['a 500', awsError('InternalServerError', 500)],
    ['a 503', awsError('ServiceUnavailable', 503)],
  ])('retries after %s', async (_name, error) => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).rejectsOnce(error).rejectsOnce(error).resolves({});
    const { writer, sleeps } = newWriter();

    // Act
    for (const row of rows(3)) await writer.put(row);
    await writer.flush();

    // Assess
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
    expect(sleeps).toEqual([25, 50]);
    expect(writer.rowsWritten).toBe(3);
  });

  it('caps the backoff at maxDelayMs', async () => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).rejects(throttled());
    const { writer, sleeps } = newWriter({
      maxAttempts: 8,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 0.999,
    });

    // Act
    await writer.put({ store: 's1', item: 'a', count: 1 });
    const outcome = writer.flush();

    // Assess
    await expect(outcome).rejects.toThrow(/still failing after 8 attempts/);
    expect(sleeps).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it.each([
    ['ValidationException', 400],
    ['AccessDeniedException', 403],
    ['ResourceNotFoundException', 400],
  ])('stops at once on %s', async (name, status) => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).rejects(awsError(name, status));
    const { writer } = newWriter();

    // Act
    await writer.put({ store: 's1', item: 'a', count: 1 });
    const outcome = writer.flush();

    // Assess
    await expect(outcome).rejects.toThrow(InventoryWriteError);
    await expect(outcome).rejects.toThrow(name);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(1);
  });

  it('fails after maxAttempts when items stay unprocessed', async () => {
    // Prepare
    dynamo
      .on(BatchWriteItemCommand)
      .callsFake((input: BatchWriteItemCommandInput) => ({ UnprocessedItems: input.RequestItems }));
    const { writer } = newWriter({ maxAttempts: 3 });

    // Act
    await writer.put({ store: 's1', item: 'a', count: 1 });
    const outcome = writer.flush();

    // Assess
    await expect(outcome).rejects.toThrow('1 items still unprocessed after 3 attempts');
    expect(writer.rowsWritten).toBe(0);
  });

  it('refuses further rows once a write has failed for good', async () => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).rejects(awsError('ValidationException', 400));
    const { writer } = newWriter({ concurrency: 1 });
    for (const row of rows(25)) await writer.put(row);
    await writer.drain();

    // Act
    const outcome = writer.put({ store: 's1', item: 'late', count: 1 });

    // Assess
    await expect(outcome).rejects.toThrow(InventoryWriteError);
  });

  it('keeps no more than `concurrency` requests in flight', async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    const release: Array<() => void> = [];
    dynamo.on(BatchWriteItemCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => release.push(resolve));
      inFlight -= 1;
      return {};
    });
    const { writer } = newWriter({ concurrency: 3 });
    const pump = setInterval(() => release.shift()?.(), 1);

    // Act
    for (const row of rows(25 * 10)) await writer.put(row);
    await writer.flush();
    clearInterval(pump);

    // Assess
    expect(most).toBe(3);
    expect(writer.rowsWritten).toBe(250);
  });

  it('makes the caller wait only when every request slot is busy, one batch at most held back', async () => {
    // Prepare: requests that finish only when released.
    const release: Array<() => void> = [];
    dynamo.on(BatchWriteItemCommand).callsFake(async () => {
      await new Promise<void>((resolve) => release.push(resolve));
      return {};
    });
    const { writer } = newWriter({ concurrency: 2 });

    // Act: two full batches go at once; the third must wait for a slot.
    const returned = rows(75).map((row) => writer.put(row));
    await new Promise((resolve) => setImmediate(resolve));
    const inFlightWhileBlocked = writer.inFlight;
    const sentWhileBlocked = dynamo.commandCalls(BatchWriteItemCommand).length;
    let third = false;
    void returned[74]?.then(() => {
      third = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const thirdWaited = !third;
    release.shift()?.();
    await returned[74];
    const pump = setInterval(() => release.shift()?.(), 1);
    await writer.flush();
    clearInterval(pump);

    // Assess
    expect(returned.slice(0, 49).every((result) => result === undefined)).toBe(true);
    expect(returned[49]).toBeUndefined(); // the second batch found a free slot
    expect(returned[74]).toBeInstanceOf(Promise);
    expect(inFlightWhileBlocked).toBe(2);
    expect(sentWhileBlocked).toBe(2);
    expect(thirdWaited).toBe(true);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
    expect(writer.rowsWritten).toBe(75);
  });

  it('writes a key’s later row last even when an earlier batch holding it is still retrying', async () => {
    // Prepare: a fake table applying puts in the order requests arrive. The first batch
    // (holding a=5) is told to retry a; meanwhile a later batch holds a=0.
    const table = new Map<string, string | undefined>();
    let calls = 0;
    dynamo.on(BatchWriteItemCommand).callsFake(async (input: BatchWriteItemCommandInput) => {
      calls += 1;
      const requests = input.RequestItems?.[TABLE] ?? [];
      if (calls === 1) {
        const keep = requests.filter((r) => r.PutRequest?.Item?.item?.S !== 'a');
        for (const r of keep) table.set(r.PutRequest?.Item?.item?.S ?? '', r.PutRequest?.Item?.count?.N);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { UnprocessedItems: { [TABLE]: requests.filter((r) => r.PutRequest?.Item?.item?.S === 'a') } };
      }
      for (const r of requests) table.set(r.PutRequest?.Item?.item?.S ?? '', r.PutRequest?.Item?.count?.N);
      return {};
    });
    const { writer } = newWriter({ concurrency: 4 });

    // Act
    await writer.put({ store: 's1', item: 'a', count: 5 });
    for (const row of rows(24, 'x')) await writer.put(row);
    await writer.put({ store: 's1', item: 'a', count: 0 });
    for (const row of rows(24, 'y')) await writer.put(row);
    await writer.flush();

    // Assess
    expect(table.get('a')).toBe('0');
    expect(table.size).toBe(49);
  });
});
