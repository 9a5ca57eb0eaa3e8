/**
 * Adaptation cost (paper 5.2-5.3): episodes to convergence (convergence.ts) on each new
 * pair for each variant (FLASH, transfer learning, scratch), against the pair's
 * converged reference, and the speedup of FLASH over TL.
 *
 * Speedup: for each (pair, replicate), TL episodes / FLASH episodes (both capped; a
 * capped run makes the ratio a bound, and the tables count such runs), then the mean
 * over those paired tests with its 95% t-interval (stats.ts). The ratio of the mean
 * episodes is given beside it (less sensitive to one fast FLASH run), and the
 * censoring-aware figures of censoring.ts: per variant the restricted mean up to the cap
 * and the Kaplan-Meier median with the number of censored runs (a run that had not
 * converged when its curve ended), and the speedup as the ratio of restricted means and
 * of KM medians.
 */
import { meanCi95, type MeanCi } from "../stats.js";
import { censoredCost, censoredSpeedup, type CensoredCost, type CensoredSpeedup, type SurvivalSample } from "./censoring.js";
import { episodesToConvergence } from "./convergence.js";
import type { PairReference } from "./reward-drop.js";
import { InternalError } from "../../errors.js";

export interface Curve {
  variant: string;
  pair: string;
  replicate: number;
  returns: number[];
}

export interface AdaptationOptions {
  cap: number;
  window: number;
  tolerance: number;
}

export interface CostSample {
  variant: string;
  pair: string;
  replicate: number;
  episodes: number;
  converged: boolean;
  /** Episodes observed: min(curve length, cap); a run that did not converge is censored there (censoring.ts). */
  observed: number;
}

/** A cost sample as a survival sample: converged at `episodes`, or censored at the episodes observed. */
export const survivalOf = (c: Pick<CostSample, "episodes" | "converged" | "observed">): SurvivalSample => ({
  time: c.converged ? c.episodes : c.observed,
  converged: c.converged,
});

/** Episodes to convergence of every curve against its pair's training-level reference and baseline. */
export function adaptationCosts(curves: readonly Curve[], refs: ReadonlyMap<string, PairReference>, o: AdaptationOptions): CostSample[] {
  return curves.map((c) => {
    const r = refs.get(c.pair);
    if (!r) throw new InternalError(`adaptation: no reference for pair "${c.pair}"`);
    const res = episodesToConvergence(c.returns, { reference: r.trainLevel, baseline: r.baseline, cap: o.cap, window: o.window, tolerance: o.tolerance });
    return { variant: c.variant, pair: c.pair, replicate: c.replicate, episodes: res.episodes, converged: res.converged, observed: res.judged };
  });
}

export interface VariantCost {
  variant: string;
  episodes: MeanCi;
  convergedFraction: number;
  n: number;
  /** Restricted mean up to the cap, KM median and censored runs (censoring.ts). */
  censored: CensoredCost;
}

/** Per variant: mean episodes (a censored run counted as the cap) and the censoring-aware cost up to `cap`. */
export function summariseCosts(costs: readonly CostSample[], cap: number): VariantCost[] {
  const variants = [...new Set(costs.map((c) => c.variant))];
  return variants.map((v) => {
    const xs = costs.filter((c) => c.variant === v);
    return {
      variant: v,
      episodes: meanCi95(xs.map((c) => c.episodes)),
      convergedFraction: xs.filter((c) => c.converged).length / xs.length,
      n: xs.length,
      censored: censoredCost(xs.map(survivalOf), cap),
    };
  });
}

export interface Speedup {
  /** Mean over paired tests of slow / fast, with CI. */
  meanRatio: MeanCi;
  /** mean(slow episodes) / mean(fast episodes). */
  ratioOfMeans: number;
  /** Paired tests where either run hit the cap. */
  capped: number;
  n: number;
  /** The ratio of restricted means and of KM medians up to the cap (censoring.ts). */
  censored: CensoredSpeedup;
}

/** Speedup of `fast` over `slow` over (pair, replicate) tests present for both; `cap` bounds the restricted means. */
export function speedup(costs: readonly CostSample[], fast: string, slow: string, cap: number): Speedup | null {
  const key = (c: CostSample) => `${c.pair}\u0000${c.replicate}`;
  const f = new Map(costs.filter((c) => c.variant === fast).map((c) => [key(c), c]));
  const pairs = costs.filter((c) => c.variant === slow && f.has(key(c))).map((s) => ({ s, f: f.get(key(s)) as CostSample }));
  if (pairs.length === 0) return null;
  const ratios = pairs.map((p) => p.s.episodes / p.f.episodes);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    meanRatio: meanCi95(ratios),
    ratioOfMeans: mean(pairs.map((p) => p.s.episodes)) / mean(pairs.map((p) => p.f.episodes)),
    capped: pairs.filter((p) => !p.s.converged || !p.f.converged).length,
    n: pairs.length,
    censored: censoredSpeedup(
      pairs.map((p) => survivalOf(p.s)),
      pairs.map((p) => survivalOf(p.f)),
      cap,
    ),
  };
}
