import type { ItemInStore } from '#shared/inventory/table.ts';
import type { AttentionItem } from '#shared/stock/attention-table.ts';
import { InvalidTransitionCursorError, type StockChange } from '#shared/stock/history-table.ts';
import { stockStatus } from '#shared/stock/status.ts';
import { accessOf, seesStore, storeScopeOf, visibleStores } from '../auth/access.ts';
import type { WebConfig } from '../config.ts';
import type { Controller } from '../controllers.ts';
import type { HttpEvent } from '../http-event.ts';
import type { ImageIndex } from '../image-index.ts';
import {
  alertsQuerySchema,
  itemName,
  parseOrBadRequest,
  pathParameter,
  queryOf,
  searchQuerySchema,
  storeName,
} from '../params.ts';
import { invalidParameters, notFound } from '../problem.ts';
import { noSuchStore, type StoreScope, type WebReads } from '../reads.ts';
import { renderAlertsPage } from '../render-alerts.ts';
import { renderItemPage } from '../render-item.ts';
import { renderSearchPage } from '../render-search.ts';
import { htmlResponse, jsonResponse } from '../responses.ts';
import { signedThumbnailLink } from '../thumbnail-links.ts';
import { closestThumbnail } from '../thumbnails.ts';
import type { ChromeOf } from './pages.ts';

/** Changes read for an item's chart: about three months of daily imports. */
export const ITEM_HISTORY_LIMIT = 500;
/** Changes listed under the chart. */
export const ITEM_TABLE_LIMIT = 50;
/** The item page's photo: the 400 px thumbnail, shown at 160 px, is sharp on a 2× screen. */
const ITEM_THUMBNAIL_WIDTH = 400;

function changeJson(change: StockChange) {
  return {
    store: change.store,
    item: change.item,
    changedAt: change.changedAt,
    count: change.count ?? null,
    previousCount: change.previousCount ?? null,
    transition: change.transition ?? null,
  };
}

function attentionJson(entry: AttentionItem) {
  return {
    store: entry.store,
    item: entry.item,
    status: entry.status,
    count: entry.count,
    since: entry.since,
  };
}

function resultJson(result: ItemInStore, lowStockThreshold: number) {
  return {
    store: result.store,
    item: result.item,
    count: result.count,
    status: stockStatus(result.count, lowStockThreshold),
    updatedAt: result.updatedAt ?? null,
  };
}

/** The stores a filter asks for, within what the user sees: one store, or all of theirs. */
function alertScope(event: HttpEvent, store: string | undefined): StoreScope {
  const access = accessOf(event);
  if (store === undefined) return storeScopeOf(access);
  if (!seesStore(access, store)) throw noSuchStore(store);
  return [store];
}

interface StockControllerDependencies {
  config: WebConfig;
  reads: WebReads;
  imageIndex: ImageIndex;
  chromeFor: ChromeOf;
  now: () => Date;
}

/** An item's page (its chart and history) and its JSON twin. */
function createItemControllers({ config, reads, imageIndex, chromeFor, now }: StockControllerDependencies) {
  const itemOfPath = async (event: HttpEvent) => {
    const store = pathParameter(event, 'store', storeName);
    const item = pathParameter(event, 'item', itemName);
    if (!seesStore(accessOf(event), store)) throw noSuchStore(store);
    const [current, history] = await Promise.all([
      reads.storeItem(store, item),
      reads.itemHistory(store, item, ITEM_HISTORY_LIMIT),
    ]);
    if (!current && history.length === 0) {
      throw notFound(`Store “${store}” has no item named “${item}”, and none was recorded.`);
    }
    return { store, item, current, history };
  };

  const itemPage: Controller = async (event) => {
    const [{ store, item, current, history }, thumbnails] = await Promise.all([
      itemOfPath(event),
      imageIndex.thumbnails(),
    ]);
    const thumbnail = closestThumbnail(thumbnails.get(item) ?? [], ITEM_THUMBNAIL_WIDTH);
    const view = {
      store,
      item,
      ...(current ? { current } : {}),
      history,
      tableLimit: ITEM_TABLE_LIMIT,
      lowStockThreshold: config.lowStockThreshold,
      ...(thumbnail
        ? { thumbnailLink: signedThumbnailLink(thumbnail.key, config.edge.secrets[0], now()) }
        : {}),
      now: now(),
    };
    return htmlResponse(renderItemPage(view, chromeFor(event)));
  };

  const apiItemHistory: Controller = async (event) => {
    const { store, item, current, history } = await itemOfPath(event);
    return jsonResponse({
      store,
      item,
      count: current?.count ?? null,
      status: current ? stockStatus(current.count, config.lowStockThreshold) : 'removed',
      changes: history.map(changeJson),
    });
  };

  return { itemPage, apiItemHistory };
}

/** The alerts feed and its JSON twin. */
function createAlertControllers({ reads, chromeFor }: StockControllerDependencies) {
  const alertsOf = async (event: HttpEvent) => {
    const query = parseOrBadRequest(alertsQuerySchema, queryOf(event));
    const stores = alertScope(event, query.store);
    try {
      const page = await reads.transitions({
        stores,
        type: query.type === 'all' ? undefined : query.type,
        limit: query.limit,
        before: query.before,
      });
      return { query, page };
    } catch (error) {
      if (error instanceof InvalidTransitionCursorError) {
        throw invalidParameters([{ parameter: 'before', detail: 'is not a link this page made' }], error);
      }
      throw error;
    }
  };

  const alertsPage: Controller = async (event) => {
    const [{ query, page }, summaries] = await Promise.all([alertsOf(event), reads.summaries()]);
    const view = {
      changes: page.changes,
      ...(page.next ? { next: page.next } : {}),
      filter: { type: query.type, ...(query.store ? { store: query.store } : {}) },
      stores: visibleStores(accessOf(event), summaries).map((summary) => summary.store),
    };
    return htmlResponse(renderAlertsPage(view, chromeFor(event)));
  };

  const apiAlerts: Controller = async (event) => {
    const { page } = await alertsOf(event);
    return jsonResponse({ alerts: page.changes.map(changeJson), next: page.next ?? null });
  };

  return { alertsPage, apiAlerts };
}

/** The search across stores and what needs attention, with their JSON twins. */
function createSearchControllers({ config, reads, chromeFor }: StockControllerDependencies) {
  const searchOf = async (event: HttpEvent) => {
    const { item } = parseOrBadRequest(searchQuerySchema, queryOf(event));
    const results = item ? await reads.itemAcrossStores(item, storeScopeOf(accessOf(event))) : [];
    return { item, results };
  };

  const searchPage: Controller = async (event) => {
    const { item, results } = await searchOf(event);
    const view = { ...(item ? { item } : {}), results, lowStockThreshold: config.lowStockThreshold };
    return htmlResponse(renderSearchPage(view, chromeFor(event)));
  };

  const apiSearch: Controller = async (event) => {
    const { item, results } = await searchOf(event);
    return jsonResponse({
      item: item ?? null,
      stores: results.map((result) => resultJson(result, config.lowStockThreshold)),
    });
  };

  const apiAttention: Controller = async (event) => {
    const items = await reads.attention(storeScopeOf(accessOf(event)), 100);
    return jsonResponse({ items: items.map(attentionJson) });
  };

  return { searchPage, apiSearch, apiAttention };
}

/** The item pages, the alerts feed and the search, with their JSON twins. */
export function createStockControllers(dependencies: StockControllerDependencies) {
  return {
    ...createItemControllers(dependencies),
    ...createAlertControllers(dependencies),
    ...createSearchControllers(dependencies),
  };
}
