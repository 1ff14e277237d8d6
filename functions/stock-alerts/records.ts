import { DynamoDBMarshalled } from '@aws-lambda-powertools/parser/helpers/dynamodb';
import { DynamoDBStreamRecord } from '@aws-lambda-powertools/parser/schemas';
import type { DynamoDBRecord } from 'aws-lambda';
import { z } from 'zod';
import { type SourceFile, sourceFileFrom } from '#shared/inventory/table.ts';
import { type ItemStock, type StockAlertMessage, stockAlertMessage } from '#shared/stock/alerts.ts';
import { classifyStockTransition } from '#shared/stock/transitions.ts';

/**
 * A stream record that can never be turned into an alert (a missing image, a count that is
 * not a number…). Retrying it would fail the same way, so it is logged, counted and skipped
 * rather than reported as a batch item failure.
 */
export class PoisonRecordError extends Error {
  override name = 'PoisonRecordError';
}

/** `source` is informative only, so it never makes a record poison (see sourceFileFrom). */
const sourceSchema = z
  .unknown()
  .optional()
  .transform((source): SourceFile | null => sourceFileFrom(source) ?? null);

/**
 * Stream images are in DynamoDB's typed JSON (`{"S": "…"}`, `{"N": "…"}`); DynamoDBMarshalled
 * unmarshalls one before validating it. The key and count are read strictly (a count that
 * is not a finite number fails), `source` leniently.
 */
const stockImage = DynamoDBMarshalled(
  z.object({
    store: z.string().min(1),
    item: z.string().min(1),
    count: z.number(),
    source: sourceSchema,
  }),
);

/**
 * The images an event needs: INSERT the new one, MODIFY both; a REMOVE is never news, so its
 * images are not read. The record's other fields are read off the record as Lambda sent it.
 */
const { eventName } = DynamoDBStreamRecord.shape;
const stockRecordSchema = z.discriminatedUnion('eventName', [
  z.object({ eventName: eventName.extract(['INSERT']), dynamodb: z.object({ NewImage: stockImage }) }),
  z.object({
    eventName: eventName.extract(['MODIFY']),
    dynamodb: z.object({ OldImage: stockImage, NewImage: stockImage }),
  }),
  z.object({ eventName: eventName.extract(['REMOVE']) }),
]);

/** The stock before (MODIFY) and after (INSERT, MODIFY) a record's write; none for a REMOVE. */
export function stockImagesOf(record: DynamoDBRecord): { oldImage?: ItemStock; newImage?: ItemStock } {
  const result = stockRecordSchema.safeParse(record);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new PoisonRecordError(`the record is not a change to an inventory item (${problems})`);
  }
  const { data } = result;
  if (data.eventName === 'REMOVE') return {};
  return {
    newImage: data.dynamodb.NewImage,
    ...('OldImage' in data.dynamodb ? { oldImage: data.dynamodb.OldImage } : {}),
  };
}

/** The alert for a stream record, or undefined when the record is no news. */
export function stockAlertFor(record: DynamoDBRecord): StockAlertMessage | undefined {
  const { oldImage, newImage } = stockImagesOf(record);
  const type = classifyStockTransition(oldImage, newImage);
  if (type === undefined || newImage === undefined) return undefined;
  const eventId = record.eventID;
  if (!eventId) throw new PoisonRecordError('the record has no eventID');
  const seconds = record.dynamodb?.ApproximateCreationDateTime;
  return stockAlertMessage(type, {
    previousCount: oldImage?.count,
    current: newImage,
    eventId,
    at: typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : new Date().toISOString(),
  });
}
