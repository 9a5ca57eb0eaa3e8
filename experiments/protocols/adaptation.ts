/**
 * Adaptation cost (paper 5.2-5.3): episodes to convergence (convergence.ts) on each new
 * pair for each variant (FLASH, transfer learning, scratch), against the pair's
 * converged reference, and the speedup of FLASH over TL.
 *
 * Speedup: for each (pair, replicate), TL episodes / FLASH episodes (both capped; a
 * capped run makes the ratio a bound, and the tables count such runs), then the mean
 * over those paired tests with its 95% t-interval (stats.ts). The ratio of the mean
 * episodes is given beside it (less sensitive to one fast FLASH run).
 */
import { meanCi95, type MeanCi } from "../stats.js";
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
}

/** Episodes to convergence of every curve against its pair's training-level reference and baseline. */
export function adaptationCosts(curves: readonly Curve[], refs: ReadonlyMap<string, PairReference>, o: AdaptationOptions): CostSample[] {
  return curves.map((c) => {
    const r = refs.get(c.pair);
    if (!r) throw new InternalError(`adaptation: no reference for pair "${c.pair}"`);
    const res = episodesToConvergence(c.returns, { reference: r.trainLevel, baseline: r.baseline, cap: o.cap, window: o.window, tolerance: o.tolerance });
    return { variant: c.variant, pair: c.pair, replicate: c.replicate, episodes: res.episodes, converged: res.converged };
  });
}

export interface VariantCost {
  variant: string;
  episodes: MeanCi;
  convergedFraction: number;
  n: number;
}

export function summariseCosts(costs: readonly CostSample[]): VariantCost[] {
  const variants = [...new Set(costs.map((c) => c.variant))];
  return variants.map((v) => {
    const xs = costs.filter((c) => c.variant === v);
    return { variant: v, episodes: meanCi95(xs.map((c) => c.episodes)), convergedFraction: xs.filter((c) => c.converged).length / xs.length, n: xs.length };
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
}

/** Speedup of `fast` over `slow` over (pair, replicate) tests present for both. */
export function speedup(costs: readonly CostSample[], fast: string, slow: string): Speedup | null {
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
  };
}
