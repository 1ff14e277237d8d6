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
import type { ImageIndex, ItemThumbnails } from '../image-index.ts';
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
import { signedThumbnailLink } from '../thumbnail-links.ts';
import { closestThumbnail } from '../thumbnails.ts';

/** Rows per page on the store page. */
export const STORE_PAGE_SIZE = 50;

/** The store page shows thumbnails 64 px wide: the 200 px one is sharp on a 3× screen. */
const THUMBNAIL_WIDTH = 200;

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

/**
 * The signed links to the thumbnails of the items on one page, and of no other item: a user
 * limited to some stores sees only their items, so gets links to only their thumbnails.
 */
function thumbnailLinks(
  items: readonly string[],
  thumbnails: ItemThumbnails,
  secret: string,
  now: Date,
): Map<string, string> {
  const links = new Map<string, string>();
  for (const item of items) {
    const thumbnail = closestThumbnail(thumbnails.get(item) ?? [], THUMBNAIL_WIDTH);
    if (thumbnail) links.set(item, signedThumbnailLink(thumbnail.key, secret, now));
  }
  return links;
}

/** The HTML pages: the dashboard, a store's items, the import reports. */
export function createPageControllers(
  config: WebConfig,
  reads: WebReads,
  imageIndex: ImageIndex,
  now: () => Date,
) {
  const dashboardPage: Controller = async (event) => {
    const summaries = visibleStores(accessOf(event), await reads.summaries());
    return htmlResponse(renderDashboardPage(summaries, chromeFor(event)));
  };

  const storePage: Controller = async (event) => {
    const store = pathParameter(event, 'store', storeName);
    if (!seesStore(accessOf(event), store)) throw noSuchStore(store);
    const query = parseOrBadRequest(storePageQuerySchema, queryOf(event));
    const [items, thumbnails] = await Promise.all([reads.storeItems(store), imageIndex.thumbnails()]);
    const selected = selectItems(items, query, config.lowStockThreshold);
    const page = numberedPage(selected, query.page, STORE_PAGE_SIZE);
    const names = page.entries.map((entry) => entry.item);
    const view = {
      store,
      items: page,
      query,
      lowStockThreshold: config.lowStockThreshold,
      thumbnailLinks: thumbnailLinks(names, thumbnails, config.edge.secrets[0], now()),
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
