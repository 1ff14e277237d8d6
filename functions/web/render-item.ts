import type { InventoryItem } from '#shared/inventory/table.ts';
import type { StockChange } from '#shared/stock/history-table.ts';
import { stockStatus } from '#shared/stock/status.ts';
import { renderCountChart, renderHistoryTable } from './charts.ts';
import { href, html } from './html.ts';
import { formatNumber, formatTimestamp, layout, type PageChrome } from './page-layout.ts';
import { countPointsOf, historyRowsOf, statusBadge, storePath } from './render-stock.ts';

/** An item's page: its count now, a chart of its count over time, and the changes as a table. */

export interface ItemPageView {
  store: string;
  item: string;
  /** The item as stored now; undefined when it was removed (its history remains). */
  current?: InventoryItem;
  /** Its changes, newest first (at most the history's read limit). */
  history: readonly StockChange[];
  /** How many changes the page may list; the chart shows every change read. */
  tableLimit: number;
  lowStockThreshold: number;
  thumbnailLink?: string;
  now: Date;
}

function currentFacts(view: ItemPageView) {
  const { current } = view;
  if (!current) {
    return html`<p><span class="badge badge-out">Removed</span> This item is no longer in the store's inventory.</p>`;
  }
  const status = stockStatus(current.count, view.lowStockThreshold);
  const source = current.source?.key
    ? html`<a href="${href('/imports', { source: current.source.key })}">${current.source.key}</a>`
    : html`<span class="muted">—</span>`;
  return html`<dl class="facts item-facts">
<div><dt>Count</dt><dd class="item-count">${formatNumber(current.count)}</dd></div>
<div><dt>Status</dt><dd>${statusBadge(status)}</dd></div>
<div><dt>Last update</dt><dd>${formatTimestamp(current.updatedAt)}</dd></div>
<div><dt>Source file</dt><dd>${source}</dd></div>
</dl>`;
}

export function renderItemPage(view: ItemPageView, chrome: PageChrome): string {
  const image = view.thumbnailLink
    ? html`<img class="item-photo" src="${view.thumbnailLink}" alt="Photo of ${view.item}" width="160" height="160">`
    : '';
  const shown = view.history.slice(0, view.tableLimit);
  const caption =
    view.history.length > shown.length
      ? `The ${shown.length} newest changes of ${view.item}`
      : `Every recorded change of ${view.item}`;
  const table = shown.length === 0 ? '' : renderHistoryTable(historyRowsOf(shown), { caption });
  // Two drawings of one chart, for wide and for narrow screens (the CSS shows one): an SVG
  // scales as a whole, so a wide one on a phone would shrink its text below reading size.
  const chartOf = (width: number, idPrefix: string) =>
    renderCountChart(countPointsOf(view.history, view.current), {
      title: `Count of ${view.item} at store ${view.store}`,
      lowStockThreshold: view.lowStockThreshold,
      now: view.now,
      idPrefix,
      width,
    });
  const chart = html`<div class="chart-wide">${chartOf(640, 'item-chart')}</div>
<div class="chart-narrow">${chartOf(360, 'item-chart-narrow')}</div>`;
  return layout(
    `${view.item} · Store ${view.store}`,
    'store',
    chrome,
    html`<p class="crumbs"><a href="/">Stores</a> › <a href="${storePath(view.store)}">${view.store}</a> › ${view.item}</p>
<h1>Item <span class="name">${view.item}</span></h1>
<div class="item-head">${image}${currentFacts(view)}</div>
<p><a href="${href('/search', { item: view.item })}">Find ${view.item} in every store</a></p>
<h2>Count over time</h2>
${chart}
${table}`,
  );
}
