/**
 * Adaptation cost with censoring. An adaptation run that has not converged when its
 * curve ends (at the cap, or earlier when the curve is shorter) is *censored*: all we
 * know is that its episodes to convergence T exceed the episodes observed. Counting it
 * as the cap (adaptation.ts's mean) is the restricted mean up to the cap when every
 * censored run was observed to the cap, and a per-test ratio with a capped run is only a
 * bound. This module gives the survival-analysis summaries that say so:
 *
 *   - Kaplan-Meier S(t) = P(T > t) from (time, converged) samples: at each distinct
 *     convergence episode t_j with d_j runs converging and n_j runs still at risk
 *     (converged at or after t_j, or censored at or after t_j),
 *     S(t) = prod_{t_j <= t} (1 - d_j / n_j).
 *   - Restricted mean up to tau (the cap): E[min(T, tau)] = sum_{t=0}^{tau-1} S(t) for
 *     episode counts T >= 1 (the area under the step function S on [0, tau]). With every
 *     censored run observed to tau it equals the mean with censored runs counted as tau.
 *     Its variance is the standard one (Klein & Moeschberger 4.5):
 *     sum_j A_j^2 d_j / (n_j (n_j - d_j)), A_j = sum_{t=t_j}^{tau-1} S(t); the 95%
 *     interval is +- 1.96 sd (a large-sample interval, as survival analysis uses).
 *     When S has not reached 0 and no run was observed as far as tau, S beyond the last
 *     observation is unknown: tau is lowered to that last observation and reported.
 *   - Kaplan-Meier median: the smallest t with S(t) <= 0.5; null ("not reached") when
 *     more than half of the runs have not converged by the end of the observation.
 *   - Censoring-aware speedup of `fast` over `slow` on their paired tests: the ratio of
 *     their restricted means at a common tau, with a 95% interval from the jackknife over
 *     paired tests (each leave-one-out drops a test for both variants) and t_{n-1}; and
 *     the ratio of their KM medians, exact when both are reached, a bound when one is not.
 */
import { t975 } from "../stats.js";

/** One run: episodes until convergence (`converged`) or episodes observed without converging (censored). */
export interface SurvivalSample {
  time: number;
  converged: boolean;
}

/** One step of a Kaplan-Meier curve: S just after `time`, with the counts at that time. */
export interface KmStep {
  time: number;
  atRisk: number;
  events: number;
  survival: number;
}

/** The Kaplan-Meier curve (steps at convergence times, in order) and its follow-up. */
export interface KaplanMeier {
  steps: KmStep[];
  n: number;
  censored: number;
  /** The largest time observed (event or censoring). */
  lastTime: number;
}

function check(samples: readonly SurvivalSample[]): void {
  for (const s of samples)
    if (!Number.isInteger(s.time) || s.time < 0) throw new RangeError(`kaplanMeier: expected non-negative integer episode counts, got ${s.time}`);
}

/** The Kaplan-Meier estimate of P(T > t); censored runs at t count as at risk at t (the usual convention). */
export function kaplanMeier(samples: readonly SurvivalSample[]): KaplanMeier {
  check(samples);
  const times = [...new Set(samples.filter((s) => s.converged).map((s) => s.time))].sort((a, b) => a - b);
  const steps: KmStep[] = [];
  let survival = 1;
  for (const time of times) {
    const atRisk = samples.filter((s) => s.time >= time).length;
    const events = samples.filter((s) => s.converged && s.time === time).length;
    survival *= 1 - events / atRisk;
    steps.push({ time, atRisk, events, survival });
  }
  return {
    steps,
    n: samples.length,
    censored: samples.filter((s) => !s.converged).length,
    lastTime: samples.reduce((m, s) => Math.max(m, s.time), 0),
  };
}

/** S(t) of a Kaplan-Meier curve (1 before the first convergence). */
export function survivalAt(km: KaplanMeier, t: number): number {
  let s = 1;
  for (const st of km.steps) {
    if (st.time > t) break;
    s = st.survival;
  }
  return s;
}

/** The largest tau <= `cap` at which the restricted mean is defined: `cap`, or the last observation when S is still above 0 there. */
export function usableTau(km: KaplanMeier, cap: number): number {
  const reachedZero = km.steps.length > 0 && km.steps[km.steps.length - 1].survival === 0;
  return reachedZero ? cap : Math.min(cap, km.lastTime);
}

/** sum_{t=from}^{tau-1} S(t): the area under S on [from, tau]. */
function area(km: KaplanMeier, from: number, tau: number): number {
  let a = 0;
  for (let t = from; t < tau; t++) a += survivalAt(km, t);
  return a;
}

