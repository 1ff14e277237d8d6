import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { stockStatus } from './status.ts';

/**
 * The stock attention table, owned here: per item (key `store` + `item`, as in the Inventory
 * table), its attention status as of the newest stream record applied. Kept by the
 * stockAlerts function (history.ts), read by the dashboard's "needs attention" list. Nothing else in
 * Stockroom spells an attribute of this table.
 *
 *   store · item · status (out | low | ok) · count · since · sequence ·
 *   attentionStatus + attentionSince (index keys, out and low only) · expiresAt (TTL, ok only)
 *
 * Only items that are, or were, out or low are written. An item that leaves out/low keeps a
 * tombstone (status ok, no index keys) for TOMBSTONE_SECONDS, so that a stale record
 * delivered later loses to its `sequence` instead of bringing the item back.
 */
export const ATTENTION_ATTRIBUTES = {
  store: 'store',
  item: 'item',
  status: 'status',
  count: 'count',
  since: 'since',
  sequence: 'sequence',
  attentionStatus: 'attentionStatus',
  attentionSince: 'attentionSince',
  expiresAt: 'expiresAt',
} as const;

/** Items out of stock or low, by status, newest `attentionSince` last (read backwards). */
export const ATTENTION_BY_STATUS = 'attention-by-status';

/**
 * How long a tombstone is kept: longer than a stream record can be delivered (Lambda's
 * maximumRecordAgeInSeconds is 86,400 here, and the stream keeps records 24 h).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
 */
export const TOMBSTONE_SECONDS = 25 * 3600;

export type AttentionStatus = 'out' | 'low' | 'ok';

/** An item's attention status for a count (undefined: the item was removed). */
export function attentionStatusOf(count: number | undefined, lowStockThreshold: number): AttentionStatus {
  if (count === undefined) return 'ok';
  const status = stockStatus(count, lowStockThreshold);
  return status === 'in' ? 'ok' : status;
}

export interface AttentionItem {
  store: string;
  item: string;
  status: 'out' | 'low';
  count: number;
  /** ISO 8601: since when the item has had this status. */
  since: string;
}

/** What one batch's records did to an item: its newest state, to be applied if newer. */
export interface AttentionChange {
  store: string;
  item: string;
  status: AttentionStatus;
  /** Absent: the item was removed. */
  count?: number;
  /** The newest record this change stands for (40 digits). */
  sequence: string;
  /** When the item entered `status`, and the record that showed it. */
  since: string;
  sinceSequence: string;
  /**
   * true: a record of the batch made the item enter `status`, so `since` is exact. false: it
   * had that status already before the batch's records; the stored `since` is kept when the
   * stored status is the same, and `since` (the oldest record that showed the status) is
   * written only when it is not (the item was never seen with it before).
   */
  entered: boolean;
}

/** `stale`: a newer record was applied already; nothing was written. */
export type AttentionOutcome = 'applied' | 'stale';

type Precondition = 'newer' | 'newer-same-status' | 'newer-other-status';

const NEWER = '(attribute_not_exists(#sequence) OR #sequence < :sequence)';
const CONDITIONS: Record<Precondition, string> = {
  newer: NEWER,
  'newer-same-status': `${NEWER} AND #status = :status`,
  'newer-other-status': `${NEWER} AND (attribute_not_exists(#status) OR #status <> :status)`,
};

