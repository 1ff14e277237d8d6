import {
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { toLambdaStreamRecord } from '../../local/stream-consumer.ts';

/**
 * DynamoDB Local's real stream records of real writes, for the tests of the stream consumers:
 * an inventory-shaped table with a stream, writes to it, its records as Lambda delivers them,
 * and a delivery that follows Lambda's rules for ReportBatchItemFailures.
 */

/** A table keyed as the inventory (store, item) with a NEW_AND_OLD_IMAGES stream; its stream's ARN. */
export async function createStreamedInventoryTable(
  client: DynamoDBClient,
  TableName: string,
): Promise<string> {
  const { TableDescription } = await client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'store', AttributeType: 'S' },
        { AttributeName: 'item', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'store', KeyType: 'HASH' },
        { AttributeName: 'item', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  return TableDescription?.LatestStreamArn as string;
}

/** A count is a put (with `updatedAt`, as the importer writes), null a delete. */
export type InventoryWrite = { store: string; item: string; count: number | null };

/** The writes, one at a time and in order. */
export async function applyInventoryWrites(
  client: DynamoDBClient,
  TableName: string,
  writes: InventoryWrite[],
): Promise<void> {
  for (const { store, item, count } of writes) {
    const Key = { store: { S: store }, item: { S: item } };
    if (count === null) await client.send(new DeleteItemCommand({ TableName, Key }));
    else {
      const Item = { ...Key, count: { N: String(count) }, updatedAt: { S: new Date().toISOString() } };
      await client.send(new PutItemCommand({ TableName, Item }));
    }
  }
}

/** Every record of the stream so far, as Lambda would deliver them. */
export async function streamRecords(
  streams: DynamoDBStreamsClient,
  StreamArn: string,
  region: string,
): Promise<DynamoDBRecord[]> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn }));
  const records: DynamoDBRecord[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (ShardIterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
      const found = page.Records ?? [];
      records.push(...found.map((record) => toLambdaStreamRecord(record, StreamArn, region)));
      if (found.length === 0) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return records;
}

/**
 * Delivers records as Lambda's stream mapping does with ReportBatchItemFailures: batch after
 * batch; after a failure, again from the lowest failed sequence number.
 */
export async function deliver(
  records: DynamoDBRecord[],
  batchSize: number,
  invoke: (batch: DynamoDBRecord[]) => Promise<DynamoDBBatchResponse>,
): Promise<void> {
  let position = 0;
  for (let invocations = 0; position < records.length; invocations += 1) {
    if (invocations > 100 + 10 * records.length) throw new Error('the delivery never finished');
    const batch = records.slice(position, position + batchSize);
    const { batchItemFailures } = await invoke(batch);
    const failedAt = batch.findIndex((record) =>
      batchItemFailures.some((failure) => failure.itemIdentifier === record.dynamodb?.SequenceNumber),
    );
    position += failedAt === -1 ? batch.length : failedAt;
  }
}
