import { describe, expect, it } from 'vitest';
import {
  type CountPoint,
  type HistoryRow,
  renderCountChart,
  renderHistoryTable,
  renderSparkline,
} from '../../../../functions/web/charts.ts';

const OPTIONS = { title: 'Count of widget at store s1', lowStockThreshold: 5, idPrefix: 'item-chart' };
const T0 = '2024-05-01T09:00:00.000Z';

function hoursAfter(start: string, hours: number): string {
  return new Date(Date.parse(start) + hours * 3_600_000).toISOString();
}

type ChartOverrides = Partial<typeof OPTIONS> & { width?: number };

function chartOf(points: readonly CountPoint[], now: string, overrides: ChartOverrides = {}) {
  return String(renderCountChart(points, { ...OPTIONS, ...overrides, now: new Date(now) }));
}

/** The plot area, read from the time axis (its baseline runs along the plot's bottom). */
function plotArea(svg: string) {
  const axis = /<g class="chart-axis" text-anchor="middle">\s*<path d="M([\d.]+) ([\d.]+)H([\d.]+)/.exec(svg);
  if (!axis) throw new Error('no time axis');
  return { left: Number(axis[1]), bottom: Number(axis[2]), right: Number(axis[3]) };
}

/** The step line as polylines: one per stretch without a removal. */
function stepLines(svg: string, className = 'chart-line'): [number, number][][] {
  const d = new RegExp(`<path class="${className}" d="([^"]*)"`).exec(svg)?.[1];
  if (d === undefined) throw new Error(`no ${className} path`);
  const lines: [number, number][][] = [];
  let x = 0;
  let y = 0;
  for (const [, command, args] of d.matchAll(/([MHV])([^MHV]*)/g)) {
    const numbers = (args ?? '')
      .trim()
      .split(/[\s,]+/)
      .map(Number);
    if (command === 'M') {
      [x = 0, y = 0] = numbers;
      lines.push([]);
    } else if (command === 'H') x = numbers[0] ?? 0;
    else y = numbers[0] ?? 0;
    lines.at(-1)?.push([x, y]);
  }
  return lines;
}

/** The y of the count axis's gridline labelled `label`. */
function gridY(svg: string, label: string): number {
  const text = new RegExp(`<text x="[\\d.]+" y="([\\d.]+)">${label}</text>`).exec(svg);
  if (!text) throw new Error(`no tick labelled ${label}`);
  return Number(text[1]) - 4;
}

function timeLabels(svg: string): { x: number; y: number; text: string }[] {
  const axis = /<g class="chart-axis" text-anchor="middle">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
  return [...axis.matchAll(/<text x="([\d.]+)" y="([\d.]+)">([^<]*)<\/text>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    text: m[3] ?? '',
  }));
}

/**
 * Asserts that the time labels stay inside a chart `width` wide and that no two in a row
 * overlap (a character is at most ~7.5 units wide at font-size 12); returns the tick count.
 */
function timeLabelsApart(svg: string, width: number): number {
  const rows = new Map<number, ReturnType<typeof timeLabels>>();
  for (const label of timeLabels(svg)) rows.set(label.y, [...(rows.get(label.y) ?? []), label]);
  for (const row of rows.values()) {
    row.forEach((label, index) => {
      const half = (label.text.length * 7.5) / 2;
      expect(label.x - half).toBeGreaterThanOrEqual(0);
      expect(label.x + half).toBeLessThanOrEqual(width);
      const next = row[index + 1];
      if (next) expect(next.x - label.x).toBeGreaterThan(half + (next.text.length * 7.5) / 2);
    });
  }
  return [...rows.values()][0]?.length ?? 0;
}

