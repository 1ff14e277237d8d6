import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

let sequence = 1000;

export function image(store: string, item: string, count: number | string): Record<string, AttributeValue> {
  return {
    store: { S: store },
    item: { S: item },
    count: { N: String(count) },
    updatedAt: { S: '2025-03-01T10:00:00.000Z' },
    source: { M: { bucket: { S: 'uploads' }, key: { S: 'inventory/a.csv' }, etag: { S: 'e1' } } },
  };
}

/** A stream record as Lambda delivers it (epoch-second ApproximateCreationDateTime). */
export function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { old?: Record<string, AttributeValue>; new?: Record<string, AttributeValue> },
): DynamoDBRecord {
  sequence += 1;
  return {
    eventID: `e${sequence}f0c2a9b7d3`,
    eventName,
    eventSource: 'aws:dynamodb',
    eventVersion: '1.1',
    awsRegion: 'eu-west-1',
    eventSourceARN: 'arn:aws:dynamodb:eu-west-1:000000000000:table/inventory/stream/2025-01-01T00:00:00.000',
    dynamodb: {
      ApproximateCreationDateTime: 1_740_823_200,
      Keys: { store: { S: 's1' }, item: { S: 'a' } },
      ...(images.new ? { NewImage: images.new } : {}),
      ...(images.old ? { OldImage: images.old } : {}),
      SequenceNumber: String(sequence).padStart(21, '0'),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}
