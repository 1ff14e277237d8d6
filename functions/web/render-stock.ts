import type { StoreSummary } from '#shared/inventory/store-summaries-table.ts';
import type { StockChange } from '#shared/stock/history-table.ts';
import { type StockStatus, stockStatus } from '#shared/stock/status.ts';
import type { CountPoint, HistoryRow } from './charts.ts';
import { html, type SafeHtml, segment } from './html.ts';
import { formatNumber } from './page-layout.ts';

/** What the stock pages share: status badges, item links, history as chart points. */

const STATUS_LABELS: Record<StockStatus, string> = { in: 'In stock', low: 'Low', out: 'Out of stock' };
// A shape per status, so that the badge does not rely on its colour alone (WCAG 1.4.1); the
// text says it to a screen reader, so the shape is hidden from one.
const STATUS_ICONS: Record<StockStatus, string> = { in: '✓', low: '▲', out: '●' };

export function statusBadge(status: StockStatus): SafeHtml {
  return html`<span class="badge badge-${status}"><span class="icon" aria-hidden="true">${STATUS_ICONS[status]}</span> ${STATUS_LABELS[status]}</span>`;
}

export function statusLabel(status: StockStatus): string {
  return STATUS_LABELS[status];
}

/** An item's page: both names are path segments of their own. */
export function itemPath(store: string, item: string): string {
  return `/stores/${segment(store)}/items/${segment(item)}`;
}

export function storePath(store: string): string {
  return `/stores/${segment(store)}`;
}

/** A count as the pages show it, with its status. */
export function countWithStatus(count: number, lowStockThreshold: number): SafeHtml {
  return html`${formatNumber(count)} ${statusBadge(stockStatus(count, lowStockThreshold))}`;
}

/**
 * The chart's points, from an item's changes (any order), oldest first by stream sequence:
 * changes often share a timestamp (stream records carry whole seconds on AWS, whole minutes
 * on DynamoDB Local), and the chart's sort by time keeps this order among equal times.
 *
 * An item's first count is not kept as a change unless it is 0 (functions/stock-alerts/
 * history.ts): a change whose `previousCount` no point gave yet — the oldest one read, or the
 * first after a removal — is led by that count, at the change's time. An item with no change
 * is drawn from `current`, its count since its last import.
 */
export function countPointsOf(
  changes: readonly StockChange[],
  current?: { count: number; updatedAt?: string },
): CountPoint[] {
  const oldestFirst = [...changes].sort((a, b) =>
    a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0,
  );
  if (oldestFirst.length === 0) {
    return current?.updatedAt === undefined ? [] : [{ at: current.updatedAt, count: current.count }];
  }
  const points: CountPoint[] = [];
  for (const change of oldestFirst) {
    const { previousCount } = change;
    if (previousCount !== undefined && points.at(-1)?.count !== previousCount) {
      points.push({ at: change.changedAt, count: previousCount });
    }
    points.push({ at: change.changedAt, count: change.count });
  }
  return points;
}

/** The history table's rows, from an item's changes: newest first by stream sequence (see countPointsOf). */
export function historyRowsOf(changes: readonly StockChange[]): HistoryRow[] {
  const newestFirst = [...changes].sort((a, b) =>
    a.sequence < b.sequence ? 1 : a.sequence > b.sequence ? -1 : 0,
  );
  return newestFirst.map((change) => ({
    at: change.changedAt,
    count: change.count,
    ...(change.previousCount === undefined ? {} : { previousCount: change.previousCount }),
    ...(change.transition ? { transition: change.transition } : {}),
  }));
}

/** Out-of-stock and low items over some stores, from their summaries (no item is read). */
export function attentionTotals(summaries: readonly StoreSummary[]) {
  let out = 0;
  let low = 0;
  let stores = 0;
  for (const summary of summaries) {
    const storeLow = summary.lowStockCount ?? 0;
    out += summary.outOfStockCount;
    low += storeLow;
    if (summary.outOfStockCount + storeLow > 0) stores += 1;
  }
  return { out, low, stores };
}
