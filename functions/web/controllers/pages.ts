import {
  type Access,
  accessOf,
  canUpload,
  seesImportReports,
  seesStore,
  visibleStores,
} from '../auth/access.ts';
import type { WebConfig } from '../config.ts';
import type { Controller } from '../controllers.ts';
import type { HttpEvent } from '../http-event.ts';
import type { ImageIndex } from '../image-index.ts';
import { numberedPage, selectItems } from '../items.ts';
import type { PageChrome, UploadForms } from '../page-layout.ts';
import {
  importsQuerySchema,
  parseOrBadRequest,
  pathParameter,
  queryOf,
  storeName,
  storePageQuerySchema,
} from '../params.ts';
import { importReportsRefused } from '../problem.ts';
import { noSuchStore, type WebReads } from '../reads.ts';
import { renderDashboardPage, renderImportsPage, renderStorePage } from '../render.ts';
import { htmlResponse } from '../responses.ts';

/** Rows per page on the store page. */
export const STORE_PAGE_SIZE = 50;

/** The upload key of a file just uploaded through a form (S3 redirects back with `?uploaded=`). */
function uploadedKeyOf(event: HttpEvent): string | undefined {
  const value = event.queryStringParameters?.uploaded;
  return value && value.length <= 1024 ? value : undefined;
}

/**
 * The forms a user's pages show: managers upload; a manager limited to some stores uploads
 * photos (of their stores' items, see uploads.ts) but no CSV, whose rows may be for any store.
 */
function uploadFormsFor(access: Access): UploadForms {
  if (!canUpload(access)) return { inventory: false, image: false };
  return {
    inventory: seesImportReports(access),
    image: true,
    ...(access.accessToken ? { accessToken: access.accessToken } : {}),
  };
}

function chromeFor(event: HttpEvent): PageChrome {
  const access = accessOf(event);
  const uploadedKey = uploadedKeyOf(event);
  return {
    session: access.signedInAs ? { signedInAs: access.signedInAs } : 'sign-in-off',
    showImports: seesImportReports(access),
    uploads: uploadFormsFor(access),
    ...(uploadedKey ? { uploadedKey } : {}),
  };
}

/** The HTML pages: the dashboard, a store's items, the import reports. */
export function createPageControllers(config: WebConfig, reads: WebReads, imageIndex: ImageIndex) {
  const dashboardPage: Controller = async (event) => {
    const summaries = visibleStores(accessOf(event), await reads.summaries());
    return htmlResponse(renderDashboardPage(summaries, chromeFor(event)));
  };

  const storePage: Controller = async (event) => {
    const store = pathParameter(event, 'store', storeName);
    if (!seesStore(accessOf(event), store)) throw noSuchStore(store);
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
    if (!seesImportReports(accessOf(event))) throw importReportsRefused();
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
