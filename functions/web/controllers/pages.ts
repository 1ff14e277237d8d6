import type { InventoryItem } from '#shared/inventory/table.ts';
import {
  type Access,
  accessOf,
  canUpload,
  seesImportReports,
  seesStore,
  storeScopeOf,
  visibleStores,
} from '../auth/access.ts';
import { renderSparkline } from '../charts.ts';
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
import { renderDashboardPage, renderStorePage } from '../render.ts';
import { renderImportsPage } from '../render-imports.ts';
import { countPointsOf } from '../render-stock.ts';
import { htmlResponse } from '../responses.ts';
import { signedThumbnailLink } from '../thumbnail-links.ts';
import { closestThumbnail } from '../thumbnails.ts';

/** Rows per page on the store page. */
export const STORE_PAGE_SIZE = 50;

/** Changes per item read for the store page's sparklines (a Query each, in parallel). */
export const SPARKLINE_CHANGES = 20;

/** Entries in the home page's "Needs attention" list. */
export const ATTENTION_LIMIT = 20;

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

export type ChromeOf = (event: HttpEvent) => PageChrome;

export function chromeFor(event: HttpEvent): PageChrome {
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
    const access = accessOf(event);
    const summaries = visibleStores(access, await reads.summaries());
    // The summaries are usually cached (SUMMARIES_TTL_MS); with no store, nothing can need attention.
    const items = summaries.length === 0 ? [] : await reads.attention(storeScopeOf(access), ATTENTION_LIMIT);
    const attention = { items, limit: ATTENTION_LIMIT, now: now() };
    return htmlResponse(renderDashboardPage(summaries, attention, chromeFor(event)));
  };

  /** Each item's recent changes as a sparkline, for the items of one page. */
  const sparklinesOf = async (store: string, items: readonly InventoryItem[]) => {
    const at = now();
    const histories = await Promise.all(
      items.map(({ item }) => reads.itemHistory(store, item, SPARKLINE_CHANGES)),
    );
    return new Map(
      items.map((entry, index) => [
        entry.item,
        renderSparkline(countPointsOf(histories[index] ?? [], entry), { now: at }),
      ]),
    );
  };

  const storePage: Controller = async (event) => {
    const store = pathParameter(event, 'store', storeName);
    if (!seesStore(accessOf(event), store)) throw noSuchStore(store);
    const query = parseOrBadRequest(storePageQuerySchema, queryOf(event));
    const [items, thumbnails] = await Promise.all([reads.storeItems(store), imageIndex.thumbnails()]);
    const selected = selectItems(items, query, config.lowStockThreshold);
    const page = numberedPage(selected, query.page, STORE_PAGE_SIZE);
    const names = page.entries.map((entry) => entry.item);
    const sparklines = await sparklinesOf(store, page.entries);
    const view = {
      store,
      items: page,
      query,
      lowStockThreshold: config.lowStockThreshold,
      thumbnailLinks: thumbnailLinks(names, thumbnails, config.edge.secrets[0], now()),
      storeItemCount: items.length,
      sparklines,
    };
    return htmlResponse(renderStorePage(view, chromeFor(event)));
  };

  const importsPage: Controller = async (event) => {
    if (!seesImportReports(accessOf(event))) throw importReportsRefused();
    const query = parseOrBadRequest(importsQuerySchema, queryOf(event));
    // Back from an upload (`?uploaded=`), the page follows that file's import to its report.
    const source = query.source ?? (query.uploaded && query.uploaded.length > 0 ? query.uploaded : undefined);
    const [{ entries, nextPage }, running] = await Promise.all([
      reads.importReports({ ...query, source }),
      source ? reads.runningImport(source).then((found) => (found ? [found] : [])) : reads.runningImports(),
    ]);
    const view = {
      entries,
      running,
      ...(source ? { source } : {}),
      ...(nextPage ? { nextPage, limit: query.limit } : {}),
    };
    return htmlResponse(renderImportsPage(view, chromeFor(event)));
  };

  return { dashboardPage, storePage, importsPage };
}
