import type { WebConfig } from '../config.ts';
import type { Controller } from '../controllers.ts';
import type { HttpEvent } from '../http-event.ts';
import type { ImageIndex } from '../image-index.ts';
import { numberedPage, selectItems } from '../items.ts';
import {
  importsQuerySchema,
  parseOrBadRequest,
  pathParameter,
  queryOf,
  storeName,
  storePageQuerySchema,
} from '../params.ts';
import type { WebReads } from '../reads.ts';
import { type PageChrome, renderDashboardPage, renderImportsPage, renderStorePage } from '../render.ts';
import { htmlResponse } from '../responses.ts';

/** Rows per page on the store page. */
export const STORE_PAGE_SIZE = 50;

/** The upload key of a file just uploaded through a form (S3 redirects back with `?uploaded=`). */
function uploadedKeyOf(event: HttpEvent): string | undefined {
  const value = event.queryStringParameters?.uploaded;
  return value && value.length <= 1024 ? value : undefined;
}

/** The HTML pages: the dashboard, a store's items, the import reports. */
export function createPageControllers(config: WebConfig, reads: WebReads, imageIndex: ImageIndex) {
  const chromeFor = (event: HttpEvent): PageChrome => {
    const uploadedKey = uploadedKeyOf(event);
    return {
      uploads: config.authMode === 'jwt' ? 'token' : 'open',
      ...(uploadedKey ? { uploadedKey } : {}),
    };
  };

  const dashboardPage: Controller = async (event) =>
    htmlResponse(renderDashboardPage(await reads.summaries(), chromeFor(event)));

  const storePage: Controller = async (event) => {
    const store = pathParameter(event, 'store', storeName);
    const query = parseOrBadRequest(storePageQuerySchema, queryOf(event));
    const [items, images] = await Promise.all([reads.storeItems(store), imageIndex.images()]);
    const selected = selectItems(items, query, config.lowStockThreshold);
    const page = numberedPage(selected, query.page, STORE_PAGE_SIZE);
    const itemsWithImages = new Set(
      page.entries.map((entry) => entry.item).filter((name) => images.has(name)),
    );
    const view = {
      store,
      items: page,
      query,
      lowStockThreshold: config.lowStockThreshold,
      itemsWithImages,
      storeItemCount: items.length,
    };
    return htmlResponse(renderStorePage(view, chromeFor(event)));
  };

  const importsPage: Controller = async (event) => {
    const query = parseOrBadRequest(importsQuerySchema, queryOf(event));
    const { entries, nextPage } = await reads.importReports(query);
    const view = {
      entries,
      ...(query.source ? { source: query.source } : {}),
      ...(nextPage ? { nextPage, limit: query.limit } : {}),
    };
    return htmlResponse(renderImportsPage(view, chromeFor(event)));
  };

  return { dashboardPage, storePage, importsPage };
}
