import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBMarshalled } from '@aws-lambda-powertools/parser/helpers/dynamodb';
import { DynamoDBStreamRecord } from '@aws-lambda-powertools/parser/schemas';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { z } from 'zod';
import { paddedSequence } from '#shared/inventory/store-summaries-table.ts';
import { inPool } from '#shared/pool.ts';
import {
  type AttentionChange,
  type AttentionStatus,
  applyAttentionChange,
  attentionStatusOf,
} from '#shared/stock/attention-table.ts';
import { type StockChange, writeStockChanges } from '#shared/stock/history-table.ts';
import { classifyStockTransition } from '#shared/stock/transitions.ts';

export type HistoryLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface StockHistoryDependencies {
  documentClient: DynamoDBDocumentClient;
  historyTable: string;
  attentionTable: string;
  lowStockThreshold: number;
  retentionDays: number;
  logger: HistoryLogger;
  now?: () => Date;
  /** Attention updates in flight at once. */
  concurrency?: number;
}

/** A stream record that cannot be read as an inventory change, and never will be: skipped. */
export class PoisonStockRecordError extends Error {
  override name = 'PoisonStockRecordError';
}

/** An item's attention could not be updated; its records go back to the stream. */
export class AttentionUpdateError extends Error {
  override name = 'AttentionUpdateError';
}

/** One stream record, reduced to what the history and the attention list need. */
export interface StockRecord {
  store: string;
  item: string;
  /** Padded to 40 digits (see paddedSequence). */
  sequence: string;
  /** As the record carries it: the batch item failure's identifier. */
  sequenceNumber: string;
  changedAt: string;
  /** The count before the write; absent on an INSERT. */
  before?: number;
  /** The count after it; absent on a REMOVE. */
  after?: number;
}

/** Only the count matters here; it must be a number (as the alerts require). */
const countImage = DynamoDBMarshalled(z.object({ count: z.number() }));
const { eventName } = DynamoDBStreamRecord.shape;
const recordSchema = z.object({
  eventName,
  dynamodb: z.object({
    Keys: DynamoDBMarshalled(z.object({ store: z.string(), item: z.string() })),
    SequenceNumber: z.string().regex(/^\d{1,40}$/),
    // Epoch seconds in Lambda's events.
    ApproximateCreationDateTime: z.number(),
    OldImage: countImage.optional(),
    NewImage: countImage.optional(),
  }),
});

/** A record's change; throws PoisonStockRecordError for one that has none to give. */
export function stockRecordOf(record: DynamoDBRecord): StockRecord {
  const parsed = recordSchema.safeParse(record);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new PoisonStockRecordError(`the record is not a change to an inventory item (${problems})`);
  }
  const { eventName: name, dynamodb } = parsed.data;
  // The images each event has with NEW_AND_OLD_IMAGES: a record without them has no count.
  const needs = { INSERT: ['NewImage'], MODIFY: ['OldImage', 'NewImage'], REMOVE: ['OldImage'] } as const;
  const missing = needs[name].filter((image) => dynamodb[image] === undefined);
  if (missing.length > 0)
    throw new PoisonStockRecordError(`the ${name} record has no ${missing.join(' or ')}`);
  return {
    store: dynamodb.Keys.store,
    item: dynamodb.Keys.item,
    sequence: paddedSequence(dynamodb.SequenceNumber),
    sequenceNumber: dynamodb.SequenceNumber,
    changedAt: new Date(dynamodb.ApproximateCreationDateTime * 1000).toISOString(),
    ...(name !== 'INSERT' && dynamodb.OldImage ? { before: dynamodb.OldImage.count } : {}),
    ...(name !== 'REMOVE' && dynamodb.NewImage ? { after: dynamodb.NewImage.count } : {}),
  };
}

/**
 * A batch's records that changed a count, oldest first (by sequence number: a batch's order
 * is not relied on), once each. A record that cannot be read would fail the same way on
 * every retry, so it is logged and skipped.
 */
export function countChangesOf(records: DynamoDBRecord[], logger?: HistoryLogger): StockRecord[] {
  const changes = new Map<string, StockRecord>();
  for (const record of records) {
    let change: StockRecord;
    try {
      change = stockRecordOf(record);
    } catch (error) {
      if (!(error instanceof PoisonStockRecordError)) throw error;
      logger?.warn('stream record that is not an inventory change; skipped', {
        eventId: record.eventID,
        error,
      });
      continue;
    }
    // A MODIFY of another attribute (a re-import of the same count) changes nothing here.
    if (change.before !== undefined && change.before === change.after) continue;
    changes.set(`${change.sequence}#${JSON.stringify([change.store, change.item])}`, change);
  }
  return [...changes.values()].sort((a, b) =>
    a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0,
  );
}

/**
 * The history item of each change (the alerts' own rule says which are transitions). An
 * item's first count (an INSERT) is kept only when it is a transition, a new item at 0: the
 * item's next change carries it as `previousCount`, and the inventory item holds it until
 * then. So an import of new items writes one history item per zero, not one per row.
 */
