import type { StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import type { InventoryItem } from '#shared/inventory/table.ts';
import { stockStatus } from '#shared/stock/status.ts';
import { accessOf, seesImportReports, seesStore, visibleStores } from '../auth/access.ts';
import type { WebConfig } from '../config.ts';
import type { Controller } from '../controllers.ts';
import {
  cursorPage,
  decodeCursor,
  InvalidCursorError,
  type ItemPosition,
  type ItemQuery,
  selectItems,
} from '../items.ts';
import {
  importsQuerySchema,
  parseOrBadRequest,
  pathParameter,
  queryOf,
  storeItemsApiQuerySchema,
  storeName,
} from '../params.ts';
import { importReportsRefused, invalidParameters } from '../problem.ts';
import { noSuchStore, type WebReads } from '../reads.ts';
import { jsonResponse } from '../responses.ts';

function summaryJson(summary: StoreSummary) {
  return {
    store: summary.store,
    itemCount: summary.itemCount,
    totalUnits: summary.totalUnits,
    outOfStockCount: summary.outOfStockCount,
    lowStockCount: summary.lowStockCount ?? 0,
    lastUpdatedAt: summary.lastUpdatedAt ?? null,
  };
}

function itemJson(item: InventoryItem, lowStockThreshold: number) {
  return {
    item: item.item,
    count: item.count,
    status: stockStatus(item.count, lowStockThreshold),
    updatedAt: item.updatedAt ?? null,
    source: item.source ?? null,
  };
}

/** Where the page asked for starts; a cursor that does not decode is a 400 naming `cursor`. */
function positionAfter(cursor: string | undefined, query: ItemQuery): ItemPosition | undefined {
  if (!cursor) return undefined;
  try {
    return decodeCursor(cursor, query);
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw invalidParameters([{ parameter: 'cursor', detail: error.message }], error);
    }
    throw error;
  }
}

/** The JSON API: the same reads as the pages, as JSON. */
export function createApiControllers(config: WebConfig, reads: WebReads) {
  const apiStores: Controller = async (event) =>
    jsonResponse({ stores: visibleStores(accessOf(event), await reads.summaries()).map(summaryJson) });

  const apiStoreItems: Controller = async (event) => {
    const store = pathParameter(event, 'store', storeName);
    if (!seesStore(accessOf(event), store)) throw noSuchStore(store);
    const query = parseOrBadRequest(storeItemsApiQuerySchema, queryOf(event));
    const after = positionAfter(query.cursor, query);
    const items = await reads.storeItems(store);
    const selected = selectItems(items, query, config.lowStockThreshold);
    const page = cursorPage(selected, query, query.limit, after);
    return jsonResponse({
      store,
      total: selected.length,
      items: page.entries.map((item) => itemJson(item, config.lowStockThreshold)),
      nextCursor: page.nextCursor,
    });
  };

  const apiImports: Controller = async (event) => {
    if (!seesImportReports(accessOf(event))) throw importReportsRefused();
    const query = parseOrBadRequest(importsQuerySchema, queryOf(event));
    const [{ entries, nextPage }, running] = await Promise.all([
      reads.importReports(query),
      query.source
        ? reads.runningImport(query.source).then((found) => (found ? [found] : []))
        : reads.runningImports(),
    ]);
    return jsonResponse({ running, reports: entries, ...(nextPage ? { nextPage } : {}) });
  };

  return { apiStores, apiStoreItems, apiImports };
}
