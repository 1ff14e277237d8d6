import { describe, expect, it } from 'vitest';
import {
  CHAR_WIDTH,
  countTicks,
  type PlacedLabel,
  timeTicks,
} from '../../../../functions/web/chart-ticks.ts';

const T0 = Date.parse('2024-05-01T09:00:00.000Z');
const HOUR = 3_600_000;

/** The chart's plot: from `left` to 16 units short of the chart's right edge. */
function plotOf(start: number, end: number, left: number, width: number) {
  const right = width - 16;
  return { left, right, x: (at: number) => left + ((at - start) / (end - start)) * (right - left) };
}

function expectApart(row: readonly PlacedLabel[], width: number) {
  row.forEach((label, index) => {
    const half = (label.text.length * CHAR_WIDTH) / 2;
    expect(label.x - half).toBeGreaterThanOrEqual(0);
    expect(label.x + half).toBeLessThanOrEqual(width);
    const next = row[index + 1];
    // At least a character's width between two labels.
    if (next)
      expect(next.x - label.x).toBeGreaterThanOrEqual(half + (next.text.length * CHAR_WIDTH) / 2 + 7.5);
  });
}

describe('count ticks', () => {
  it('are whole numbers from 0 in nice steps, at most 6 of them', () => {
    // Act
    const small = countTicks(40);
    const one = countTicks(1);
    const huge = countTicks(Number.MAX_SAFE_INTEGER);

    // Assess
    expect(small).toEqual([0, 10, 20, 30, 40]);
    expect(one).toEqual([0, 1]);
    expect(huge).toEqual([0, 2e15, 4e15, 6e15, 8e15]);
  });
});

describe('time ticks', () => {
  const spans = [1 / 60, 1, 4, 15, 24, 30, 13 * 24, 92 * 24, 3 * 365 * 24, 40 * 365 * 24];
  // A count axis for two digits, and one for 9,007,199,254,740,991's 21 characters.
  const lefts = [48, 169.5];

  it.each([320, 360, 640, 1280])(
    'fit a %i-unit chart: labels apart in each row, at most one per 90 units',
    (width) => {
      for (const hours of spans) {
        for (const left of lefts) {
          // Act
          const end = T0 + hours * HOUR;
          const ticks = timeTicks({ start: T0, end }, plotOf(T0, end, left, width), width);

          // Assess
          expect(ticks.length).toBeGreaterThanOrEqual(1);
          expect(ticks.length).toBeLessThanOrEqual(Math.min(6, Math.floor(width / 90)));
          expect(ticks.every((tick) => tick.at >= T0 && tick.at <= end)).toBe(true);
          expectApart(
            ticks.map((tick) => tick.label),
            width,
          );
          expectApart(
            ticks.flatMap((tick) => (tick.context ? [tick.context] : [])),
            width,
          );
        }
      }
    },
  );

  it('give a phone chart 3 or 4 ticks where nice units allow it', () => {
    // Act
    const hour = timeTicks({ start: T0, end: T0 + HOUR }, plotOf(T0, T0 + HOUR, 48, 360), 360);
    const end = Date.parse('2027-05-01T09:00:00.000Z');
    const years = timeTicks({ start: T0, end }, plotOf(T0, end, 169.5, 360), 360);

    // Assess
    expect(hour.map((tick) => tick.label.text)).toEqual(['09:00', '09:30', '10:00']);
    expect(hour.map((tick) => tick.context?.text)).toEqual(['1 May 2024', undefined, undefined]);
    expect(years.map((tick) => tick.label.text)).toEqual(['2025', '2026', '2027']);
  });

  it('take a coarser unit where the dates under two neighbouring ticks would touch', () => {
    // Act: 12-hourly ticks would put "1 May 2024" and "2 May 2024" 67 units apart.
    const end = T0 + 24 * HOUR;
    const ticks = timeTicks({ start: T0, end }, plotOf(T0, end, 169.5, 320), 320);

    // Assess
    expect(ticks.map((tick) => [tick.label.text, tick.context?.text])).toEqual([['2 May', '2024']]);
  });

  it('label the start of points a few milliseconds apart, between two whole seconds', () => {
    // Act
    const start = T0 + 100;
    const ticks = timeTicks({ start, end: start + 2 }, plotOf(start, start + 2, 48, 640), 640);

    // Assess
    expect(ticks).toEqual([
      { at: start, label: { x: 48, text: '09:00:00' }, context: { x: 48, text: '1 May 2024' } },
    ]);
  });
});
