import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { PoisonRecordError, stockAlertFor } from '../../../../functions/stock-alerts/records.ts';
import { image, streamRecord } from './stream-records.ts';

describe('stockAlertFor', () => {
  it('builds the out-of-stock message with body and filterable attributes', () => {
    // Prepare
    const record = streamRecord('MODIFY', { old: image('s1', 'apple', 3), new: image('s1', 'apple', 0) });

    // Act
    const alert = stockAlertFor(record);

    // Assess
    expect(alert).toEqual({
      subject: 'Out of stock: apple at s1',
      body: {
        type: 'out_of_stock',
        store: 's1',
        item: 'apple',
        previousCount: 3,
        newCount: 0,
        at: '2025-03-01T10:00:00.000Z',
        source: { bucket: 'uploads', key: 'inventory/a.csv', etag: 'e1' },
        eventId: record.eventID,
      },
      attributes: {
        type: { DataType: 'String', StringValue: 'out_of_stock' },
        store: { DataType: 'String', StringValue: 's1' },
        item: { DataType: 'String', StringValue: 'apple' },
        eventId: { DataType: 'String', StringValue: record.eventID },
      },
    });
  });

  it('builds the back-in-stock message with its own type', () => {
    // Prepare
    const record = streamRecord('MODIFY', { old: image('s1', 'apple', 0), new: image('s1', 'apple', 9) });

    // Act
    const alert = stockAlertFor(record);

    // Assess
    expect(alert?.subject).toBe('Back in stock: apple at s1');
    expect(alert?.attributes.type?.StringValue).toBe('back_in_stock');
    expect(alert?.body).toMatchObject({ previousCount: 0, newCount: 9 });
  });

  it('alerts on an insert at 0 with no previous count', () => {
    // Act
    const alert = stockAlertFor(streamRecord('INSERT', { new: image('s1', 'fig', 0) }));

    // Assess
    expect(alert?.body).toMatchObject({ type: 'out_of_stock', previousCount: null, newCount: 0 });
  });

  it.each([
    ['a removal', streamRecord('REMOVE', { old: image('s1', 'a', 0) })],
    ['0 → 0', streamRecord('MODIFY', { old: image('s1', 'a', 0), new: image('s1', 'a', 0) })],
  ])('is silent for %s', (_name, record) => {
    // Act
    const alert = stockAlertFor(record);

    // Assess
    expect(alert).toBeUndefined();
  });

  it('keeps non-ASCII names intact in the body and attributes', () => {
    // Prepare
    const record = streamRecord('INSERT', { new: image('Zürich Hbf', 'crème brûlée 🍮', 0) });

    // Act
    const alert = stockAlertFor(record);

    // Assess
    expect(alert?.subject).toBe('Out of stock: creme brulee ? at Zurich Hbf');
    expect(alert?.body.item).toBe('crème brûlée 🍮');
    expect(alert?.attributes.item?.StringValue).toBe('crème brûlée 🍮');
  });

  it.each([
    ['no new image on INSERT', streamRecord('INSERT', {})],
    ['no old image on MODIFY', streamRecord('MODIFY', { new: image('s1', 'a', 0) })],
    ['a count that is not a number', streamRecord('INSERT', { new: image('s1', 'a', 'lots') })],
    ['an image without a store', streamRecord('INSERT', { new: { item: { S: 'a' }, count: { N: '0' } } })],
  ])('classifies %s as poison', (_name, record) => {
    // Act
    const act = () => stockAlertFor(record);

    // Assess
    expect(act).toThrow(PoisonRecordError);
  });
});

describe('stockAlertFor, on records that are not plain changes', () => {
  it('reads no image of a removal, so a malformed one is not poison', () => {
    // Prepare
    const record = streamRecord('REMOVE', { old: { store: { N: '1' } } });

    // Act
    const alert = stockAlertFor(record);

    // Assess
    expect(alert).toBeUndefined();
  });

  it.each([
    [
      'an unknown eventName',
      // Lambda's type only allows the three events DynamoDB sends.
      {
        ...streamRecord('INSERT', { new: image('s1', 'a', 0) }),
        eventName: 'UPSERT',
      } as unknown as DynamoDBRecord,
    ],
    ['an infinite count', streamRecord('INSERT', { new: image('s1', 'a', 'Infinity') })],
    ['an empty item name', streamRecord('INSERT', { new: image('s1', '', 0) })],
    [
      'an image DynamoDB could not have written',
      streamRecord('INSERT', {
        new: { ...image('s1', 'a', 0), note: { X: 'y' } as unknown as AttributeValue },
      }),
    ],
  ])('classifies %s as poison', (_name, record) => {
    // Act
    const act = () => stockAlertFor(record);

    // Assess
    expect(act).toThrow(PoisonRecordError);
  });

  it('needs an eventID only for a record that makes an alert', () => {
    // Prepare
    const { eventID: _alert, ...noIdAlert } = streamRecord('INSERT', { new: image('s1', 'a', 0) });
    const { eventID: _quiet, ...noIdQuiet } = streamRecord('INSERT', { new: image('s1', 'a', 4) });

    // Act
    const quiet = stockAlertFor(noIdQuiet);
    const act = () => stockAlertFor(noIdAlert);

    // Assess
    expect(quiet).toBeUndefined();
    expect(act).toThrow(PoisonRecordError);
  });

  it('keeps the text parts of the source and drops the rest', () => {
    // Prepare
    const source = { M: { bucket: { S: 'uploads' }, key: { N: '7' }, etag: { NULL: true } } };
    const partial = streamRecord('INSERT', { new: { ...image('s1', 'a', 0), source } });
    const notAMap = streamRecord('INSERT', { new: { ...image('s1', 'b', 0), source: { S: 'a.csv' } } });
    const { source: _, ...withoutSource } = image('s1', 'c', 0);
    const missing = streamRecord('INSERT', { new: withoutSource });

    // Act
    const sources = [partial, notAMap, missing].map((record) => stockAlertFor(record)?.body.source);

    // Assess
    expect(sources).toEqual([{ bucket: 'uploads' }, null, null]);
  });

  it('dates the alert with the record’s approximate creation time', () => {
    // Prepare
    const record = streamRecord('INSERT', { new: image('s1', 'a', 0) });
    if (record.dynamodb) record.dynamodb.ApproximateCreationDateTime = 1_700_000_000;

    // Act
    const alert = stockAlertFor(record);

    // Assess
    expect(alert?.body.at).toBe('2023-11-14T22:13:20.000Z');
  });
});