/** The UpdateItem of a change; `since` is written unless the stored one is kept. */
export function attentionUpdate(
  table: string,
  change: AttentionChange,
  precondition: Precondition,
  now: Date,
): UpdateCommandInput {
  const A = ATTENTION_ATTRIBUTES;
  const names: Record<string, string> = { '#status': A.status, '#sequence': A.sequence, '#count': A.count };
  const values: Record<string, unknown> = { ':status': change.status, ':sequence': change.sequence };
  const set = ['#status = :status', '#sequence = :sequence'];
  const remove: string[] = [];
  const name = (key: keyof typeof A) => {
    names[`#${key}`] = A[key];
    return `#${key}`;
  };
  if (change.count === undefined) remove.push('#count');
  else {
    set.push('#count = :count');
    values[':count'] = change.count;
  }
  const writesSince = precondition !== 'newer-same-status';
  if (writesSince) {
    set.push(`${name('since')} = :since`);
    values[':since'] = change.since;
  }
  if (change.status === 'ok') {
    set.push(`${name('expiresAt')} = :expiresAt`);
    values[':expiresAt'] = Math.floor(now.getTime() / 1000) + TOMBSTONE_SECONDS;
    remove.push(name('attentionStatus'), name('attentionSince'));
  } else {
    set.push(`${name('attentionStatus')} = :status`);
    if (writesSince) {
      set.push(`${name('attentionSince')} = :attentionSince`);
      values[':attentionSince'] = `${change.since}#${change.sinceSequence}`;
    }
    remove.push(name('expiresAt'));
  }
  return {
    TableName: table,
    Key: { [A.store]: change.store, [A.item]: change.item },
    UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: CONDITIONS[precondition],
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

async function updated(documentClient: DynamoDBDocumentClient, input: UpdateCommandInput): Promise<boolean> {
  try {
    await documentClient.send(new UpdateCommand(input));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Applies a change if it is newer than the item's stored `sequence`: a redelivered, bisected
 * or stale record loses to the newer one already applied ("stale", not an error).
 *
 * `since` for an item whose status a batch did not change must come from the stored item.
 * Conditions on the stored status do that without a read: the first write keeps `since`
 * on the condition that the stored status is the same (the usual case, one request); if
 * that fails, the second writes the batch's own `since` on the condition that the status
 * differs or is absent. Both failing means a newer record is applied, since an item's
 * records come through one shard, one batch at a time. (`if_not_exists(since, …)` could not
 * tell a stored `since` of another status from one of this status.) The index's sort key
 * `attentionSince` is `${since}#${sinceSequence}`, fixed while the status lasts: a write
 * that keeps `since` cannot compute it from the stored one, and a key that does not move
 * costs its index one write instead of two.
 */
export async function applyAttentionChange(
  documentClient: DynamoDBDocumentClient,
  table: string,
  change: AttentionChange,
  now: Date,
): Promise<AttentionOutcome> {
  if (change.entered || change.status === 'ok') {
    return (await updated(documentClient, attentionUpdate(table, change, 'newer', now)))
      ? 'applied'
      : 'stale';
  }
  if (await updated(documentClient, attentionUpdate(table, change, 'newer-same-status', now)))
    return 'applied';
  const other = attentionUpdate(table, change, 'newer-other-status', now);
  return (await updated(documentClient, other)) ? 'applied' : 'stale';
}

/** A stored item on the list, with the key it is listed by; undefined for tombstones and strays. */
function listedFrom(stored: Record<string, unknown>): { item: AttentionItem; order: string } | undefined {
  const { store, item, status, count, since, attentionSince } = stored;
  if (typeof store !== 'string' || typeof item !== 'string') return undefined;
  if (status !== 'out' && status !== 'low') return undefined;
  if (typeof count !== 'number' || typeof since !== 'string' || typeof attentionSince !== 'string')
    return undefined;
  return { item: { store, item, status, count, since }, order: attentionSince };
}

/** Every match of a Query (or the first `want`), following its pages. */
async function queryListed(documentClient: DynamoDBDocumentClient, input: QueryCommandInput, want: number) {
  const listed: { item: AttentionItem; order: string }[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        ...input,
        ...(Number.isFinite(want) ? { Limit: want - listed.length } : {}),
        ExclusiveStartKey,
      }),
    );
    for (const stored of page.Items ?? []) {
      const found = listedFrom(stored);
      if (found && listed.length < want) listed.push(found);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && listed.length < want);
  return listed;
}

/**
 * Items out of stock or low, newest `since` first, at most `limit`. stores 'all': the index
 * for 'out' and for 'low' (backwards, `limit` each), merged; a list: each store's partition
 * (filtered to out and low; tombstones are the rest), in parallel, merged.
 */
export async function queryAttention(
  documentClient: DynamoDBDocumentClient,
  table: string,
  options: { stores: 'all' | readonly string[]; limit: number },
): Promise<AttentionItem[]> {
  const { limit } = options;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a whole number ≥ 1: ${limit}`);
  const A = ATTENTION_ATTRIBUTES;
  const queries: Promise<{ item: AttentionItem; order: string }[]>[] =
    options.stores === 'all'
      ? (['out', 'low'] as const).map((status) =>
          queryListed(
            documentClient,
            {
              TableName: table,
              IndexName: ATTENTION_BY_STATUS,
              KeyConditionExpression: '#attentionStatus = :status',
              ExpressionAttributeNames: { '#attentionStatus': A.attentionStatus },
              ExpressionAttributeValues: { ':status': status },
              ScanIndexForward: false,
            },
            limit,
          ),
        )
      : [...new Set(options.stores)].map((store) =>
          queryListed(
            documentClient,
            {
              TableName: table,
              KeyConditionExpression: '#store = :store',
              FilterExpression: '#status IN (:out, :low)',
              ExpressionAttributeNames: { '#store': A.store, '#status': A.status },
              ExpressionAttributeValues: { ':store': store, ':out': 'out', ':low': 'low' },
            },
            Number.POSITIVE_INFINITY,
          ),
        );
  const listed = (await Promise.all(queries)).flat();
  listed.sort((a, b) => {
    if (a.order !== b.order) return a.order < b.order ? 1 : -1;
    const [x, y] = [`${a.item.store}\u0000${a.item.item}`, `${b.item.store}\u0000${b.item.item}`];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return listed.slice(0, limit).map(({ item }) => item);
}
