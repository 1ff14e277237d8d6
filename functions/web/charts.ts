import { classifyStockTransition } from '#shared/stock/transitions.ts';
import { CHAR_WIDTH, countTicks, FONT_SIZE, HOUR, timeTicks } from './chart-ticks.ts';
import { html, type SafeHtml } from './html.ts';
import { formatNumber, formatTimestamp } from './page-layout.ts';

/**
 * An item's count over time, drawn on the server as SVG: no script, and nothing that the CSP
 * (`style-src 'self'`) would block — colours are presentation attributes (`currentColor`, so
 * that text follows the page's dark mode) that the stylesheet's classes refine.
 */

export interface CountPoint {
  /** ISO 8601. */
  at: string;
  /** undefined: the item was removed at that time. */
  count: number | undefined;
}

export interface HistoryRow extends CountPoint {
  previousCount?: number;
  transition?: 'out_of_stock' | 'back_in_stock';
}

/** A point ready to draw: its time in ms, its count clamped to [0, MAX_SAFE_INTEGER]. */
type Step = { at: number; count: number | undefined };
type Box = { left: number; right: number; top: number; bottom: number };
type Scale = Box & { x(at: number): number; y(count: number): number };

/** The chart's width in viewBox units when the page names none, and the widths it may name. */
const WIDTH = { default: 640, min: 320, max: 1280 } as const;
const CHART_HEIGHT = 240;
const MARGIN = { top: 20, right: 16, bottom: 36, minLeft: 48 } as const;
const SPARK_WIDTH = 100;
const SPARK_HEIGHT = 24;
const SPARK_PAD = 2.5;
/** An hour short of the last time a Date can hold (ECMA-262 §21.4.1.1): the axis may add one. */
const LAST_TIME = 8.64e15 - HOUR;

