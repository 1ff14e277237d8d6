import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { SourceFile } from '#shared/inventory/table.ts';
import type { StockTransition } from './transitions.ts';

/** An item's stock as a change left it: what an alert says about the item. */
export interface ItemStock {
  store: string;
  item: string;
  count: number;
  /** The CSV that wrote the item, when it says so (informative only). */
  source: SourceFile | null;
}

/** One write to an inventory item that made it run out or come back. */
export interface StockChange {
  /** The count before the write; undefined for a new item. */
  previousCount: number | undefined;
  current: ItemStock;
  /** The change's id: the same change delivered twice has the same id. */
  eventId: string;
  /** When the change was written (ISO 8601). */
  at: string;
}

/** The JSON body of every alert. Subscribers may rely on these fields. */
export interface StockAlertBody {
  type: StockTransition;
  store: string;
  item: string;
  previousCount: number | null;
  newCount: number;
  /** When the change was written (the stream record's approximate creation time). */
  at: string;
  source: SourceFile | null;
  /** The stream record's eventID: the same change delivered twice has the same id. */
  eventId: string;
}

export interface StockAlertMessage {
  subject: string;
  body: StockAlertBody;
  /** String attributes that subscription filter policies can match on. */
  attributes: Record<string, MessageAttributeValue>;
}

const SUBJECT_PREFIX: Record<StockTransition, string> = {
  out_of_stock: 'Out of stock: ',
  back_in_stock: 'Back in stock: ',
};

/**
 * SNS subjects: ASCII only, no line breaks or control characters, beginning with a letter,
 * number or punctuation mark, and under 100 characters.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject)
 */
export const MAX_SUBJECT_LENGTH = 99;
const ELLIPSIS = '...';

/** The out-of-stock or back-in-stock alert (`type`) for a change classified as such. */
export function stockAlertMessage(type: StockTransition, change: StockChange): StockAlertMessage {
  const { current, eventId } = change;
  return {
    subject: alertSubject(type, current.item, current.store),
    body: {
      type,
      store: current.store,
      item: current.item,
      previousCount: change.previousCount ?? null,
      newCount: current.count,
      at: change.at,
      source: current.source,
      eventId,
    },
    attributes: {
      type: stringAttribute(type),
      store: stringAttribute(current.store),
      item: stringAttribute(current.item),
      eventId: stringAttribute(eventId),
    },
  };
}

/** `Out of stock: <item> at <store>`, made safe for SNS and shortened with "..." to fit. */
export function alertSubject(type: StockTransition, item: string, store: string): string {
  const prefix = SUBJECT_PREFIX[type];
  const separator = ' at ';
  let name = toSubjectText(item);
  let place = toSubjectText(store);
  const budget = MAX_SUBJECT_LENGTH - prefix.length - separator.length;
  if (name.length + place.length > budget) {
    // Share the room; a short part leaves the rest to the other.
    const half = Math.floor(budget / 2);
    if (name.length <= half) place = shorten(place, budget - name.length);
    else if (place.length <= half) name = shorten(name, budget - place.length);
    else {
      name = shorten(name, half);
      place = shorten(place, budget - half);
    }
  }
  return `${prefix}${name}${separator}${place}`;
}

/**
 * ASCII for a subject: accents are dropped (é → e, via Unicode decomposition), whitespace
 * and control characters become single spaces, anything else non-ASCII becomes "?".
 */
export function toSubjectText(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/[^\x20-\x7e]/gu, '?')
    .trim();
  return ascii.length > 0 ? ascii : '?';
}

function shorten(text: string, length: number): string {
  if (text.length <= length) return text;
  return `${text.slice(0, Math.max(0, length - ELLIPSIS.length)).trimEnd()}${ELLIPSIS}`;
}

/** A String message attribute. SNS wants non-empty, valid UTF-8 values. */
function stringAttribute(value: string): MessageAttributeValue {
  const wellFormed = value.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
  return { DataType: 'String', StringValue: wellFormed.length > 0 ? wellFormed : '-' };
}
