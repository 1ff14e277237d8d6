import type { DynamoDBRecord } from 'aws-lambda';

/**
 * What the stock history and the attention table should hold after a shard's records, worked
 * out the plain way: every record once, oldest first, no batches, no conditions. The tests
 * compare what the function wrote, however the records were delivered, with this.
 */

export interface ModelChange {
  store: string;
  item: string;
  sequence: string;
  changedAt: string;
  count?: number;
  previousCount?: number;
  transition?: 'out_of_stock' | 'back_in_stock';
}

export interface ModelAttention {
  status: 'out' | 'low' | 'ok';
  count?: number;
  since: string;
}

const countOf = (image: unknown): number | undefined => {
  const count = (image as { count?: { N?: string } } | undefined)?.count?.N;
  return count === undefined ? undefined : Number(count);
};

function transitionOf(before: number | undefined, after: number | undefined): ModelChange['transition'] {
  if (after === undefined) return undefined;
  const wasOut = before !== undefined && before <= 0;
  if (after <= 0 && !wasOut) return 'out_of_stock';
  if (after > 0 && wasOut) return 'back_in_stock';
  return undefined;
}

const statusOf = (count: number | undefined, threshold: number): ModelAttention['status'] => {
  if (count === undefined) return 'ok';
  if (count <= 0) return 'out';
  return count <= threshold ? 'low' : 'ok';
};

export const modelKey = (store: string, item: string): string => JSON.stringify([store, item]);

export function modelOf(
  records: DynamoDBRecord[],
  threshold: number,
): { history: Map<string, ModelChange>; attention: Map<string, ModelAttention> } {
  const ordered = [...records].sort((a, b) => {
    const [x, y] = [a.dynamodb?.SequenceNumber ?? '', b.dynamodb?.SequenceNumber ?? ''];
    return x.padStart(40, '0') < y.padStart(40, '0') ? -1 : 1;
  });
  const history = new Map<string, ModelChange>();
  const attention = new Map<string, ModelAttention>();
  for (const record of ordered) {
    const dynamodb = record.dynamodb ?? {};
    const store = dynamodb.Keys?.store?.S as string;
    const item = dynamodb.Keys?.item?.S as string;
    const sequence = String(dynamodb.SequenceNumber).padStart(40, '0');
    const changedAt = new Date(Number(dynamodb.ApproximateCreationDateTime) * 1000).toISOString();
    const before = record.eventName === 'INSERT' ? undefined : countOf(dynamodb.OldImage);
    const after = record.eventName === 'REMOVE' ? undefined : countOf(dynamodb.NewImage);
    if (record.eventName === 'MODIFY' && before === after) continue;
    const transition = transitionOf(before, after);
    // A first count is history only when it is a transition (a new item at 0).
    if (record.eventName !== 'INSERT' || transition)
      history.set(`${modelKey(store, item)}#${sequence}`, {
        store,
        item,
        sequence,
        changedAt,
        ...(after === undefined ? {} : { count: after }),
        ...(before === undefined ? {} : { previousCount: before }),
        ...(transition ? { transition } : {}),
      });
    const key = modelKey(store, item);
    const state = attention.get(key);
    const status = statusOf(after, threshold);
    const wasWatched = before !== undefined && statusOf(before, threshold) !== 'ok';
    if (!state && status === 'ok' && !wasWatched) continue;
    // An item that left out/low keeps only its status and since (its tombstone's count is
    // not kept up to date by later in-stock changes, and nothing reads it).
    attention.set(key, {
      status,
      ...(after === undefined || status === 'ok' ? {} : { count: after }),
      since: state && state.status === status ? state.since : changedAt,
    });
  }
  return { history, attention };
}
