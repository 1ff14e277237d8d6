import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishOnce } from '../../functions/stock-alerts/once.ts';
import { LOCAL_CREDENTIALS } from '../../local/cloud.ts';
import { type DynamoDbStandIn, startDynamoDb } from '../../local/dynamodb.ts';
import { type StockAlertMessage, stockAlertMessage } from '../../shared/stock/alerts.ts';

// The alerts-published records of Powertools' idempotency utility in a real DynamoDB
// (DynamoDB Local): what a redelivered stream record publishes, in each state its first
// delivery may have left.

let dynamoDb: DynamoDbStandIn;
let tables = 0;

beforeAll(async () => {
  dynamoDb = await startDynamoDb({ port: 0, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  await dynamoDb?.stop();
});

async function table(): Promise<string> {
  tables += 1;
  const name = `alerts-published-${tables}`;
  await dynamoDb.client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  return name;
}

/** What Lambda passes: only the remaining time matters here. */
const contextWith = (remainingMs: number) =>
  ({ getRemainingTimeInMillis: () => remainingMs, functionName: 'stockAlerts' }) as unknown as Context;

const alert = (eventId: string, item = 'fig'): StockAlertMessage =>
  stockAlertMessage('out_of_stock', {
    previousCount: 2,
    current: { store: 's1', item, count: 0, source: null },
    eventId,
    at: '2025-03-01T10:00:00.000Z',
  });

/** A publisher that counts each message it was given, failing the first `failures` calls. */
function sns(failures = 0) {
  const sent: string[] = [];
  let calls = 0;
  const publish = async (message: StockAlertMessage) => {
    calls += 1;
    if (calls <= failures) throw new Error('SNS is unavailable');
    sent.push(message.body.eventId);
    return `m-${sent.length}`;
  };
  return { publish, sent };
}

describe('publishOnce (alerts-published records in DynamoDB)', () => {
  it('publishes a redelivered record once, and different records each once', async () => {
    // Prepare
    const name = await table();
    const topic = sns();
    const once = publishOnce(topic.publish, { client: dynamoDb.client, tableName: name, pollMs: 100 });
    once.registerContext(contextWith(30_000));

    // Act
    const ids = [
      await once.publish(alert('e-1')),
      await once.publish(alert('e-1')),
      await once.publish(alert('e-2', 'kiwi')),
    ];
    const again = publishOnce(topic.publish, { client: dynamoDb.client, tableName: name, pollMs: 100 });
    again.registerContext(contextWith(30_000));
    ids.push(await again.publish(alert('e-1')));

    // Assess: a repeat answers the first publish's message id and sends nothing.
    expect(topic.sent).toEqual(['e-1', 'e-2']);
    expect(ids).toEqual(['m-1', 'm-1', 'm-2', 'm-1']);
  });

  it('publishes on the retry when the first attempt failed', async () => {
    // Prepare
    const topic = sns(1);
    const once = publishOnce(topic.publish, {
      client: dynamoDb.client,
      tableName: await table(),
      pollMs: 100,
    });
    once.registerContext(contextWith(30_000));

    // Act
    const first = once.publish(alert('e-3'));
    await expect(first).rejects.toThrow(/unavailable/);
    await once.publish(alert('e-3'));

    // Assess
    expect(topic.sent).toEqual(['e-3']);
  });

  it('waits for a delivery still publishing the same record, then answers its result', async () => {
    // Prepare: the first delivery hangs inside SNS for a while.
    const name = await table();
    let release: () => void = () => undefined;
    const slow = publishOnce(() => new Promise<string>((resolve) => (release = () => resolve('m-slow'))), {
      client: dynamoDb.client,
      tableName: name,
    });
    slow.registerContext(contextWith(30_000));
    const topic = sns();
    const tookOver: string[] = [];
    const other = publishOnce(topic.publish, {
      client: dynamoDb.client,
      tableName: name,
      pollMs: 100,
      onTakeOver: (message) => tookOver.push(message.body.eventId),
    });
    other.registerContext(contextWith(30_000));

    // Act
    const first = slow.publish(alert('e-4'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = other.publish(alert('e-4'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    release();

    // Assess
    await expect(first).resolves.toBe('m-slow');
    await expect(second).resolves.toBe('m-slow');
    expect(topic.sent).toEqual([]);
    expect(tookOver).toEqual([]);
  });

  it('fails the delivery when it has no time left to wait, so that Lambda retries the record', async () => {
    // Prepare
    const name = await table();
    const slow = publishOnce(() => new Promise<string>(() => undefined), {
      client: dynamoDb.client,
      tableName: name,
    });
    slow.registerContext(contextWith(30_000));
    const topic = sns();
    const hurried = publishOnce(topic.publish, { client: dynamoDb.client, tableName: name, pollMs: 100 });
    hurried.registerContext(contextWith(2_000));

    // Act
    void slow.publish(alert('e-6'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = hurried.publish(alert('e-6'));

    // Assess
    await expect(second).rejects.toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
    expect(topic.sent).toEqual([]);
  });

  it('takes over from a delivery whose host died, once its record expired, and says so', async () => {
    // Prepare: the first delivery's host "dies" inside SNS (never answers) with 600 ms left.
    const name = await table();
    const dead = publishOnce(() => new Promise<string>(() => undefined), {
      client: dynamoDb.client,
      tableName: name,
    });
    dead.registerContext(contextWith(600));
    void dead.publish(alert('e-5'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const topic = sns();
    const tookOver: string[] = [];
    const retry = publishOnce(topic.publish, {
      client: dynamoDb.client,
      tableName: name,
      pollMs: 100,
      onTakeOver: (message) => tookOver.push(message.body.eventId),
    });
    retry.registerContext(contextWith(30_000));

    // Act
    await retry.publish(alert('e-5'));

    // Assess: published (no alert lost), and flagged as a possible repeat.
    expect(topic.sent).toEqual(['e-5']);
    expect(tookOver).toEqual(['e-5']);
  });
});
