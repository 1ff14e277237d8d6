import type { ItemInStore } from '#shared/inventory/table.ts';
import { stockStatus } from '#shared/stock/status.ts';
import { html, type SafeHtml } from './html.ts';
import { formatNumber, formatTimestamp, layout, type PageChrome } from './page-layout.ts';
import { itemPath, statusBadge, storePath } from './render-stock.ts';

/** Find an item across stores: which stores have it, with how many. */

export interface SearchPageView {
  /** What was asked for; undefined: the empty form. */
  item?: string;
  results: readonly ItemInStore[];
  lowStockThreshold: number;
}

function resultRow(result: ItemInStore, lowStockThreshold: number): SafeHtml {
  const status = stockStatus(result.count, lowStockThreshold);
  return html`<tr class="status-${status}">
<th scope="row"><a href="${storePath(result.store)}">${result.store}</a></th>
<td class="num"><a href="${itemPath(result.store, result.item)}">${formatNumber(result.count)}</a></td>
<td class="status">${statusBadge(status)}</td>
<td>${formatTimestamp(result.updatedAt)}</td>
</tr>`;
}

function results(view: SearchPageView & { item: string }): SafeHtml {
  if (view.results.length === 0) {
    return html`<p class="empty">No store has an item named <code>${view.item}</code>. Item codes are matched
exactly, capitals included.</p>`;
  }
  const inStock = view.results.filter((result) => result.count > 0).length;
  return html`<div class="table-wrap" role="region" aria-labelledby="search-caption" tabindex="0">
<table class="search-results cards">
<caption id="search-caption">${view.item}: in stock at ${formatNumber(inStock)} of the
${formatNumber(view.results.length)} ${view.results.length === 1 ? 'store that has' : 'stores that have'} it</caption>
<thead><tr>
<th scope="col">Store</th><th scope="col" class="num">Count</th><th scope="col">Status</th>
<th scope="col">Last update</th>
</tr></thead>
<tbody>
${view.results.map((result) => resultRow(result, view.lowStockThreshold))}
</tbody>
</table>
</div>`;
}

export function renderSearchPage(view: SearchPageView, chrome: PageChrome): string {
  const form = html`<form class="filters" role="search" method="get" action="/search">
<div class="field">
<label for="search-item">Item code</label>
<input id="search-item" name="item" type="search" required maxlength="1024" autocomplete="off" value="${view.item ?? ''}">
</div>
<button type="submit">Find</button>
</form>`;
  const { item } = view;
  return layout(
    item ? `${item} in every store` : 'Find an item',
    'search',
    chrome,
    html`<h1>Find an item in every store</h1>
${form}
${item === undefined ? html`<p class="muted">Type an item's code to see which stores have it, and how many.</p>` : results({ ...view, item })}`,
  );
}
