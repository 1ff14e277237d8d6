/**
 * The web benchmark's data: `stores` stores of `itemsPerStore` items each in the inventory
 * (the item-stores index with them), their summaries, their out-of-stock and low items in the
 * attention table, and a history of `changesPerItem` changes for each item of the first store
 * (the store page draws a sparkline per item). Written straight into the tables, in the
 * shapes their owning modules define, so that no stream consumer runs during the measurement.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ATTENTION_ATTRIBUTES } from '../shared/stock/attention-table.ts';
import { historyItemOf } from '../shared/stock/history-table.ts';
import { stockStatus } from '../shared/stock/status.ts';

export interface WebBenchTables {
  inventory: string;
  storeSummaries: string;
  stockHistory: string;
  stockAttention: string;
}

export interface WebBenchData {
  stores: number;
  itemsPerStore: number;
  changesPerItem: number;
  lowStockThreshold: number;
}

export const storeName = (index: number) => `bench-store-${String(index).padStart(3, '0')}`;
export const itemName = (index: number) => `item-${String(index).padStart(5, '0')}`;
/** 1 in 25 items is out of stock, 5 in 25 are low (threshold 5). */
const countOf = (item: number) => item % 25;

async function batchWrite(
  documentClient: DynamoDBDocumentClient,
  table: string,
  items: Record<string, unknown>[],
) {
  const chunks: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) chunks.push(items.slice(start, start + 25));
  // A few writers at once; unprocessed items are retried until none are left.
  let next = 0;
  const writer = async () => {
    while (next < chunks.length) {
      let pending = (chunks[next++] ?? []).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const result = await documentClient.send(
          new BatchWriteCommand({ RequestItems: { [table]: pending } }),
        );
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, writer));
}

function inventoryItems(data: WebBenchData, updatedAt: string) {
  return Array.from({ length: data.stores * data.itemsPerStore }, (_, index) => ({
    store: storeName(Math.floor(index / data.itemsPerStore)),
    item: itemName(index % data.itemsPerStore),
    count: countOf(index % data.itemsPerStore),
    updatedAt,
    source: { bucket: 'bench', key: 'inventory/bench.csv', etag: '"bench"' },
  }));
}

function summaries(data: WebBenchData, updatedAt: string) {
  const counts = Array.from({ length: data.itemsPerStore }, (_, item) => countOf(item));
  const status = counts.map((count) => stockStatus(count, data.lowStockThreshold));
  return Array.from({ length: data.stores }, (_, index) => ({
    store: storeName(index),
    itemCount: data.itemsPerStore,
    totalUnits: counts.reduce((sum, count) => sum + count, 0),
    outOfStockCount: status.filter((value) => value === 'out').length,
    lowStockCount: status.filter((value) => value === 'low').length,
    lastUpdatedAt: updatedAt,
    computedAt: updatedAt,
  }));
}

function attentionItems(data: WebBenchData, now: number) {
  const A = ATTENTION_ATTRIBUTES;
  const items: Record<string, unknown>[] = [];
  for (let store = 0; store < data.stores; store += 1) {
    for (let item = 0; item < data.itemsPerStore; item += 1) {
      const status = stockStatus(countOf(item), data.lowStockThreshold);
      if (status === 'in') continue;
      const sequence = String(store * data.itemsPerStore + item + 1).padStart(40, '0');
      const since = new Date(now - (store * data.itemsPerStore + item) * 1000).toISOString();
      items.push({
        [A.store]: storeName(store),
        [A.item]: itemName(item),
        [A.status]: status,
        [A.count]: countOf(item),
        [A.since]: since,
        [A.sequence]: sequence,
        [A.attentionStatus]: status,
        [A.attentionSince]: `${since}#${sequence}`,
      });
    }
  }
  return items;
}

function historyItems(data: WebBenchData, now: number) {
  const items: Record<string, unknown>[] = [];
  for (let item = 0; item < data.itemsPerStore; item += 1) {
    for (let change = 0; change < data.changesPerItem; change += 1) {
      const count = (item + change * 7) % 25;
      items.push(
        historyItemOf(
          {
            store: storeName(0),
            item: itemName(item),
            sequence: String(item * data.changesPerItem + change + 1).padStart(40, '0'),
            changedAt: new Date(now - (data.changesPerItem - change) * 86_400_000).toISOString(),
            count,
            ...(change === 0 ? {} : { previousCount: (item + (change - 1) * 7) % 25 }),
          },
          90,
        ),
      );
    }
  }
  return items;
}

export async function seedWebBench(
  documentClient: DynamoDBDocumentClient,
  tables: WebBenchTables,
  data: WebBenchData,
): Promise<void> {
  const now = Date.now();
  const updatedAt = new Date(now).toISOString();
  await batchWrite(documentClient, tables.inventory, inventoryItems(data, updatedAt));
  await batchWrite(documentClient, tables.storeSummaries, summaries(data, updatedAt));
  await batchWrite(documentClient, tables.stockAttention, attentionItems(data, now));
  await batchWrite(documentClient, tables.stockHistory, historyItems(data, now));
}