describe('the count chart', () => {
  it('puts count 0 at the bottom, the highest count at the top, the first change left and now right', () => {
    // Act
    const svg = chartOf(
      [
        { at: hoursAfter(T0, 2), count: 40 },
        { at: T0, count: 0 },
      ],
      hoursAfter(T0, 2),
    );

    // Assess: the points were sorted by time, so the line starts at 0 and rises to 40.
    const { left, bottom, right } = plotArea(svg);
    expect(stepLines(svg)).toEqual([
      [
        [left, bottom],
        [right, bottom],
        [right, gridY(svg, '40')],
        [right, gridY(svg, '40')],
      ],
    ]);
    expect(gridY(svg, '0')).toBe(bottom);
    expect(gridY(svg, '40')).toBeLessThan(bottom);
    expect(svg).toMatch(/^<figure class="chart">\s*<svg [^>]*viewBox="0 0 640 240" width="100%"/);
  });

  it('extends the last count to now, at the right edge', () => {
    // Act
    const svg = chartOf(
      [
        { at: T0, count: 40 },
        { at: hoursAfter(T0, 1), count: 10 },
      ],
      hoursAfter(T0, 4),
    );

    // Assess: the change an hour in sits a quarter of the way along a 4-hour axis.
    const { left, right, bottom } = plotArea(svg);
    const [line] = stepLines(svg);
    const changeX = Math.round((left + (right - left) / 4) * 10) / 10;
    expect(line?.[1]).toEqual([changeX, gridY(svg, '40')]);
    expect(line?.at(-1)).toEqual([right, expect.any(Number)]);
    // 10 of 40 sits a quarter of the way up.
    expect(line?.at(-1)?.[1]).toBeCloseTo(bottom - (bottom - gridY(svg, '40')) / 4, 1);
  });

  it('draws the low-stock line dashed at the threshold, labelled with it', () => {
    // Act
    const svg = chartOf([{ at: T0, count: 40 }], hoursAfter(T0, 1), { lowStockThreshold: 10 });

    // Assess
    const { left, right, bottom } = plotArea(svg);
    const top = gridY(svg, '40');
    const low = /<g class="chart-low">\s*<path d="M([\d.]+) ([\d.]+)H([\d.]+)"[^>]*stroke-dasharray=/.exec(
      svg,
    );
    expect(low?.slice(1).map(Number)).toEqual([left, expect.any(Number), right]);
    expect(Number(low?.[2])).toBeCloseTo(bottom - (bottom - top) / 4, 1);
    expect(svg).toContain('>Low (≤ 10)</text>');
    expect(gridY(svg, '10')).toBeCloseTo(Number(low?.[2]), 1);
  });

  it('keeps the low-stock line in view when every count is below it', () => {
    // Act
    const svg = chartOf([{ at: T0, count: 2 }], hoursAfter(T0, 1), { lowStockThreshold: 50 });

    // Assess
    const low = /<g class="chart-low">\s*<path d="M[\d.]+ ([\d.]+)H/.exec(svg);
    expect(Number(low?.[1])).toBeGreaterThan(0);
    expect(Number(low?.[1])).toBeLessThan(plotArea(svg).bottom);
  });

  it('says that nothing was recorded, without a chart, for an empty series', () => {
    // Act
    const out = chartOf([], T0);

    // Assess
    expect(out).toBe('<p class="empty">No changes recorded yet.</p>');
  });

  it('draws one point as a flat line from it to the right edge', () => {
    // Act
    const svg = chartOf([{ at: T0, count: 7 }], hoursAfter(T0, 24));

    // Assess
    const { left, right } = plotArea(svg);
    const [line, ...others] = stepLines(svg);
    expect(others).toEqual([]);
    expect(line).toEqual([
      [left, expect.any(Number)],
      [right, line?.[0]?.[1]],
    ]);
    expect(svg).toContain('since 2024-05-01 09:00 UTC: now 7, lowest 7, highest 7.');
  });

  it('gives points of one instant an hour-long axis', () => {
    // Act
    const svg = chartOf(
      [
        { at: T0, count: 3 },
        { at: T0, count: 9 },
        { at: T0, count: 5 },
      ],
      T0,
    );

    // Assess: the changes stack at the left edge; the last count runs an hour to the right.
    const { left, right } = plotArea(svg);
    const [line] = stepLines(svg);
    expect(line?.slice(0, -1).every(([x]) => x === left)).toBe(true);
    expect(line?.at(-1)?.[0]).toBe(right);
    const labels = timeLabels(svg).map((label) => label.text);
    expect(labels).toEqual(['09:00', '1 May 2024', '09:15', '09:30', '09:45', '10:00']);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('gives all-zero counts a scale with a height', () => {
    // Act
    const svg = chartOf(
      [
        { at: T0, count: 0 },
        { at: hoursAfter(T0, 1), count: 0 },
      ],
      hoursAfter(T0, 2),
      { lowStockThreshold: 0 },
    );

    // Assess
    const { bottom } = plotArea(svg);
    expect(gridY(svg, '1')).toBeLessThan(bottom);
    expect(stepLines(svg)[0]?.every(([, y]) => y === bottom)).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity/);
    // Only the first 0 is a run-out: 0 → 0 is a re-import, as for the alerts.
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg).toContain('now 0, lowest 0 (out of stock 1 time), highest 0.');
  });

  it('draws equal counts as one flat line at the top of the scale', () => {
    // Act
    const svg = chartOf(
      [
        { at: T0, count: 30 },
        { at: hoursAfter(T0, 1), count: 30 },
      ],
      hoursAfter(T0, 2),
    );

    // Assess
    const ys = new Set(stepLines(svg)[0]?.map(([, y]) => y));
    expect([...ys]).toEqual([gridY(svg, '30')]);
    expect(gridY(svg, '30')).toBeLessThan(gridY(svg, '0'));
  });

  it('leaves a gap where the item was removed, and marks each run-out on the axis', () => {
    // Act
    const svg = chartOf(
      [
        { at: T0, count: 10 },
        { at: hoursAfter(T0, 1), count: 0 },
        { at: hoursAfter(T0, 2), count: 6 },
        { at: hoursAfter(T0, 3), count: undefined },
        { at: hoursAfter(T0, 4), count: 4 },
        { at: hoursAfter(T0, 5), count: 0 },
      ],
      hoursAfter(T0, 6),
    );

    // Assess: two stretches, the first ending where the removal is, the second starting at the re-add.
    const { left, right, bottom } = plotArea(svg);
    const x = (hours: number) => Math.round((left + ((right - left) * hours) / 6) * 10) / 10;
    const lines = stepLines(svg);
    expect(lines).toHaveLength(2);
    expect(lines[0]?.at(-1)).toEqual([x(3), expect.any(Number)]);
    expect(lines[1]?.[0]).toEqual([x(4), expect.any(Number)]);
    expect(lines[1]?.at(-1)).toEqual([right, bottom]);
    // Dots where it ran out only: not where it came back (6) nor where it was removed.
    const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(dots).toEqual([
      [x(1), bottom],
      [x(5), bottom],
    ]);
    expect(svg).toContain(
      '<desc id="item-chart-desc">Count of widget at store s1 from 2024-05-01 09:00 UTC to 2024-05-01 14:00 UTC: now 0, lowest 0 (out of stock 2 times), highest 10.</desc>',
    );
    expect(svg).toContain('a gap is a time it was removed');
  });

  it('skips points without a usable time, and says when the item is removed now', () => {
    // Act
    const svg = chartOf(
      [
        { at: 'yesterday', count: 99 },
        { at: '+275760-09-13T00:00:00.000Z', count: 99 },
        { at: T0, count: 8 },
        { at: hoursAfter(T0, 1), count: undefined },
      ],
      hoursAfter(T0, 2),
    );

    // Assess
    expect(svg).toContain(
      'from 2024-05-01 09:00 UTC to 2024-05-01 10:00 UTC: now removed, lowest 8, highest 8.</desc>',
    );
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('treats a negative count as 0', () => {
    // Act
    const svg = chartOf(
      [
        { at: T0, count: 5 },
        { at: hoursAfter(T0, 1), count: -3 },
      ],
      hoursAfter(T0, 2),
    );

    // Assess
    expect(stepLines(svg)[0]?.at(-1)?.[1]).toBe(plotArea(svg).bottom);
    expect(svg).toContain('now 0, lowest 0 (out of stock 1 time), highest 5.');
  });

  it('scales counts up to Number.MAX_SAFE_INTEGER, labels whole, with room for the labels', () => {
    // Act
    const svg = chartOf(
      [
        { at: T0, count: Number.MAX_SAFE_INTEGER },
        { at: hoursAfter(T0, 1), count: 1 },
      ],
      hoursAfter(T0, 2),
    );

    // Assess
    const { left } = plotArea(svg);
    expect(svg).toContain('>8,000,000,000,000,000</text>');
    expect(svg).toContain('highest 9,007,199,254,740,991.');
    // Each count label ends left of the plot; its characters (≤ 7.5 units each) start inside the chart.
    for (const [, x, text] of svg.matchAll(/<text x="([\d.]+)" y="[\d.]+">([\d,]+)<\/text>/g)) {
      expect(Number(x) - (text ?? '').length * 7.5).toBeGreaterThanOrEqual(0);
      expect(Number(x)).toBeLessThan(left);
    }
    expect(stepLines(svg)[0]?.[0]?.[1]).toBeLessThan(gridY(svg, '8,000,000,000,000,000'));
    expect(svg).not.toMatch(/NaN|Infinity|e\+/);
  });

  it.each([
    ['an hour', 1],
    ['a day', 24],
    ['13 days', 13 * 24],
    ['three months', 92 * 24],
    ['three years', 3 * 365 * 24],
  ])('labels %s with 3 to 6 time ticks that do not overlap at 640 px', (_span, hours) => {
    // Act: a count too large for a narrow count axis, too.
    for (const count of [40, Number.MAX_SAFE_INTEGER]) {
      const svg = chartOf([{ at: T0, count }], hoursAfter(T0, hours));

      // Assess
      const ticks = timeLabelsApart(svg, 640);
      expect(ticks).toBeGreaterThanOrEqual(3);
      expect(ticks).toBeLessThanOrEqual(6);
    }
  });

  it.each([
    ['an hour', 1],
    ['four hours', 4],
    ['a day', 24],
    ['13 days', 13 * 24],
    ['three months', 92 * 24],
    ['three years', 3 * 365 * 24],
    ['forty years', 40 * 365 * 24],
  ])('lays out %s for a 360-unit phone chart: 2 to 4 time ticks apart, counts in view', (_span, hours) => {
    for (const count of [40, Number.MAX_SAFE_INTEGER]) {
      // Act
      const svg = chartOf(
        [
          { at: T0, count },
          { at: hoursAfter(T0, hours / 2), count: 0 },
        ],
        hoursAfter(T0, hours),
        { width: 360 },
      );

      // Assess: the plot ends the same margin from the right as at 640; the last step reaches it.
      expect(svg).toMatch(/^<figure class="chart">\s*<svg [^>]*viewBox="0 0 360 240" width="100%"/);
      const { left, right, bottom } = plotArea(svg);
      expect(right).toBe(344);
      expect(stepLines(svg).at(-1)?.at(-1)).toEqual([right, bottom]);
      const ticks = timeLabelsApart(svg, 360);
      expect(ticks).toBeGreaterThanOrEqual(count === 40 ? 2 : 1);
      expect(ticks).toBeLessThanOrEqual(4);
      const countAxis = /<g class="chart-axis" text-anchor="end">(.*?)<\/g>/.exec(svg)?.[1] ?? '';
      const counts = [...countAxis.matchAll(/<text x="([\d.]+)" y="[\d.]+">([\d,]+)<\/text>/g)];
      expect(counts.length).toBeGreaterThanOrEqual(2);
      for (const [, x, text] of counts) {
        expect(Number(x) - (text ?? '').length * 7.5).toBeGreaterThanOrEqual(0);
        expect(Number(x)).toBeLessThan(left);
      }
      expect(svg).not.toMatch(/style=|NaN|Infinity/);
    }
  });

  it('is 640 units wide unless told otherwise, and holds a width to 320–1280 whole units', () => {
    // Act
    const points = [{ at: T0, count: 7 }];
    const now = hoursAfter(T0, 3);
    const plain = chartOf(points, now);

    // Assess
    expect(plain).toMatch(/<svg [^>]*viewBox="0 0 640 240"/);
    expect(plotArea(plain).right).toBe(624);
    expect(chartOf(points, now, { width: 640 })).toBe(plain);
    expect(chartOf(points, now, { width: Number.NaN })).toBe(plain);
    expect(chartOf(points, now, { width: 100 })).toMatch(/<svg [^>]*viewBox="0 0 320 240"/);
    expect(chartOf(points, now, { width: 5000 })).toMatch(/<svg [^>]*viewBox="0 0 1280 240"/);
    expect(chartOf(points, now, { width: 400.4 })).toMatch(/<svg [^>]*viewBox="0 0 400 240"/);
    const wide = chartOf(points, now, { width: 1280, idPrefix: 'wide' });
    expect(plotArea(wide).right).toBe(1264);
    expect(timeLabelsApart(wide, 1280)).toBeLessThanOrEqual(6);
    expect(wide).toMatch(/aria-labelledby="wide-title" aria-describedby="wide-desc"/);
  });

  it('labels times in UTC on round boundaries', () => {
    // Act
    const days = chartOf([{ at: '2024-02-27T22:30:00Z', count: 1 }], '2024-03-04T01:00:00Z');
    const months = chartOf([{ at: '2023-11-15T00:00:00Z', count: 1 }], '2024-04-20T00:00:00Z');

    // Assess
    expect(timeLabels(days).map((label) => label.text)).toEqual([
      '28 Feb',
      '2024',
      '29 Feb',
      '1 Mar',
      '2 Mar',
      '3 Mar',
      '4 Mar',
    ]);
    expect(timeLabels(months).map((label) => label.text)).toEqual([
      'Dec',
      '2023',
      'Jan',
      '2024',
      'Feb',
      'Mar',
      'Apr',
    ]);
  });

  it('escapes a hostile title everywhere it appears', () => {
    // Act
    const svg = chartOf([{ at: T0, count: 1 }], T0, { title: '<script>alert(1)</script>' });

    // Assess
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('<title id="item-chart-title">&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(svg).toContain('<desc id="item-chart-desc">&lt;script&gt;alert(1)&lt;/script&gt; since');
    expect(svg).toContain('<figcaption>&lt;script&gt;alert(1)&lt;/script&gt;. Times are UTC;');
  });

  it('is an image named by its title and described by its desc, with ids from the prefix', () => {
    // Act
    const svg = chartOf([{ at: T0, count: 1 }], T0, { idPrefix: 'chart-2' });

    // Assess
    expect(svg).toMatch(
      /<svg [^>]*role="img" aria-labelledby="chart-2-title" aria-describedby="chart-2-desc"/,
    );
    const ids = [...svg.matchAll(/ id="([^"]*)"/g)].map((m) => m[1]);
    expect(ids).toEqual(['chart-2-title', 'chart-2-desc']);
  });

  it('has no style attribute, no fixed text colour and no coordinate finer than one decimal', () => {
    // Act
    const svg = chartOf(
      [
        { at: T0, count: 7 },
        { at: hoursAfter(T0, 1 / 3), count: 3 },
        { at: hoursAfter(T0, 2 / 3), count: 0 },
      ],
      hoursAfter(T0, 1),
    );

    // Assess
    expect(svg).not.toMatch(/style=/);
    expect(svg).toMatch(/<svg [^>]*fill="currentColor"/);
    expect(svg).not.toMatch(/(fill|stroke)="#/);
    expect(svg).not.toMatch(/\d\.\d\d/);
  });
});

describe('the sparkline', () => {
  it('is empty for an empty series', () => {
    // Act
    const out = renderSparkline([], { now: new Date(T0) });

    // Assess
    expect(String(out)).toBe('');
  });

  it('is a hidden 100×24 step line to now with a dot at the count now', () => {
    // Act
    const out = String(
      renderSparkline(
        [
          { at: hoursAfter(T0, 1), count: 0 },
          { at: T0, count: 8 },
        ],
        { now: new Date(hoursAfter(T0, 2)) },
      ),
    );

    // Assess
    expect(out).toMatch(/^<svg class="sparkline" viewBox="0 0 100 24" [^>]*aria-hidden="true">/);
    expect(out).not.toMatch(/style=|<text|<title/);
    const d = /<path d="([^"]*)"/.exec(out)?.[1];
    expect(d).toBe('M2.5 2.5H50V21.5H97.5');
    expect(out).toContain('<circle cx="97.5" cy="21.5" r="2"');
  });

  it('has no dot when the item is removed now', () => {
    // Act
    const out = String(
      renderSparkline(
        [
          { at: T0, count: 8 },
          { at: hoursAfter(T0, 1), count: undefined },
        ],
        { now: new Date(hoursAfter(T0, 2)) },
      ),
    );

    // Assess
    expect(/<path d="([^"]*)"/.exec(out)?.[1]).toBe('M2.5 2.5H50');
    expect(out).not.toContain('<circle');
  });
});

describe('the history table', () => {
  const rows: HistoryRow[] = [
    { at: '2024-05-01T09:00:00Z', count: 12 },
    { at: '2024-05-03T09:00:00Z', count: 0, previousCount: 4, transition: 'out_of_stock' },
    { at: '2024-05-02T09:00:00Z', count: 4, previousCount: 12 },
    { at: '2024-05-05T09:00:00Z', count: undefined, previousCount: 1_500 },
    { at: '2024-05-04T09:00:00Z', count: 1_500, previousCount: 0, transition: 'back_in_stock' },
    { at: '2024-05-06T09:00:00Z', count: 7 },
  ];

  it('lists the changes newest first, with what changed and the stock transitions', () => {
    // Act
    const out = String(renderHistoryTable(rows, { caption: 'Every recorded change of <b>' }));

    // Assess
    const body = /<tbody>([\s\S]*)<\/tbody>/.exec(out)?.[1] ?? '';
    const cells = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
      [...(row[1] ?? '').matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
        (cell[1] ?? '').replace(/<[^>]*>/g, '').trim(),
      ),
    );
    expect(cells).toEqual([
      ['2024-05-06 09:00 UTC', '7', 'first count', ''],
      ['2024-05-05 09:00 UTC', '—', 'removed', ''],
      ['2024-05-04 09:00 UTC', '1,500', '+1,500', '✓ Back in stock'],
      ['2024-05-03 09:00 UTC', '0', '−4', '● Out of stock'],
      ['2024-05-02 09:00 UTC', '4', '−8', ''],
      ['2024-05-01 09:00 UTC', '12', 'first count', ''],
    ]);
    expect(body).toContain('<th scope="row"><time datetime="2024-05-06T09:00:00.000Z">');
    expect(out).toContain('<caption>Every recorded change of &lt;b&gt;</caption>');
    expect(out).toContain('<th scope="col">When (UTC)</th>');
    expect(out).not.toMatch(/style=/);
  });

  it('says no change for a re-import of the same count, and nothing recorded for no rows', () => {
    // Act
    const same = String(renderHistoryTable([{ at: T0, count: 3, previousCount: 3 }], { caption: 'Changes' }));
    const none = String(renderHistoryTable([], { caption: 'Changes' }));

    // Assess
    expect(same).toContain('<td class="num">no change</td>');
    expect(none).toBe('<p class="empty">No changes recorded yet.</p>');
  });
});
