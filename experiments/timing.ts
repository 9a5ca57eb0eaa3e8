/**
 * Timing and quantile helpers: the one timing routine of every latency figure (the
 * `flash overheads` protocol, which the benchmarks call, and the benchmarks' own timings).
 * A leaf of experiments/: bench/ sits above experiments/ and imports it, never the reverse.
 */
import { ValueError } from "../flash/errors.js";
import { meanCi95, meanCiJson } from "./stats.js";

/** The q-quantile (0..1) of `xs` by linear interpolation; NaN for an empty array. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Run `fn` `warmup` times untimed, then `repeats` times; the wall time of each call in ms. */
export async function timeCalls(fn: () => unknown, repeats: number, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export interface InterleavedTiming {
  rounds: number;
  calls_per_round: number;
  /** Per-round medians (ms), without and with FLASH. */
  without_rounds_ms: number[];
  with_rounds_ms: number[];
  without_ms: number;
  with_ms: number;
  /** with_ms / without_ms. */
  ratio: number;
  /** Mean and 95% half-width of the per-round ratios. */
  ratio_ci95: { mean: number; ci95: number | null; n: number };
}

/**
 * Time `base` and `flash` in `rounds` alternating rounds of `calls` calls each (base
 * `baseCalls`, default `calls`), after `warmup` untimed calls of each. Synchronous calls only.
 */
export function timeInterleaved(
  base: () => unknown,
  flash: () => unknown,
  opts: { rounds: number; calls: number; baseCalls?: number; warmup?: number },
): InterleavedTiming {
  const { rounds, calls } = opts;
  const baseCalls = opts.baseCalls ?? calls;
  for (const [k, v] of Object.entries({ rounds, calls, baseCalls })) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`timeInterleaved ${k}: expected a positive integer, got ${v}`);
  }
  for (let i = 0; i < (opts.warmup ?? 1); i++) {
    base();
    flash();
  }
  const time = (fn: () => unknown, n: number): number => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      fn();
      xs.push(performance.now() - t0);
    }
    return quantile(xs, 0.5);
  };
  const b: number[] = [];
  const f: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      b.push(time(base, baseCalls));
      f.push(time(flash, calls));
    } else {
      f.push(time(flash, calls));
      b.push(time(base, baseCalls));
    }
  }
  const without = quantile(b, 0.5);
  const withF = quantile(f, 0.5);
  return {
    rounds,
    calls_per_round: calls,
    without_rounds_ms: b,
    with_rounds_ms: f,
    without_ms: without,
    with_ms: withF,
    ratio: withF / without,
    ratio_ci95: meanCiJson(meanCi95(f.map((x, i) => x / b[i]))),
  };
}

/**
 * Calls per round so that `rounds` rounds of the costlier side take about `budgetMs`
 * (1 to 10): one untimed call of `flash` and two of `base` (which also warm both up)
 * give the cost per call.
 */
export function callsForBudget(base: () => unknown, flash: () => unknown, budgetMs: number, rounds: number): number {
  const t0 = performance.now();
  flash();
  base();
  base();
  const firstMs = performance.now() - t0;
  return Math.max(1, Math.min(10, Math.round(budgetMs / rounds / firstMs)));
}
