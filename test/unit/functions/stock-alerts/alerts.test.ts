import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { processStockAlerts } from '../../../../functions/stock-alerts/alerts.ts';
import { image, streamRecord } from './stream-records.ts';

const sns = new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const snsMock = mockClient(sns);
const TOPIC = 'arn:aws:sns:eu-west-1:000000000000:out-of-stock';

const dropToZero = (item: string) =>
  streamRecord('MODIFY', { old: image('s1', item, 2), new: image('s1', item, 0) });

/** Answers PublishBatch with every entry successful, except those whose item is in `refuse`. */
function snsRefusing(...refuse: string[]) {
  snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
    const entries = input.PublishBatchRequestEntries ?? [];
    const refused = entries.filter((e) => refuse.includes(e.MessageAttributes?.item?.StringValue ?? ''));
    return {
      Successful: entries
        .filter((e) => !refused.includes(e))
        .map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
      Failed: refused.map((e) => ({
        Id: e.Id,
        Code: 'InternalError',
        SenderFault: false,
        Message: 'try later',
      })),
    };
  });
}

const published = () =>
  snsMock
    .commandCalls(PublishBatchCommand)
    .flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? [])
    .map((e) => e.MessageAttributes?.item?.StringValue);

beforeEach(() => {
  snsMock.reset();
});

describe('processStockAlerts', () => {
  it('publishes only real transitions, 10 entries per call', async () => {
    // Prepare
    snsRefusing();
    const records = [
      ...Array.from({ length: 12 }, (_, i) => dropToZero(`a${i}`)),
      streamRecord('MODIFY', { old: image('s1', 'z', 0), new: image('s1', 'z', 0) }),
      streamRecord('REMOVE', { old: image('s1', 'r', 0) }),
    ];

    // Act
    const response = await processStockAlerts({ Records: records }, { sns, topicArn: TOPIC });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(
      snsMock
        .commandCalls(PublishBatchCommand)
        .map((c) => c.args[0].input.PublishBatchRequestEntries?.length),
    ).toEqual([10, 2]);
    expect(published()).toHaveLength(12);
    expect(snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input.TopicArn).toBe(TOPIC);
  });

  it('reports only the records whose entries SNS refused', async () => {
    // Prepare
    snsRefusing('b', 'd');
    const records = ['a', 'b', 'c', 'd'].map(dropToZero);

    // Act
    const response = await processStockAlerts({ Records: records }, { sns, topicArn: TOPIC });

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: records[1]?.dynamodb?.SequenceNumber },
      { itemIdentifier: records[3]?.dynamodb?.SequenceNumber },
    ]);
  });

  it('fails every record of a PublishBatch call that throws, and only those', async () => {
    // Prepare: 12 alerts make two calls; the second one throws.
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      const entries = input.PublishBatchRequestEntries ?? [];
      if (entries.length === 2) throw Object.assign(new Error('throttled'), { name: 'Throttled' });
      return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: 'm' })), Failed: [] };
    });
    const records = Array.from({ length: 12 }, (_, i) => dropToZero(`a${i}`));

    // Act
    const response = await processStockAlerts({ Records: records }, { sns, topicArn: TOPIC });

    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      records.slice(10).map((r) => r.dynamodb?.SequenceNumber),
    );
  });

  it('treats an entry SNS neither confirmed nor refused as failed', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const records = [dropToZero('a'), streamRecord('REMOVE', { old: image('s1', 'r', 0) })];

    // Act
    const response = await processStockAlerts({ Records: records }, { sns, topicArn: TOPIC });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }]);
  });

  it('skips a poison record without failing it, and says so', async () => {
    // Prepare
    snsRefusing();
    const poison = streamRecord('INSERT', { new: image('s1', 'bad', 'NaN-ish') });
    const records = [dropToZero('a'), poison, dropToZero('b')];
    const skipped: string[] = [];

    // Act
    const response = await processStockAlerts(
      { Records: records },
      { sns, topicArn: TOPIC, onPoisonRecord: (record) => skipped.push(record.eventID ?? '') },
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(skipped).toEqual([poison.eventID]);
    expect(published()).toEqual(['a', 'b']);
  });

  it('throws when every record fails, so Lambda bisects and retries the batch', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).rejects(new Error('down'));

    // Act
    const outcome = processStockAlerts({ Records: [dropToZero('a')] }, { sns, topicArn: TOPIC });

    // Assess
    await expect(outcome).rejects.toThrow(/All records failed/);
  });
});
