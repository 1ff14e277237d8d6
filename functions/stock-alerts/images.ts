import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { z } from 'zod';

/** The parts of an inventory item an alert needs, read from a stream image. */
export interface StockImage {
  store: string;
  item: string;
  count: number;
  source: StockSource | null;
}

export interface StockSource {
  bucket?: string;
  key?: string;
  etag?: string;
  versionId?: string;
}

/**
 * A stream record that can never be turned into an alert (a missing image, a count that is
 * not a number…). Retrying it would fail the same way, so it is logged, counted and skipped
 * rather than reported as a batch item failure.
 */
export class PoisonRecordError extends Error {
  override name = 'PoisonRecordError';
}

const stringValue = z.object({ S: z.string().min(1) });
const sourceKeys = ['bucket', 'key', 'etag', 'versionId'] as const;

/**
 * Stream images are in DynamoDB's typed JSON (`{"S": "…"}`, `{"N": "…"}`). We read only what
 * we need, strictly for the key and count, leniently for `source` (informative only).
 */
const stockImageSchema = z.object({
  store: stringValue,
  item: stringValue,
  count: z.object({
    N: z
      .string()
      .transform(Number)
      .refine((value) => Number.isFinite(value), 'count is not a number'),
  }),
  source: z.unknown().optional(),
});

export function parseStockImage(
  image: Record<string, AttributeValue> | undefined,
  which: string,
): StockImage {
  if (image === undefined) throw new PoisonRecordError(`the record has no ${which} image`);
  const result = stockImageSchema.safeParse(image);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new PoisonRecordError(`the ${which} image is not an inventory item (${problems})`);
  }
  return {
    store: result.data.store.S,
    item: result.data.item.S,
    count: result.data.count.N,
    source: sourceOf(result.data.source),
  };
}

function sourceOf(value: unknown): StockSource | null {
  const map = (value as { M?: Record<string, { S?: unknown }> } | undefined)?.M;
  if (typeof map !== 'object' || map === null) return null;
  const source: StockSource = {};
  for (const key of sourceKeys) {
    const text = map[key]?.S;
    if (typeof text === 'string') source[key] = text;
  }
  return source;
}

/** The images a record's event needs: INSERT the new one, MODIFY both; REMOVE none. */
export function imagesOf(record: DynamoDBRecord): { oldImage?: StockImage; newImage?: StockImage } {
  const data = record.dynamodb;
  switch (record.eventName) {
    case 'INSERT':
      return { newImage: parseStockImage(data?.NewImage, 'new') };
    case 'MODIFY':
      return {
        oldImage: parseStockImage(data?.OldImage, 'old'),
        newImage: parseStockImage(data?.NewImage, 'new'),
      };
    case 'REMOVE':
      return {};
    default:
      throw new PoisonRecordError(`unknown eventName ${JSON.stringify(record.eventName)}`);
  }
}
