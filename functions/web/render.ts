import type { StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import type { InventoryItem } from '#shared/inventory/table.ts';
import { stockStatus } from '#shared/stock/status.ts';
import { href, html, type SafeHtml, segment } from './html.ts';
import type { ItemQuery, NumberedPage, SortKey } from './items.ts';
import { formatNumber, formatTimestamp, layout, type PageChrome, renderUploadForms } from './page-layout.ts';
import { type AttentionView, renderAttentionSection } from './render-attention.ts';
import { itemPath, statusBadge } from './render-stock.ts';

/** Pure page templates: data in, HTML out. Every value is escaped by `html`. */

export function renderDashboardPage(
  summaries: StoreSummary[],
  attention: Omit<AttentionView, 'summaries'>,
  chrome: PageChrome,
): string {
  const totals = summaries.reduce(
    (sum, s) => ({
      items: sum.items + s.itemCount,
      units: sum.units + s.totalUnits,
      out: sum.out + s.outOfStockCount,
      low: sum.low + (s.lowStockCount ?? 0),
    }),
    { items: 0, units: 0, out: 0, low: 0 },
  );
  const rows = summaries.map(
    (s) => html`<tr${s.outOfStockCount > 0 ? html` class="has-out"` : ''}>
<th scope="row"><a href="/stores/${segment(s.store)}">${s.store}</a></th>
<td class="num">${formatNumber(s.itemCount)}</td>
<td class="num">${formatNumber(s.totalUnits)}</td>
<td class="num out-count">${formatNumber(s.outOfStockCount)}</td>
<td class="num">${formatNumber(s.lowStockCount ?? 0)}</td>
<td>${formatTimestamp(s.lastUpdatedAt)}</td>
</tr>`,
  );
  const table =
    summaries.length === 0
      ? html`<p class="empty">No stores yet. Upload an inventory CSV to get started.</p>`
      : html`<div class="table-wrap" role="region" aria-labelledby="stores-caption" tabindex="0">
<table class="stores cards">
<caption id="stores-caption">${summaries.length} ${summaries.length === 1 ? 'store' : 'stores'}</caption>
<thead><tr>
<th scope="col">Store</th><th scope="col" class="num">Items</th><th scope="col" class="num">Units</th>
<th scope="col" class="num">Out of stock</th><th scope="col" class="num">Low</th><th scope="col">Last update</th>
</tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr>
<th scope="row">All stores</th><td class="num">${formatNumber(totals.items)}</td>
<td class="num">${formatNumber(totals.units)}</td>
<td class="num out-count">${formatNumber(totals.out)}</td>
<td class="num">${formatNumber(totals.low)}</td><td></td>
</tr></tfoot>
</table>
</div>`;
  const uploads = renderUploadForms(chrome.uploads, { csv: '/imports', image: '/' });
  const needsAttention = summaries.length === 0 ? '' : renderAttentionSection({ ...attention, summaries });
  return layout('Stores', 'dashboard', chrome, html`<h1>Stores</h1>${needsAttention}${table}${uploads}`, {
    uploadsOnPage: true,
  });
}

const FILTER_LABELS = { all: 'All', in: 'In stock', low: 'Low', out: 'Out of stock' } as const;
const SORT_LABELS: Record<SortKey, string> = { item: 'Item', count: 'Count', updated: 'Last update' };

export interface StorePageView {
  store: string;
  items: NumberedPage<InventoryItem>;
  query: ItemQuery;
  lowStockThreshold: number;
  /** Item → the signed link to its thumbnail, served by the distribution (`/thumbnails/…`). */
  thumbnailLinks: ReadonlyMap<string, string>;
  /** How many items the store has in all, before filtering. */
  storeItemCount: number;
  /** Item → its sparkline (recent count changes); an item without one shows none. */
  sparklines: ReadonlyMap<string, SafeHtml>;
}

function storeQuery(view: StorePageView, changes: Partial<ItemQuery> & { page?: number }) {
  const query = { ...view.query, ...changes };
  return {
    status: query.status === 'all' ? undefined : query.status,
    sort: query.sort === 'item' ? undefined : query.sort,
    order: query.order === 'asc' ? undefined : query.order,
    page: changes.page && changes.page > 1 ? changes.page : undefined,
  };
}

function sortableHeader(view: StorePageView, key: SortKey, className = ''): SafeHtml {
  const active = view.query.sort === key;
  const nextOrder = active && view.query.order === 'asc' ? 'desc' : 'asc';
  const link = href(`/stores/${segment(view.store)}`, storeQuery(view, { sort: key, order: nextOrder }));
  const ariaSort = active ? (view.query.order === 'asc' ? 'ascending' : 'descending') : undefined;
  return html`<th scope="col"${className ? html` class="${className}"` : ''}${
    ariaSort ? html` aria-sort="${ariaSort}"` : ''
  }><a href="${link}">${SORT_LABELS[key]}</a></th>`;
}

function sourceCell(item: InventoryItem): SafeHtml {
  const key = item.source?.key;
  if (!key) return html`<span class="muted">—</span>`;
  return html`<a href="${href('/imports', { source: key })}">${key}</a>`;
}

export function renderStorePage(view: StorePageView, chrome: PageChrome): string {
  const base = `/stores/${segment(view.store)}`;
  const rows = view.items.entries.map((item) => {
    const status = stockStatus(item.count, view.lowStockThreshold);
    const link = view.thumbnailLinks.get(item.item);
    const image = link ? html`<img src="${link}" alt="" width="64" height="64" loading="lazy">` : '';
    return html`<tr class="status-${status}">
<td class="thumb">${image}</td>
<th scope="row"><a href="${itemPath(view.store, item.item)}">${item.item}</a></th>
<td class="num">${formatNumber(item.count)}</td>
<td class="status">${statusBadge(status)}</td>
<td>${formatTimestamp(item.updatedAt)}</td>
<td class="source">${sourceCell(item)}</td>
<td class="trend">${view.sparklines.get(item.item) ?? ''}</td>
</tr>`;
  });
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  const filters = html`<form class="filters" method="get" action="${base}">
<div class="field">
<label for="status">Status</label>
<select id="status" name="status">
${Object.entries(FILTER_LABELS).map(([value, label]) => option(value, label, view.query.status === value))}
</select>
</div>
<div class="field">
<label for="sort">Sort by</label>
<select id="sort" name="sort">
${Object.entries(SORT_LABELS).map(([value, label]) => option(value, label, view.query.sort === value))}
</select>
</div>
<div class="field">
<label for="order">Order</label>
<select id="order" name="order">
${option('asc', 'Ascending', view.query.order === 'asc')}${option('desc', 'Descending', view.query.order === 'desc')}
</select>
</div>
<button type="submit">Apply</button>
</form>`;
  const { page, pageCount, total } = view.items;
  const pager =
    pageCount > 1
      ? html`<nav class="pager" aria-label="Pages">
${page > 1 ? html`<a rel="prev" href="${href(base, storeQuery(view, { page: page - 1 }))}">Previous</a>` : ''}
<span>Page ${page} of ${pageCount}</span>
${page < pageCount ? html`<a rel="next" href="${href(base, storeQuery(view, { page: page + 1 }))}">Next</a>` : ''}
</nav>`
      : '';
  const table =
    view.items.entries.length === 0
      ? html`<p class="empty">${total === 0 ? 'No items match this filter.' : 'This page is empty.'}
<a href="${base}">Show all items</a>.</p>`
      : html`<div class="table-wrap" role="region" aria-labelledby="items-caption" tabindex="0">
<table class="items cards">
<caption id="items-caption">${total} of ${view.storeItemCount} items${
          view.query.status === 'all' ? '' : html` (${FILTER_LABELS[view.query.status]})`
        }. Low stock means ${view.lowStockThreshold} or fewer.</caption>
<thead><tr>
<th scope="col"><span class="visually-hidden">Photo</span></th>
${sortableHeader(view, 'item')}${sortableHeader(view, 'count', 'num')}
<th scope="col">Status</th>${sortableHeader(view, 'updated')}<th scope="col">Source file</th>
<th scope="col">Trend</th>
</tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>`;
  const uploads = renderUploadForms(chrome.uploads, { csv: '/imports', image: base });
  return layout(
    `Store ${view.store}`,
    'store',
    chrome,
    html`<p class="crumbs"><a href="/">Stores</a> › ${view.store}</p>
<h1>Store <span class="name">${view.store}</span></h1>
${filters}${table}${pager}${uploads}`,
    { uploadsOnPage: true },
  );
}
