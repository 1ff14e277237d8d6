import type { DynamoDBRecord } from 'aws-lambda';

/** 2025-03-01T10:00:00Z, in the epoch seconds Lambda's events carry. */
export const T0 = 1_740_823_200;

/**
 * A stream record as Lambda delivers it: `before` undefined is an INSERT, `after` undefined
 * a REMOVE. `at` is seconds after T0.
 */
export function stockRecord(
  store: string,
  item: string,
  sequenceNumber: string,
  before: number | undefined,
  after: number | undefined,
  at = 0,
): DynamoDBRecord {
  const image = (count: number) => ({
    store: { S: store },
    item: { S: item },
    count: { N: String(count) },
    updatedAt: { S: '2025-03-01T10:00:00.000Z' },
  });
  return {
    eventID: `e-${sequenceNumber}`,
    eventName: before === undefined ? 'INSERT' : after === undefined ? 'REMOVE' : 'MODIFY',
    eventSource: 'aws:dynamodb',
    eventVersion: '1.1',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: T0 + at,
      Keys: { store: { S: store }, item: { S: item } },
      ...(before === undefined ? {} : { OldImage: image(before) }),
      ...(after === undefined ? {} : { NewImage: image(after) }),
      SequenceNumber: sequenceNumber,
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** ISO time `at` seconds after T0. */
export const isoAt = (at: number): string => new Date((T0 + at) * 1000).toISOString();

/** A 40-digit sequence number. */
export const padded = (sequenceNumber: string): string => sequenceNumber.padStart(40, '0');
