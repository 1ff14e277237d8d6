import type { StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import type { AttentionItem } from '#shared/stock/attention-table.ts';
import { href, html, type SafeHtml } from './html.ts';
import { formatDuration, formatNumber } from './page-layout.ts';
import { attentionTotals, itemPath, statusBadge, storePath } from './render-stock.ts';

/**
 * The home page's top: what a store manager looks at first. The counts come from the store
 * summaries (every item of every store the user sees), the list from the attention table
 * (its newest entries only).
 */

export interface AttentionView {
  items: readonly AttentionItem[];
  /** The summaries of the stores the user sees. */
  summaries: readonly StoreSummary[];
  /** How many entries the list was allowed (more may exist). */
  limit: number;
  now: Date;
}

function plural(count: number, one: string, many: string): string {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

function attentionRow(entry: AttentionItem, now: Date): SafeHtml {
  const since = new Date(entry.since);
  const known = !Number.isNaN(since.getTime());
  const duration = known
    ? html`<time datetime="${since.toISOString()}">${formatDuration(now.getTime() - since.getTime())}</time>`
    : html`<span class="muted">—</span>`;
  return html`<tr class="status-${entry.status}">
<th scope="row"><a href="${itemPath(entry.store, entry.item)}">${entry.item}</a></th>
<td><a href="${storePath(entry.store)}">${entry.store}</a></td>
<td class="status">${statusBadge(entry.status)}</td>
<td class="num">${formatNumber(entry.count)}</td>
<td>${duration}</td>
</tr>`;
}

function totalsLine(view: AttentionView): SafeHtml {
  const totals = attentionTotals(view.summaries);
  if (totals.out + totals.low === 0) {
    return html`<p class="all-clear"><span aria-hidden="true">✓</span> Nothing needs attention: every item is above the low-stock level.</p>`;
  }
  const parts = [
    ...(totals.out > 0 ? [plural(totals.out, 'item out of stock', 'items out of stock')] : []),
    ...(totals.low > 0 ? [plural(totals.low, 'item low', 'items low')] : []),
  ];
  return html`<p class="attention-totals">${parts.join(' and ')}, in ${plural(totals.stores, 'store', 'stores')}.
<a href="${href('/alerts')}">Recent alerts</a></p>`;
}

export function renderAttentionSection(view: AttentionView): SafeHtml {
  const list =
    view.items.length === 0
      ? ''
      : html`<div class="table-wrap" role="region" aria-labelledby="attention-caption" tabindex="0">
<table class="attention-list cards">
<caption id="attention-caption">${
          view.items.length >= view.limit ? `The ${view.limit} newest, newest first` : 'Newest first'
        }</caption>
<thead><tr>
<th scope="col">Item</th><th scope="col">Store</th><th scope="col">Status</th>
<th scope="col" class="num">Count</th><th scope="col">For</th>
</tr></thead>
<tbody>
${view.items.map((entry) => attentionRow(entry, view.now))}
</tbody>
</table>
</div>`;
  return html`<section class="attention" aria-labelledby="attention-heading">
<h2 id="attention-heading">Needs attention</h2>
${totalsLine(view)}
${list}
</section>`;
}
