/**
 * Pretraining health, defined once. A pretraining (one variant, one replicate) can fail
 * as a whole, and then every new pair of its replicate collapses together: averaged into
 * the drop it looks like a property of the method rather than of one run. So each
 * pretrained agent is also judged where it was trained, on its own pool pairs
 * (pool-tests.ts), against a uniform-random policy on the same evaluation windows:
 *
 *   failed = its served reward on its own pool pairs is no better than random: the 95%
 *   t-interval of the per-pair differences (served - random) over its pool pairs does not
 *   lie above 0 (with one pool pair, as the paper's TL has: the difference is <= 0).
 *
 * The report counts failed pretrainings per variant, shows each one's training curve
 * (its pretraining returns normalised per pair as (R - B) / (R_ref - B) with the pool
 * pair's reference and random return, averaged over blocks of episodes), and gives each
 * variant's new-pair drop without its failed replicates beside the drop over all of them
 * (which stays the headline: a method that fails to pretrain one time in four is worse
 * for it).
 */
import { meanCi95, meanCiJson } from "../stats.js";
import type { LevelsJson, PretrainingHealthJson } from "../runner/results.js";
import type { PretrainResult } from "../tasks/types.js";
import { levelsJson } from "./levels.js";
import type { DropSample, PairReference, ServedSample } from "./reward-drop.js";

/** The rule in words (report and results.json). */
export const HEALTH_RULE =
  "a pretraining fails when its agent's served reward on its own pool pairs is no better than a uniform-random policy's on the same windows: the 95% interval of (served - random) over its pool pairs does not lie above 0 (one pool pair: the difference is <= 0)";

/** Points of a training curve at most; longer pretrainings average more episodes per point. */
const CURVE_POINTS = 20;

/** One pretraining's curve: normalised returns averaged over consecutive blocks of episodes (a block holds at least one round over its pairs). */
export function healthCurve(p: Pick<PretrainResult, "returns" | "pairs">, refs: ReadonlyMap<string, PairReference>): { episode: number; normalised: number }[] {
  const norm: number[] = [];
  for (const [i, r] of p.returns.entries()) {
    const ref = refs.get(p.pairs[i]);
    if (ref && ref.evalReturn > ref.baseline) norm.push((r - ref.baseline) / (ref.evalReturn - ref.baseline));
    else norm.push(NaN);
  }
  const block = Math.max(new Set(p.pairs).size, Math.ceil(norm.length / CURVE_POINTS), 1);
  const out: { episode: number; normalised: number }[] = [];
  for (let s = 0; s < norm.length; s += block) {
    const xs = norm.slice(s, s + block).filter(Number.isFinite);
    if (xs.length) out.push({ episode: Math.min(s + block, norm.length), normalised: xs.reduce((a, b) => a + b, 0) / xs.length });
  }
  return out;
}

/** Did the pretraining fail (see the module comment)? null without pool tests. */
export function failedPretraining(diffs: readonly number[]): boolean | null {
  if (diffs.length === 0) return null;
  const m = meanCi95(diffs);
  return diffs.length === 1 ? m.mean <= 0 : m.mean - m.ci95 <= 0;
}

/**
 * Every pretraining's health from the pool tests (`pool: true` samples), the pool
 * references, the pretraining results (by variant and replicate) and the new-pair drops.
 */
export function pretrainingHealth(
  poolServed: readonly ServedSample[],
  poolDrops: readonly DropSample[],
  poolRefs: ReadonlyMap<string, PairReference>,
  pretrainings: readonly { variant: string; replicate: number; result: PretrainResult }[],
  newDrops: readonly DropSample[],
): PretrainingHealthJson | null {
  // Nothing to judge without a pool test against a pool reference (a run before pool tests, or a task without a fixed-action search).
  if (!poolServed.some((s) => s.pool && poolRefs.has(s.pair))) return null;
  const runs = pretrainings.map(({ variant, replicate, result }) => {
    const mine = poolServed.filter((s) => s.pool && s.variant === variant && s.replicate === replicate && poolRefs.has(s.pair));
    const diffs = mine.map((s) => s.reward - (poolRefs.get(s.pair) as PairReference).baseline);
    const drops = poolDrops.filter((d) => d.variant === variant && d.replicate === replicate).map((d) => d.drop);
    return {
      variant,
      replicate,
      pool_pairs: mine.length,
      vs_random: diffs.length ? meanCiJson(meanCi95(diffs)) : null,
      reward_drop_pool: drops.length ? meanCiJson(meanCi95(drops)) : null,
      failed: failedPretraining(diffs),
      curve: healthCurve(result, poolRefs),
    };
  });
  const variants = [...new Set(runs.map((r) => r.variant))];
  // `of`: the pretrainings judged (a variant served on no referenced pool pair is not).
  const judged = (v: string) => runs.filter((r) => r.variant === v && r.failed !== null);
  const failed = Object.fromEntries(variants.map((v) => [v, { failed: judged(v).filter((r) => r.failed).length, of: judged(v).length }]));
  const healthy: Record<string, LevelsJson | null> = {};
  for (const v of variants) {
    const bad = new Set(runs.filter((r) => r.variant === v && r.failed).map((r) => r.replicate));
    healthy[v] = levelsJson(
      newDrops.filter((d) => d.variant === v && !bad.has(d.replicate)).map((d) => ({ replicate: d.replicate, pair: d.pair, value: d.drop })),
    );
  }
  return { rule: HEALTH_RULE, runs, failed, reward_drop_healthy: healthy };
}
