import type { StockChange } from '#shared/stock/history-table.ts';
import type { StockTransition } from '#shared/stock/transitions.ts';
import { href, html, type SafeHtml } from './html.ts';
import { formatNumber, formatTimestamp, layout, type PageChrome } from './page-layout.ts';
import { itemPath, statusBadge, storePath } from './render-stock.ts';

/** The alerts feed: recent out-of-stock and back-in-stock transitions, newest first. */

export type AlertTypeFilter = 'all' | StockTransition;

export interface AlertsPageView {
  changes: readonly StockChange[];
  /** The cursor of the next (older) page, when there is one. */
  next?: string;
  filter: { store?: string; type: AlertTypeFilter };
  /** The stores the user may pick from (sorted). */
  stores: readonly string[];
}

const TYPE_LABELS: Record<AlertTypeFilter, string> = {
  all: 'Every alert',
  out_of_stock: 'Out of stock',
  back_in_stock: 'Back in stock',
};

function alertRow(change: StockChange): SafeHtml {
  const out = change.transition === 'out_of_stock';
  const from = change.previousCount === undefined ? 'new' : formatNumber(change.previousCount);
  return html`<tr class="${out ? 'status-out' : 'status-back'}">
<td>${formatTimestamp(change.changedAt)}</td>
<th scope="row"><a href="${itemPath(change.store, change.item)}">${change.item}</a></th>
<td><a href="${storePath(change.store)}">${change.store}</a></td>
<td class="status">${out ? statusBadge('out') : html`<span class="badge badge-in"><span class="icon" aria-hidden="true">↑</span> Back in stock</span>`}</td>
<td class="num">${from} → ${formatNumber(change.count)}</td>
</tr>`;
}

function filterForm(view: AlertsPageView): SafeHtml {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="/alerts">
<div class="field">
<label for="alerts-store">Store</label>
<select id="alerts-store" name="store">
${option('', 'All stores', view.filter.store === undefined)}
${view.stores.map((store) => option(store, store, view.filter.store === store))}
</select>
</div>
<div class="field">
<label for="alerts-type">Alert</label>
<select id="alerts-type" name="type">
${Object.entries(TYPE_LABELS).map(([value, label]) => option(value, label, view.filter.type === value))}
</select>
</div>
<button type="submit">Apply</button>
</form>`;
}

export function renderAlertsPage(view: AlertsPageView, chrome: PageChrome): string {
  const query = {
    store: view.filter.store,
    type: view.filter.type === 'all' ? undefined : view.filter.type,
  };
  const table =
    view.changes.length === 0
      ? html`<p class="empty">No alerts${view.filter.store ? html` for store ${view.filter.store}` : ''} in the
history yet.</p>`
      : html`<div class="table-wrap" role="region" aria-labelledby="alerts-caption" tabindex="0">
<table class="alerts cards">
<caption id="alerts-caption">${TYPE_LABELS[view.filter.type]}${
          view.filter.store ? html` at store ${view.filter.store}` : ''
        }, newest first</caption>
<thead><tr>
<th scope="col">When</th><th scope="col">Item</th><th scope="col">Store</th><th scope="col">Alert</th>
<th scope="col" class="num">Count</th>
</tr></thead>
<tbody>
${view.changes.map(alertRow)}
</tbody>
</table>
</div>`;
  const older = view.next
    ? html`<nav class="pager" aria-label="Pages"><a rel="next" href="${href('/alerts', { ...query, before: view.next })}">Older alerts</a></nav>`
    : '';
  return layout(
    'Alerts',
    'alerts',
    chrome,
    html`<h1>Alerts</h1>
<p>Items that ran out of stock or came back, from each item's recorded history.</p>
${filterForm(view)}${table}${older}`,
  );
}
