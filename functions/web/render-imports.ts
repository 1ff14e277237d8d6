import type { RunningImport } from '#shared/inventory/progress.ts';
import { href, html, type SafeHtml } from './html.ts';
import { formatDuration, formatNumber, formatTimestamp, layout, type PageChrome } from './page-layout.ts';
import type { ImportReportEntry } from './reports.ts';

/**
 * The imports page: the direct imports running now, with a progress bar each, then the
 * reports. While something runs the page's live part carries `data-refresh`: the page's
 * script fetches the page again every few seconds and swaps that part in, until nothing in
 * it runs (no `<meta http-equiv=refresh>`: it reloads the whole page under a reader's
 * cursor, which WCAG 2.2.1 counts against it).
 */

/** Seconds between two refreshes of a page whose import is running. */
export const REFRESH_SECONDS = 3;

const MEGABYTE = 1024 * 1024;

function formatBytes(bytes: number): string {
  if (bytes < MEGABYTE) return `${formatNumber(Math.ceil(bytes / 1024))} KB`;
  return `${(bytes / MEGABYTE).toFixed(1)} MB`;
}

function renderRunning(running: RunningImport, index: number): SafeHtml {
  const headingId = `running-${index}`;
  const percent = running.fraction === undefined ? undefined : Math.floor(running.fraction * 100);
  const bar =
    percent === undefined
      ? html`<progress aria-labelledby="${headingId}"></progress>`
      : html`<progress max="100" value="${percent}" aria-labelledby="${headingId}">${percent} %</progress>`;
  const parts = [
    `${formatNumber(running.rowsSoFar)} rows so far`,
    ...(percent === undefined ? [] : [`${percent} % of ${formatBytes(running.totalBytes)}`]),
    ...(running.remainingMs === undefined || running.stalled
      ? []
      : [`about ${formatDuration(running.remainingMs)} left`]),
  ];
  const stalled = running.stalled
    ? html`<p><span class="badge badge-out">No progress</span> Nothing has moved since
${formatTimestamp(running.updatedAt)}: the import may have stopped. Its report will say why.</p>`
    : '';
  return html`<article class="running" aria-labelledby="${headingId}">
<h3 id="${headingId}"><a href="${href('/imports', { source: running.source.key })}">${running.source.key}</a></h3>
${bar}
<p class="progress-facts">${parts.join(' · ')} <span class="muted">(started ${formatTimestamp(running.startedAt)})</span></p>
${stalled}
</article>`;
}

/** Whether a report is still waiting for its final one (the workflow's). */
function isProvisional(entry: ImportReportEntry): boolean {
  return entry.readable && entry.report.status === 'handed_off';
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
  /** The direct imports running now (of `source` only, when set); none: nothing runs. */
  running: RunningImport[];
  /** Set when showing the report of one source file. */
  source?: string;
  /** Set when older reports follow on another page. */
  nextPage?: number;
  limit?: number;
}

/**
 * Whether the page should look again: an import is running, or the one file the page is about
 * has no final report yet (none at all, or the workflow's `handed_off`).
 */
export function importsPageRefreshes(view: ImportsPageView): boolean {
  if (view.running.some((running) => !running.stalled)) return true;
  if (!view.source) return false;
  return view.entries.length === 0 || view.entries.every(isProvisional);
}

function runningSection(view: ImportsPageView): SafeHtml | string {
  if (view.running.length === 0) return '';
  const count = view.running.length;
  return html`<section class="running-imports" aria-labelledby="running-heading">
<h2 id="running-heading">Running now</h2>
<p role="status">${count} ${count === 1 ? 'import is' : 'imports are'} running.</p>
${view.running.map(renderRunning)}
</section>`;
}

export function renderImportsPage(view: ImportsPageView, chrome: PageChrome): string {
  const heading = view.source
    ? html`Import of <span class="name">${view.source}</span>`
    : html`Recent imports`;
  const waiting = view.running.length > 0 ? 'The report is written when the import ends.' : '';
  const reports =
    view.entries.length === 0
      ? html`<p class="empty">${
          view.source
            ? `There is no report for this file yet. ${waiting || 'Its import may not have started yet: this page looks again every few seconds.'}`
            : 'No import reports yet.'
        }</p>`
      : html`${view.entries.map(renderReport)}`;
  const refresh = importsPageRefreshes(view) ? html` data-refresh="${REFRESH_SECONDS}"` : '';
  const older = view.nextPage
    ? html`<p><a href="/imports?page=${view.nextPage}&amp;limit=${view.limit ?? 20}">Older imports</a></p>`
    : '';
  return layout(
    view.source ? `Import of ${view.source}` : 'Imports',
    'imports',
    chrome,
    html`<h1>${heading}</h1>${view.source ? html`<p><a href="/imports">All recent imports</a></p>` : ''}
<div id="imports-live"${refresh}>
${runningSection(view)}
${reports}
</div>${older}`,
  );
}
