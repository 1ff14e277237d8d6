import { describe, expect, it } from 'vitest';
import { PoisonRecordError } from '../../../functions/stock-alerts/images.ts';
import {
  alertSubject,
  MAX_SUBJECT_LENGTH,
  stockAlertFor,
  toSubjectText,
} from '../../../functions/stock-alerts/messages.ts';
import { classifyStockTransition } from '../../../shared/stock/transitions.ts';
import { image, streamRecord } from './stream-records.ts';

describe('classifyStockTransition', () => {
  it.each([
    ['a new item at 0', undefined, 0, 'out_of_stock'],
    ['a new item in stock', undefined, 4, undefined],
    ['a drop to 0', 3, 0, 'out_of_stock'],
    ['0 → 0 (a re-import)', 0, 0, undefined],
    ['a rise from 0', 0, 7, 'back_in_stock'],
    ['5 → 3', 5, 3, undefined],
    ['3 → 3 (another attribute changed)', 3, 3, undefined],
  ])('%s', (_name, before, after, expected) => {
    // Act
    const result = classifyStockTransition(before === undefined ? undefined : { count: before }, {
      count: after,
    });

    // Assess
    expect(result).toBe(expected);
  });

  it('says nothing about a removal', () => {
    // Act
    const result = classifyStockTransition({ count: 0 }, undefined);

    // Assess
    expect(result).toBeUndefined();
  });
});

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

describe('alertSubject', () => {
  const isSnsSafe = (subject: string) =>
    subject.length <= MAX_SUBJECT_LENGTH && /^[A-Za-z0-9]/.test(subject) && /^[\x20-\x7e]+$/.test(subject);

  it('shortens a long item with an ellipsis and keeps the store readable', () => {
    // Act
    const subject = alertSubject('out_of_stock', 'x'.repeat(300), 'Main Street');

    // Assess
    expect(isSnsSafe(subject)).toBe(true);
    expect(subject).toMatch(/^Out of stock: x+\.\.\. at Main Street$/);
    expect(subject).toHaveLength(MAX_SUBJECT_LENGTH);
  });

  it('shortens both parts when both are long', () => {
    // Act
    const subject = alertSubject('back_in_stock', 'i'.repeat(200), 's'.repeat(200));

    // Assess
    expect(isSnsSafe(subject)).toBe(true);
    expect(subject).toMatch(/^Back in stock: i+\.\.\. at s+\.\.\.$/);
  });

  it('replaces line breaks, tabs and control characters with spaces', () => {
    // Act
    const subject = alertSubject('out_of_stock', 'two\r\nlines\tand\u0007bell', 's1');

    // Assess
    expect(subject).toBe('Out of stock: two lines and bell at s1');
  });

  it('turns a name with no ASCII at all into question marks, never an empty part', () => {
    // Act
    const parts = [toSubjectText('東京'), toSubjectText('\u200b')];

    // Assess
    expect(parts).toEqual(['??', '?']);
  });
});
