/**
 * Where the count chart's axes put their ticks and labels, for a chart of a given width. A
 * server cannot measure text, so a label's width is estimated from its length in characters.
 */

export const FONT_SIZE = 12;
// The advance of a character at FONT_SIZE in a wide system UI font (a DejaVu Sans digit is
// 7.6 px, most letters less).
export const CHAR_WIDTH = 7.5;
// At most one time tick per this much chart width (4 on a 360-unit phone chart, 6 from 540 up):
// as many as a reader takes in at a glance. Whether their labels fit is checked apart.
const WIDTH_PER_TICK = 90;
const MAX_TICKS = 6;
/** The least space between two labels of a row, so that they read as two. */
const LABEL_GAP = CHAR_WIDTH;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 1970-01-05, the first Monday after the epoch: weekly ticks fall on Mondays. */
const MONDAY = 4 * DAY;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A label's centre; its text is centred on it (text-anchor="middle"). */
export interface PlacedLabel {
  x: number;
  text: string;
}

export interface TimeTick {
  at: number;
  label: PlacedLabel;
  /** The date (or year) under the first tick and wherever it changes. */
  context: PlacedLabel | undefined;
}

/** The plot's horizontal extent and its time scale, in the chart's units. */
export interface TimePlot {
  left: number;
  right: number;
  x(at: number): number;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function* niceSteps(): Generator<number> {
  for (let magnitude = 1; ; magnitude *= 10) {
    yield magnitude;
    yield 2 * magnitude;
    yield 5 * magnitude;
  }
}

/** Whole-number ticks from 0 to at most `top`, no more than MAX_TICKS of them. */
export function countTicks(top: number): number[] {
  let step = 1;
  for (const candidate of niceSteps()) {
    step = candidate;
    if (Math.floor(top / candidate) + 1 <= MAX_TICKS) break;
  }
  const ticks: number[] = [];
  for (let value = 0; value <= top; value += step) ticks.push(value);
  return ticks;
}

type TimeFormat = 'seconds' | 'minutes' | 'days' | 'months' | 'years';
type TimeUnit = { ms: number; offset: number; format: TimeFormat } | { months: number; format: TimeFormat };

function* timeUnits(): Generator<TimeUnit> {
  for (const s of [1, 2, 5, 10, 15, 30]) yield { ms: s * SECOND, offset: 0, format: 'seconds' };
  for (const m of [1, 2, 5, 10, 15, 30]) yield { ms: m * MINUTE, offset: 0, format: 'minutes' };
  for (const h of [1, 2, 3, 6, 12]) yield { ms: h * HOUR, offset: 0, format: 'minutes' };
  yield* [1, 2, 3].map((d) => ({ ms: d * DAY, offset: 0, format: 'days' as const }));
  yield* [7, 14].map((d) => ({ ms: d * DAY, offset: MONDAY, format: 'days' as const }));
  yield* [1, 2, 3, 6].map((months) => ({ months, format: 'months' as const }));
  for (const years of niceSteps()) yield { months: 12 * years, format: 'years' };
}

function monthIndex(at: number): number {
  const date = new Date(at);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/** Midnight UTC on the 1st of a month counted from year 0 (not Date.UTC: it maps 0–99 to 19xx). */
function monthStart(month: number): number {
  const year = Math.floor(month / 12);
  return new Date(0).setUTCFullYear(year, month - year * 12, 1);
}

/** The unit's tick instants in [start, end], or undefined once there would be more than `max`. */
function tickInstants(unit: TimeUnit, start: number, end: number, max: number): number[] | undefined {
  const instants: number[] = [];
  if ('ms' in unit) {
    const first = Math.ceil((start - unit.offset) / unit.ms) * unit.ms + unit.offset;
    if ((end - first) / unit.ms >= max) return undefined;
    for (let at = first; at <= end; at += unit.ms) instants.push(at);
    return instants;
  }
  const startMonth = monthIndex(start);
  const first =
    Math.ceil((monthStart(startMonth) === start ? startMonth : startMonth + 1) / unit.months) * unit.months;
  const last = monthIndex(end);
  if ((last - first) / unit.months >= max) return undefined;
  for (let month = first; month <= last; month += unit.months) instants.push(monthStart(month));
  return instants;
}

function timeLabel(at: number, format: TimeFormat): { text: string; context: string } {
  const iso = new Date(at).toISOString();
  const date = new Date(at);
  const year = String(date.getUTCFullYear());
  const day = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
  if (format === 'seconds') return { text: iso.slice(11, 19), context: `${day} ${year}` };
  if (format === 'minutes') return { text: iso.slice(11, 16), context: `${day} ${year}` };
  if (format === 'days') return { text: day, context: year };
  if (format === 'months') return { text: MONTHS[date.getUTCMonth()] ?? '', context: year };
  return { text: year, context: '' };
}

/** A label centred under its tick, moved inwards where it would cross the chart's edge. */
function centred(x: number, text: string, width: number): PlacedLabel {
  const half = Math.ceil((text.length * CHAR_WIDTH) / 2);
  return { x: round(Math.min(Math.max(x, half), width - half)), text };
}

function placed(instants: readonly number[], format: TimeFormat, plot: TimePlot, width: number): TimeTick[] {
  let previous = '';
  return instants.map((at) => {
    const { text, context } = timeLabel(at, format);
    const shown = context === previous ? '' : context;
    previous = context;
    const x = plot.x(at);
    return { at, label: centred(x, text, width), context: shown ? centred(x, shown, width) : undefined };
  });
}

/** Whether two neighbours in a row of labels come closer than LABEL_GAP (edge labels were moved in). */
function crowded(row: readonly PlacedLabel[]): boolean {
  return row.some((label, index) => {
    const next = row[index + 1];
    const halves = ((label.text.length + (next?.text.length ?? 0)) * CHAR_WIDTH) / 2;
    return next !== undefined && next.x - label.x < halves + LABEL_GAP;
  });
}

/**
 * Ticks on UTC boundaries (minutes, midnights, Mondays, months, years) for a chart `width`
 * units wide: the finest unit with at most one tick per WIDTH_PER_TICK whose labels, in each
 * row, stay apart on this plot (a wide count axis leaves a narrow one).
 */
export function timeTicks(span: { start: number; end: number }, plot: TimePlot, width: number): TimeTick[] {
  const max = Math.max(2, Math.min(MAX_TICKS, Math.floor(width / WIDTH_PER_TICK)));
  for (const unit of timeUnits()) {
    const instants = tickInstants(unit, span.start, span.end, max);
    if (!instants) continue;
    // Points a few milliseconds apart fall between two whole seconds: label the start.
    const ticks = placed(instants.length > 0 ? instants : [span.start], unit.format, plot, width);
    const contexts = ticks.flatMap((tick) => (tick.context ? [tick.context] : []));
    if (!crowded(ticks.map((tick) => tick.label)) && !crowded(contexts)) return ticks;
  }
  // Unreachable: a unit of enough years leaves one tick, which is never crowded.
  return [];
}
