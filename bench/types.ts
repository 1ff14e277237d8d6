/** What a benchmark returns to `npm run bench` (bench/run.ts renders it as Markdown). */
export interface BenchTarget {
  name: string;
  value: number;
  /** The wanted value, as text (e.g. "≥ 0.85×"). */
  target: string;
  pass: boolean;
}

export interface BenchResult {
  name: string;
  /** Flat numbers, named with their unit. */
  metrics: Record<string, number>;
  targets: BenchTarget[];
  notes: string[];
}
