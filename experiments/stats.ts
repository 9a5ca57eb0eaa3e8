/**
 * Summary statistics every report uses: the mean over seeds with a two-sided 95%
 * Student-t confidence interval. One implementation, so every table and results.json
 * agrees on what "ci95" means: the half-width t_{0.975, n-1} * sd / sqrt(n), with the
 * sample standard deviation (n - 1). With fewer than two values the half-width is NaN
 * (reported as null in JSON): one seed says nothing about spread.
 */

/** Two-sided 97.5% quantiles of Student's t for df 1..30; past 30 the normal's 1.96 is within 2%. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t_{0.975, df}; RangeError for df < 1. */
export function t975(df: number): number {
  if (!(df >= 1) || !Number.isInteger(df)) throw new RangeError(`t975: expected a positive integer df, got ${df}`);
  return df <= T975.length ? T975[df - 1] : 1.96;
}

export interface MeanCi {
  mean: number;
  /** Half-width of the 95% interval (NaN with fewer than two values). */
  ci95: number;
  n: number;
}

/** Mean and 95% t-interval half-width of `xs`; RangeError on an empty or non-finite input. */
export function meanCi95(xs: readonly number[]): MeanCi {
  const n = xs.length;
  if (n === 0) throw new RangeError("meanCi95: expected at least one value, got none");
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`meanCi95: expected finite values, got ${x}`);
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci95: NaN, n };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, ci95: (t975(n - 1) * sd) / Math.sqrt(n), n };
}

/** "0.123 ± 0.045" with `digits` significant digits (just the mean when the CI is NaN). */
export function formatMeanCi(m: MeanCi, digits = 3): string {
  const f = (v: number) => (Math.abs(v) >= 10 ** digits ? v.toFixed(0) : v.toPrecision(digits));
  return Number.isNaN(m.ci95) ? f(m.mean) : `${f(m.mean)} ± ${f(m.ci95)}`;
}

/** JSON form: `{mean, ci95, n}` with a NaN half-width written as null. */
export function meanCiJson(m: MeanCi): { mean: number; ci95: number | null; n: number } {
  return { mean: m.mean, ci95: Number.isNaN(m.ci95) ? null : m.ci95, n: m.n };
}

/** The empirical CDF of `xs` as sorted (value, fraction <= value) points, for CDF figures. */
export function empiricalCdf(xs: readonly number[]): { value: number; fraction: number }[] {
  const s = [...xs].sort((a, b) => a - b);
  return s.map((value, i) => ({ value, fraction: (i + 1) / s.length }));
}