export function historyChangesOf(changes: StockRecord[]): { change: StockChange; sequenceNumber: string }[] {
  return changes.flatMap((record) => {
    const { store, item, sequence, changedAt, before, after } = record;
    const transition = classifyStockTransition(
      before === undefined ? undefined : { count: before },
      after === undefined ? undefined : { count: after },
    );
    const firstCount = before === undefined && after !== undefined;
    if (firstCount && transition === undefined) return [];
    return {
      sequenceNumber: record.sequenceNumber,
      change: {
        store,
        item,
        sequence,
        changedAt,
        ...(after === undefined ? {} : { count: after }),
        ...(before === undefined ? {} : { previousCount: before }),
        ...(transition === undefined ? {} : { transition }),
      },
    };
  });
}

interface Statuses {
  record: StockRecord;
  /** Undefined: no item before (an INSERT). */
  was: AttentionStatus | undefined;
  is: AttentionStatus;
}

/**
 * An item's newest state after its records (oldest first), or undefined when none of them
 * was out or low before or after (in stock → in stock costs nothing here). `since` is found
 * by walking back from the newest record that matters while the status was already the same.
 */
export function attentionChangeOf(
  records: StockRecord[],
  lowStockThreshold: number,
): AttentionChange | undefined {
  const statuses: Statuses[] = records.map((record) => ({
    record,
    was: record.before === undefined ? undefined : attentionStatusOf(record.before, lowStockThreshold),
    is: attentionStatusOf(record.after, lowStockThreshold),
  }));
  const matters = (s: Statuses) => s.is !== 'ok' || (s.was !== undefined && s.was !== 'ok');
  const newest = statuses.findLastIndex(matters);
  const last = statuses[newest];
  if (last === undefined) return undefined;
  let start = newest;
  let entered = last.was !== last.is;
  while (!entered && start > 0) {
    const earlier = statuses[start - 1] as Statuses;
    // A record missing in between (the statuses do not chain): the status is known from `start` on.
    if (earlier.is !== last.is) break;
    start -= 1;
    entered = earlier.was !== last.is;
  }
  const from = (statuses[start] as Statuses).record;
  const { store, item, sequence, after } = last.record;
  return {
    store,
    item,
    status: last.is,
    ...(after === undefined ? {} : { count: after }),
    sequence,
    since: from.changedAt,
    sinceSequence: from.sequence,
    entered,
  };
}

/** What a batch writes: its history items, and one attention change per item at most. */
export interface StockHistoryPlan {
  history: { change: StockChange; sequenceNumber: string }[];
  attention: { change: AttentionChange; sequenceNumbers: string[] }[];
}

/** The pure part: a batch's records → the writes they plan. */
export function planStockHistory(
  records: DynamoDBRecord[],
  lowStockThreshold: number,
  logger?: HistoryLogger,
): StockHistoryPlan {
  const changes = countChangesOf(records, logger);
  const byItem = new Map<string, StockRecord[]>();
  for (const change of changes) {
    const key = JSON.stringify([change.store, change.item]);
    byItem.set(key, [...(byItem.get(key) ?? []), change]);
  }
  const attention: StockHistoryPlan['attention'] = [];
  for (const records of byItem.values()) {
    const change = attentionChangeOf(records, lowStockThreshold);
    if (change) attention.push({ change, sequenceNumbers: records.map((record) => record.sequenceNumber) });
  }
  return { history: historyChangesOf(changes), attention };
}

/**
 * Writes a batch's history (BatchWriteItem, per-record keys: a redelivery rewrites the same
 * items) and each item's attention (a conditional UpdateItem, newest record only). A record
 * whose history item is not written, or whose item's attention update failed, is a batch item
 * failure; Lambda retries from the lowest, and what the retry delivers again is harmless
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html).
 */
export async function recordStockHistory(
  records: DynamoDBRecord[],
  dependencies: StockHistoryDependencies,
): Promise<DynamoDBBatchResponse> {
  const { documentClient, logger } = dependencies;
  const now = (dependencies.now ?? (() => new Date()))();
  const plan = planStockHistory(records, dependencies.lowStockThreshold, logger);
  const failed = new Set<string>();
  let stale = 0;
  const history = writeStockChanges(documentClient, dependencies.historyTable, plan.history, {
    retentionDays: dependencies.retentionDays,
  }).then((unwritten) => {
    if (unwritten.length > 0) logger.error('stock history items not written', { records: unwritten.length });
    for (const { sequenceNumber } of unwritten) failed.add(sequenceNumber);
  });
  const attention = inPool(
    plan.attention,
    dependencies.concurrency ?? 8,
    async ({ change, sequenceNumbers }) => {
      try {
        const outcome = await applyAttentionChange(documentClient, dependencies.attentionTable, change, now);
        if (outcome === 'stale') stale += 1;
      } catch (cause) {
        const error = new AttentionUpdateError('could not update the attention of an item', { cause });
        logger.error('stock attention update failed', { store: change.store, item: change.item, error });
        for (const sequenceNumber of sequenceNumbers) failed.add(sequenceNumber);
      }
    },
  );
  await Promise.all([history, attention]);
  if (stale > 0) logger.info('attention changes older than those applied were skipped', { stale });
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}