/** One decimal is finer than a pixel at any size the page shows the chart. */
function r(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function stepsOf(points: readonly CountPoint[]): Step[] {
  const steps: Step[] = [];
  for (const point of points) {
    const at = Date.parse(point.at);
    if (Number.isNaN(at) || Math.abs(at) > LAST_TIME) continue;
    const count =
      point.count === undefined || !Number.isFinite(point.count)
        ? undefined
        : Math.min(Math.max(point.count, 0), Number.MAX_SAFE_INTEGER);
    steps.push({ at, count });
  }
  return steps.sort((a, b) => a.at - b.at);
}

/** From the first change to now; a series of one instant gets an hour, so it has a width. */
function timeSpan(steps: readonly Step[], now: Date): { start: number; end: number } {
  const start = steps[0]?.at ?? 0;
  const last = steps.at(-1)?.at ?? start;
  const end = Math.max(last, Number.isNaN(now.getTime()) ? last : now.getTime());
  return { start, end: last === start ? Math.max(end, start + HOUR) : end };
}

function highestCount(steps: readonly Step[]): number {
  return steps.reduce((high, step) => Math.max(high, step.count ?? 0), 0);
}

function scaleOf(box: Box, span: { start: number; end: number }, topCount: number): Scale {
  return {
    ...box,
    x: (at) => box.left + ((at - span.start) / (span.end - span.start)) * (box.right - box.left),
    y: (count) => box.bottom - (count / topCount) * (box.bottom - box.top),
  };
}

/** The step line: a count holds until the next change; a removal leaves a gap until a count. */
function stepPath(steps: readonly Step[], scale: Scale): string {
  let path = '';
  let penDown = false;
  steps.forEach((step, index) => {
    if (step.count === undefined) {
      penDown = false;
      return;
    }
    const x = r(scale.x(step.at));
    const y = r(scale.y(step.count));
    path += penDown ? `V${y}` : `M${x} ${y}`;
    const next = steps[index + 1];
    path += `H${r(next ? scale.x(next.at) : scale.right)}`;
    penDown = true;
  });
  return path;
}

/** The steps where the item ran out, by the alerts' own rule (so chart and alerts agree). */
function outOfStockSteps(steps: readonly Step[]): Step[] {
  const image = (count: number | undefined) => (count === undefined ? undefined : { count });
  return steps.filter(
    (step, index) =>
      classifyStockTransition(image(steps[index - 1]?.count), image(step.count)) === 'out_of_stock',
  );
}

function timeAxis(scale: Scale, span: { start: number; end: number }, width: number): SafeHtml {
  const ticks = timeTicks(span, scale, width);
  const marks = ticks.map((tick) => `M${r(scale.x(tick.at))} ${r(scale.bottom)}v4`).join('');
  const labels = ticks.map(({ label, context }) => {
    const under = context
      ? html`<text x="${r(context.x)}" y="${r(scale.bottom + 30)}">${context.text}</text>`
      : '';
    return html`<text x="${r(label.x)}" y="${r(scale.bottom + 16)}">${label.text}</text>${under}`;
  });
  return html`<g class="chart-axis" text-anchor="middle">
<path d="M${r(scale.left)} ${r(scale.bottom)}H${r(scale.right)}${marks}" stroke="currentColor" fill="none"/>
${labels}
</g>`;
}

function countAxis(scale: Scale, ticks: readonly number[]): SafeHtml {
  const grid = ticks.map((tick) => `M${r(scale.left)} ${r(scale.y(tick))}H${r(scale.right)}`).join('');
  const labels = ticks.map(
    (tick) => html`<text x="${r(scale.left - 6)}" y="${r(scale.y(tick) + 4)}">${formatNumber(tick)}</text>`,
  );
  return html`<path class="chart-grid" d="${grid}" stroke="currentColor" stroke-opacity="0.2" fill="none"/>
<g class="chart-axis" text-anchor="end">${labels}</g>`;
}

function thresholdLine(scale: Scale, threshold: number, shown: number): SafeHtml {
  const y = scale.y(shown);
  return html`<g class="chart-low">
<path d="M${r(scale.left)} ${r(y)}H${r(scale.right)}" stroke="currentColor" stroke-width="1.5" stroke-dasharray="6 4" fill="none"/>
<text x="${r(scale.right)}" y="${r(y - 4)}" text-anchor="end">Low (≤ ${formatNumber(threshold)})</text>
</g>`;
}

function plainTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The text alternative: the same facts as the picture, in one sentence. */
function describe(title: string, steps: readonly Step[], outTimes: number): string {
  const first = plainTime(steps[0]?.at ?? 0);
  const last = plainTime(steps.at(-1)?.at ?? 0);
  const when = first === last ? `since ${first}` : `from ${first} to ${last}`;
  const counts = steps.flatMap((step) => (step.count === undefined ? [] : [step.count]));
  if (counts.length === 0) return `${title} ${when}: removed, with no count recorded.`;
  const current = steps.at(-1)?.count;
  const now = current === undefined ? 'removed' : formatNumber(current);
  const out = outTimes > 0 ? ` (out of stock ${outTimes} ${outTimes === 1 ? 'time' : 'times'})` : '';
  const lowest = formatNumber(counts.reduce((low, count) => Math.min(low, count)));
  return `${title} ${when}: now ${now}, lowest ${lowest}${out}, highest ${formatNumber(highestCount(steps))}.`;
}

function caption(title: string, threshold: number, outTimes: number, removals: number): string {
  const notes = [`the dashed line marks low stock (${formatNumber(threshold)} or fewer)`];
  if (outTimes > 0) notes.push('dots mark each time it ran out');
  if (removals > 0) notes.push('a gap is a time it was removed');
  return `${title}. Times are UTC; ${notes.join('; ')}.`;
}

/** A width the layout can hold: whole units, clamped to WIDTH's range (a typo must not break a page). */
function chartWidth(width: number | undefined): number {
  if (width === undefined || !Number.isFinite(width)) return WIDTH.default;
  return Math.round(Math.min(Math.max(width, WIDTH.min), WIDTH.max));
}

/**
 * The item page's chart: the count as a step line to `now`, the low-stock line, the run-outs.
 * `width` (viewBox units, 320–1280, default 640; the height stays 240) lays the chart out for
 * the width it is shown at, so that its 12-unit text stays near 12 px on a narrow screen.
 */
export function renderCountChart(
  points: readonly CountPoint[],
  options: { title: string; lowStockThreshold: number; now: Date; idPrefix: string; width?: number },
): SafeHtml {
  const steps = stepsOf(points);
  if (steps.length === 0) return html`<p class="empty">No changes recorded yet.</p>`;
  const threshold = Number.isFinite(options.lowStockThreshold) ? options.lowStockThreshold : 0;
  const shownThreshold = Math.min(Math.max(threshold, 0), Number.MAX_SAFE_INTEGER);
  // The scale starts at 0 (a run-out sits on the axis) and reaches the threshold, so its line
  // is always in view; an all-zero series still gets a height.
  const topCount = Math.max(highestCount(steps), shownThreshold, 1);
  const ticks = countTicks(topCount);
  const widestLabel = Math.max(...ticks.map((tick) => formatNumber(tick).length));
  const left = Math.max(MARGIN.minLeft, widestLabel * CHAR_WIDTH + 12);
  const span = timeSpan(steps, options.now);
  const width = chartWidth(options.width);
  const box = {
    left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: CHART_HEIGHT - MARGIN.bottom,
  };
  const scale = scaleOf(box, span, topCount);
  const outs = outOfStockSteps(steps);
  const dots = outs.map((step) => html`<circle cx="${r(scale.x(step.at))}" cy="${r(scale.y(0))}" r="4"/>`);
  const removals = steps.filter((step) => step.count === undefined).length;
  const id = options.idPrefix;
  return html`<figure class="chart">
<svg class="count-chart" viewBox="0 0 ${width} ${CHART_HEIGHT}" width="100%" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" fill="currentColor" font-size="${FONT_SIZE}">
<title id="${id}-title">${options.title}</title>
<desc id="${id}-desc">${describe(options.title, steps, outs.length)}</desc>
${countAxis(scale, ticks)}
${timeAxis(scale, span, width)}
${thresholdLine(scale, threshold, shownThreshold)}
<path class="chart-line" d="${stepPath(steps, scale)}" stroke="currentColor" stroke-width="2" fill="none"/>
${outs.length > 0 ? html`<g class="chart-out">${dots}</g>` : ''}
</svg>
<figcaption>${caption(options.title, threshold, outs.length, removals)}</figcaption>
</figure>`;
}

/** A table cell's sparkline: the step line and a dot at its end (the count now). */
export function renderSparkline(points: readonly CountPoint[], options: { now: Date }): SafeHtml {
  const steps = stepsOf(points);
  if (steps.length === 0) return html``;
  const box = {
    left: SPARK_PAD,
    right: SPARK_WIDTH - SPARK_PAD,
    top: SPARK_PAD,
    bottom: SPARK_HEIGHT - SPARK_PAD,
  };
  const scale = scaleOf(box, timeSpan(steps, options.now), Math.max(highestCount(steps), 1));
  const current = steps.at(-1)?.count;
  const dot =
    current === undefined
      ? ''
      : html`<circle cx="${r(scale.right)}" cy="${r(scale.y(current))}" r="2" fill="currentColor"/>`;
  return html`<svg class="sparkline" viewBox="0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}" width="${SPARK_WIDTH}" height="${SPARK_HEIGHT}" aria-hidden="true">
<path d="${stepPath(steps, scale)}" stroke="currentColor" stroke-width="1.5" fill="none"/>${dot}</svg>`;
}

function changeText(row: HistoryRow): string {
  if (row.count === undefined) return 'removed';
  if (row.previousCount === undefined) return 'first count';
  const change = row.count - row.previousCount;
  if (change === 0) return 'no change';
  // U+2212, the minus sign, not a hyphen: screen readers say "minus".
  return `${change > 0 ? '+' : '−'}${formatNumber(Math.abs(change))}`;
}

const TRANSITION_BADGES: Record<NonNullable<HistoryRow['transition']>, SafeHtml> = {
  out_of_stock: html`<span class="badge badge-out"><span class="icon" aria-hidden="true">●</span> Out of stock</span>`,
  back_in_stock: html`<span class="badge badge-in"><span class="icon" aria-hidden="true">✓</span> Back in stock</span>`,
};

function instantOf(row: HistoryRow): number {
  const at = Date.parse(row.at);
  return Number.isNaN(at) ? Number.NEGATIVE_INFINITY : at;
}

/** The changes as a table, newest first (the same facts as the chart, for reading and copying). */
export function renderHistoryTable(rows: readonly HistoryRow[], options: { caption: string }): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">No changes recorded yet.</p>`;
  const newestFirst = [...rows].sort((a, b) => instantOf(b) - instantOf(a) || 0);
  const body = newestFirst.map(
    (row) => html`<tr>
<th scope="row">${formatTimestamp(row.at)}</th>
<td class="num">${formatNumber(row.count)}</td>
<td class="num">${changeText(row)}</td>
<td>${row.transition ? TRANSITION_BADGES[row.transition] : ''}</td>
</tr>`,
  );
  return html`<div class="table-wrap" role="region" aria-label="${options.caption}" tabindex="0">
<table class="history cards">
<caption>${options.caption}</caption>
<thead><tr>
<th scope="col">When (UTC)</th><th scope="col" class="num">Count</th><th scope="col" class="num">Change</th>
<th scope="col">Stock</th>
</tr></thead>
<tbody>
${body}
</tbody>
</table>
</div>`;
}
