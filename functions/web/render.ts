import type { StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import type { InventoryItem } from '#shared/inventory/table.ts';
import { type StockStatus, stockStatus } from '#shared/stock/status.ts';
import { href, html, type SafeHtml, segment } from './html.ts';
import type { ItemQuery, NumberedPage, SortKey } from './items.ts';
import { formatNumber, formatTimestamp, layout, type PageChrome, renderUploadForms } from './page-layout.ts';
import type { ImportReportEntry } from './reports.ts';

/** Pure page templates: data in, HTML out. Every value is escaped by `html`. */

export function renderDashboardPage(summaries: StoreSummary[], chrome: PageChrome): string {
  const totals = summaries.reduce(
    (sum, s) => ({
      items: sum.items + s.itemCount,
      units: sum.units + s.totalUnits,
      out: sum.out + s.outOfStockCount,
    }),
    { items: 0, units: 0, out: 0 },
  );
  const rows = summaries.map(
    (s) => html`<tr${s.outOfStockCount > 0 ? html` class="has-out"` : ''}>
<th scope="row"><a href="/stores/${segment(s.store)}">${s.store}</a></th>
<td class="num">${formatNumber(s.itemCount)}</td>
<td class="num">${formatNumber(s.totalUnits)}</td>
<td class="num out-count">${formatNumber(s.outOfStockCount)}</td>
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
<th scope="col" class="num">Out of stock</th><th scope="col">Last update</th>
</tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr>
<th scope="row">All stores</th><td class="num">${formatNumber(totals.items)}</td>
<td class="num">${formatNumber(totals.units)}</td>
<td class="num out-count">${formatNumber(totals.out)}</td><td></td>
</tr></tfoot>
</table>
</div>`;
  const uploads = renderUploadForms(chrome.uploads, { csv: '/imports', image: '/' });
  return layout('Stores', 'dashboard', chrome, html`<h1>Stores</h1>${table}${uploads}`, {
    uploadsOnPage: true,
  });
}

const STATUS_LABELS: Record<StockStatus, string> = { in: 'In stock', low: 'Low', out: 'Out of stock' };
// A shape per status, so that the badge does not rely on its colour alone (WCAG 1.4.1); the
// text says it to a screen reader, so the shape is hidden from one.
const STATUS_ICONS: Record<StockStatus, string> = { in: '✓', low: '▲', out: '●' };

function statusBadge(status: StockStatus): SafeHtml {
  return html`<span class="badge badge-${status}"><span class="icon" aria-hidden="true">${STATUS_ICONS[status]}</span> ${STATUS_LABELS[status]}</span>`;
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
<th scope="row">${item.item}</th>
<td class="num">${formatNumber(item.count)}</td>
<td class="status">${statusBadge(status)}</td>
<td>${formatTimestamp(item.updatedAt)}</td>
<td class="source">${sourceCell(item)}</td>
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

const IMPORT_STATUS_LABELS: Record<string, string> = {
  completed: 'Completed',
  completed_with_errors: 'Completed with rejected rows',
  rejected: 'Rejected',
  failed: 'Failed',
  handed_off: 'Handed off to a long-running import',
};

function renderReport(entry: ImportReportEntry, index: number): SafeHtml {
  const headingId = `report-${index}`;
  if (!entry.readable) {
    return html`<article class="report report-unreadable" aria-labelledby="${headingId}">
<h2 id="${headingId}">${entry.reportKey}</h2>
<p><span class="badge badge-out">Unreadable report</span> ${entry.problem}.</p>
</article>`;
  }
  const r = entry.report;
  const errors = r.errors ?? [];
  const total = r.errorsTotal ?? r.rowsRejected ?? errors.length;
  const rejected =
    errors.length > 0
      ? html`<div class="table-wrap" role="region" aria-labelledby="${headingId}-rejected" tabindex="0">
<table class="rejected">
<caption id="${headingId}-rejected">Rejected rows${
          r.errorsTruncated || total > errors.length ? html` (first ${errors.length} of ${total})` : ''
        }</caption>
<thead><tr><th scope="col" class="num">Line</th><th scope="col">Why it was rejected</th></tr></thead>
<tbody>
${errors.map((e) => html`<tr><td class="num">${e.line ?? '—'}</td><td>${e.reason}</td></tr>`)}
</tbody>
</table>
</div>`
      : '';
  const statusClass =
    r.status === 'completed'
      ? 'in'
      : r.status === 'completed_with_errors' || r.status === 'handed_off'
        ? 'low'
        : 'out';
  return html`<article class="report" aria-labelledby="${headingId}">
<h2 id="${headingId}">${r.source.key}</h2>
<p><span class="badge badge-${statusClass}">${IMPORT_STATUS_LABELS[r.status] ?? r.status}</span>
${r.reason ? html` ${r.reason}` : ''}</p>
<dl class="facts">
<div><dt>Rows read</dt><dd>${formatNumber(r.rowsRead)}</dd></div>
<div><dt>Imported</dt><dd>${formatNumber(r.rowsImported)}</dd></div>
<div><dt>Rejected</dt><dd>${formatNumber(r.rowsRejected)}</dd></div>
<div><dt>Duplicates</dt><dd>${formatNumber(r.duplicates)}</dd></div>
<div><dt>Started</dt><dd>${formatTimestamp(r.startedAt)}</dd></div>
<div><dt>Finished</dt><dd>${formatTimestamp(r.finishedAt)}</dd></div>
${
  r.ignoredColumns && r.ignoredColumns.length > 0
    ? html`<div><dt>Ignored columns</dt><dd>${r.ignoredColumns.join(', ')}${
        (r.ignoredColumnsTotal ?? 0) > r.ignoredColumns.length
          ? html` (first ${r.ignoredColumns.length} of ${formatNumber(r.ignoredColumnsTotal)})`
          : ''
      }</dd></div>`
    : ''
}
</dl>
${rejected}
</article>`;
}

export interface ImportsPageView {
  entries: ImportReportEntry[];
  /** Set when showing the report of one source file. */
  source?: string;
  /** Set when older reports follow on another page. */
  nextPage?: number;
  limit?: number;
}

export function renderImportsPage(view: ImportsPageView, chrome: PageChrome): string {
  const heading = view.source
    ? html`Import of <span class="name">${view.source}</span>`
    : html`Recent imports`;
  const body =
    view.entries.length === 0
      ? html`<p class="empty">${
          view.source
            ? 'There is no report for this file yet: the import may still be running.'
            : 'No import reports yet.'
        }</p>`
      : html`${view.entries.map(renderReport)}`;
  return layout(
    view.source ? `Import of ${view.source}` : 'Imports',
    'imports',
    chrome,
    html`<h1>${heading}</h1>${view.source ? html`<p><a href="/imports">All recent imports</a></p>` : ''}${body}${
      view.nextPage
        ? html`<p><a href="/imports?page=${view.nextPage}&amp;limit=${view.limit ?? 20}">Older imports</a></p>`
        : ''
    }`,
  );
}
