import { describe, expect, it } from 'vitest';
import {
  alertSubject,
  MAX_SUBJECT_LENGTH,
  stockAlertMessage,
  toSubjectText,
} from '../../../../shared/stock/alerts.ts';

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

describe('stockAlertMessage', () => {
  const change = {
    previousCount: undefined,
    current: { store: 's1', item: 'apple', count: 0, source: null },
    eventId: 'ev-1',
    at: '2025-03-01T10:00:00.000Z',
  };

  it('says a new item has no previous count', () => {
    // Act
    const message = stockAlertMessage('out_of_stock', change);

    // Assess
    expect(message.body).toEqual({
      type: 'out_of_stock',
      store: 's1',
      item: 'apple',
      previousCount: null,
      newCount: 0,
      at: '2025-03-01T10:00:00.000Z',
      source: null,
      eventId: 'ev-1',
    });
    expect(message.subject).toBe('Out of stock: apple at s1');
  });

  it('gives SNS only non-empty, well-formed attribute values', () => {
    // Prepare
    const odd = { ...change, current: { ...change.current, store: '', item: 'half \uD83C pair' } };

    // Act
    const { attributes } = stockAlertMessage('back_in_stock', odd);

    // Assess
    expect(attributes.store).toEqual({ DataType: 'String', StringValue: '-' });
    expect(attributes.item).toEqual({ DataType: 'String', StringValue: 'half \uFFFD pair' });
    expect(attributes.type?.StringValue).toBe('back_in_stock');
  });
});