export interface RestrictedMean {
  mean: number;
  /** Half-width of the large-sample 95% interval (1.96 sd); NaN with fewer than two runs. */
  ci95: number;
  n: number;
  /** The horizon: the cap, or less when the runs were observed less far (see the module comment). */
  tau: number;
}

/** Restricted mean of T up to `tau` with its variance-based 95% interval. */
export function restrictedMean(km: KaplanMeier, tau: number): RestrictedMean {
  if (!Number.isInteger(tau) || tau < 0) throw new RangeError(`restrictedMean: expected a non-negative integer tau, got ${tau}`);
  const mean = area(km, 0, tau);
  let variance = 0;
  for (const st of km.steps) {
    if (st.time >= tau || st.atRisk === st.events) continue; // A_j = 0 when S drops to 0 (and no term past tau)
    variance += (area(km, st.time, tau) ** 2 * st.events) / (st.atRisk * (st.atRisk - st.events));
  }
  return { mean, ci95: km.n < 2 ? NaN : 1.96 * Math.sqrt(variance), n: km.n, tau };
}

/** The Kaplan-Meier median: the smallest convergence time with S <= 0.5; null when not reached. */
export function kmMedian(km: KaplanMeier): number | null {
  return km.steps.find((s) => s.survival <= 0.5)?.time ?? null;
}

/** One variant's censoring-aware adaptation cost. */
export interface CensoredCost {
  restricted: RestrictedMean;
  median: number | null;
  censored: number;
  n: number;
}

/** Restricted mean (up to `cap`), KM median and censored count of a variant's runs. */
export function censoredCost(samples: readonly SurvivalSample[], cap: number): CensoredCost {
  const km = kaplanMeier(samples);
  return { restricted: restrictedMean(km, usableTau(km, cap)), median: kmMedian(km), censored: km.censored, n: km.n };
}

/** A ratio of KM medians: exact, or a bound when one median is past the end of observation. */
export interface MedianRatio {
  value: number;
  /** "exact"; "at least" (the slow variant's median is not reached); "at most" (the fast one's is not). */
  bound: "exact" | "at least" | "at most";
}

export interface CensoredSpeedup {
  /** Restricted mean of `slow` / restricted mean of `fast` at a common tau, jackknife 95% interval over paired tests. */
  restrictedRatio: { mean: number; ci95: number; n: number; tau: number };
  /** KM median of `slow` / of `fast`; null when neither is reached. */
  medianRatio: MedianRatio | null;
}

function rmRatio(slow: readonly SurvivalSample[], fast: readonly SurvivalSample[], cap: number): { ratio: number; tau: number } {
  const ks = kaplanMeier(slow);
  const kf = kaplanMeier(fast);
  const tau = Math.min(usableTau(ks, cap), usableTau(kf, cap));
  return { ratio: area(ks, 0, tau) / area(kf, 0, tau), tau };
}

/** The censoring-aware speedup of `fast` over `slow`, from paired samples (`slow[i]` and `fast[i]` are one test). */
export function censoredSpeedup(slow: readonly SurvivalSample[], fast: readonly SurvivalSample[], cap: number): CensoredSpeedup {
  if (slow.length !== fast.length || slow.length === 0)
    throw new RangeError(`censoredSpeedup: expected as many paired slow as fast runs (at least one), got ${slow.length} and ${fast.length}`);
  const n = slow.length;
  const all = rmRatio(slow, fast, cap);
  let ci95 = NaN;
  if (n >= 2) {
    // Jackknife over paired tests, at the full sample's tau so that every replicate estimates the same quantity.
    const loo = slow.map((_, i) => {
      const drop = <T>(xs: readonly T[]) => xs.filter((_, j) => j !== i);
      const ks = kaplanMeier(drop(slow));
      const kf = kaplanMeier(drop(fast));
      return area(ks, 0, all.tau) / area(kf, 0, all.tau);
    });
    const m = loo.reduce((a, b) => a + b, 0) / n;
    const se = Math.sqrt(((n - 1) / n) * loo.reduce((a, b) => a + (b - m) ** 2, 0));
    ci95 = t975(n - 1) * se;
  }
  const ms = kmMedian(kaplanMeier(slow));
  const mf = kmMedian(kaplanMeier(fast));
  let medianRatio: MedianRatio | null = null;
  if (ms !== null && mf !== null) medianRatio = { value: ms / mf, bound: "exact" };
  else if (ms === null && mf !== null) medianRatio = { value: kaplanMeier(slow).lastTime / mf, bound: "at least" };
  else if (ms !== null && mf === null) medianRatio = { value: ms / kaplanMeier(fast).lastTime, bound: "at most" };
  return { restrictedRatio: { mean: all.ratio, ci95, n, tau: all.tau }, medianRatio };
}
