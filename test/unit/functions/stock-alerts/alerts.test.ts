import { describe, expect, it } from 'vitest';
import { processStockAlerts } from '../../../../functions/stock-alerts/alerts.ts';
import type { StockAlertMessage } from '../../../../shared/stock/alerts.ts';
import { image, streamRecord } from './stream-records.ts';

const dropToZero = (item: string) =>
  streamRecord('MODIFY', { old: image('s1', item, 2), new: image('s1', item, 0) });
const backFromZero = (item: string) =>
  streamRecord('MODIFY', { old: image('s1', item, 0), new: image('s1', item, 4) });

/** A publisher that records what it was given and refuses the items in `refuse`. */
function publisher(...refuse: string[]) {
  const published: StockAlertMessage[] = [];
  const publish = async (message: StockAlertMessage) => {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    if (refuse.includes(message.body.item)) throw new Error('SNS refused it');
    published.push(message);
    return `m-${published.length}`;
  };
  return { publish, published, items: () => published.map((m) => `${m.body.item}:${m.body.type}`) };
}

describe('processStockAlerts', () => {
  it('publishes only real transitions', async () => {
    // Prepare
    const sns = publisher();
    const records = [
      ...Array.from({ length: 12 }, (_, i) => dropToZero(`a${i}`)),
      streamRecord('MODIFY', { old: image('s1', 'z', 0), new: image('s1', 'z', 0) }),
      streamRecord('REMOVE', { old: image('s1', 'r', 0) }),
    ];

    // Act
    const response = await processStockAlerts({ Records: records }, { publish: sns.publish });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sns.items().sort()).toEqual(Array.from({ length: 12 }, (_, i) => `a${i}:out_of_stock`).sort());
    expect(sns.published[0]?.body.eventId).toMatch(/^e\d+/);
  });

  it('reports only the records whose alert was not published', async () => {
    // Prepare
    const sns = publisher('b', 'd');
    const records = ['a', 'b', 'c', 'd'].map(dropToZero);

    // Act
    const response = await processStockAlerts({ Records: records }, { publish: sns.publish });

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: records[1]?.dynamodb?.SequenceNumber },
      { itemIdentifier: records[3]?.dynamodb?.SequenceNumber },
    ]);
    expect(sns.items().sort()).toEqual(['a:out_of_stock', 'c:out_of_stock']);
  });

  it("publishes an item's alerts in stream order, and none after one of them failed", async () => {
    // Prepare: "fig" runs out, comes back and runs out again in one batch.
    const ok = publisher();
    const sequence = [dropToZero('fig'), backFromZero('fig'), dropToZero('fig'), dropToZero('kiwi')];
    const failing = publisher('fig');

    // Act
    const first = await processStockAlerts({ Records: sequence }, { publish: ok.publish });
    const second = await processStockAlerts({ Records: sequence }, { publish: failing.publish });

    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(ok.items().filter((i) => i.startsWith('fig'))).toEqual([
      'fig:out_of_stock',
      'fig:back_in_stock',
      'fig:out_of_stock',
    ]);
    expect(second.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      sequence.slice(0, 3).map((r) => r.dynamodb?.SequenceNumber),
    );
    expect(failing.items()).toEqual(['kiwi:out_of_stock']);
  });

  it('skips a poison record without failing it, and says so', async () => {
    // Prepare
    const sns = publisher();
    const poison = streamRecord('INSERT', { new: image('s1', 'bad', 'NaN-ish') });
    const records = [dropToZero('a'), poison, dropToZero('b')];
    const skipped: string[] = [];

    // Act
    const response = await processStockAlerts(
      { Records: records },
      { publish: sns.publish, onPoisonRecord: (record) => skipped.push(record.eventID ?? '') },
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(skipped).toEqual([poison.eventID]);
    expect(sns.items().sort()).toEqual(['a:out_of_stock', 'b:out_of_stock']);
  });

  it('throws when every record fails, so Lambda bisects and retries the batch', async () => {
    // Prepare
    const sns = publisher('a');

    // Act
    const outcome = processStockAlerts({ Records: [dropToZero('a')] }, { publish: sns.publish });

    // Assess
    await expect(outcome).rejects.toThrow(/All records failed/);
  });
});
