/**
 * Reward drop without retraining (the paper's A/B test), defined once.
 *
 * drop = (R_ref - R) / (R_ref - B)
 *
 * where R is the served agent's reward on a pair (no weight update), R_ref that pair's
 * converged reference (an agent trained on the pair alone) and B the pair's baseline
 * (a random policy's return). With B = 0, the paper's case for positive rewards, this
 * is exactly 1 - R / R_ref. For negative rewards (Pendulum: about -150 converged, -1200
 * random) 1 - R / R_ref has the wrong sign (a worse R, more negative, gives a negative
 * drop) and depends on where zero happens to be; normalising by the random baseline
 * fixes both: 0 = as good as the reference, 1 = no better than acting at random, > 1
 * worse than random, < 0 better than the reference. It is the fraction of the
 * reference's gain over random that is lost.
 *
 * A pair whose reference is not better than its baseline (R_ref <= B) has no gain to
 * lose: the drop is undefined there and such tests are excluded (and counted).
 */
import { InternalError } from "../../errors.js";

export function rewardDrop(reward: number, reference: number, baseline = 0): number {
  if (![reward, reference, baseline].every(Number.isFinite))
    throw new RangeError(`rewardDrop: expected finite numbers, got reward ${reward}, reference ${reference}, baseline ${baseline}`);
  const gain = reference - baseline;
  if (!(gain > 0)) return NaN;
  return (reference - reward) / gain;
}

/** One A/B test: an agent served on a pair without weight update. */
export interface ServedSample {
  variant: string;
  replicate: number;
  /** The pair served. */
  pair: string;
  /** For the original agent: the pair it was trained on. */
  trainedOn?: string;
  reward: number;
  /** Application-update experiment: the update scenario that made `pair` (absent in the main A/B test). */
  scenario?: string;
  /** A pool pair of the served agent's own pretraining (absent: a new pair); summarised apart (`reward_drop_pool`). */
  pool?: true;
  /** The task's operational metrics over the same evaluation (per-step means), when it has any. */
  metrics?: Record<string, number>;
}

export interface PairReference {
  pair: string;
  /** Mean deterministic evaluation return of the reference agents (over replicates). */
  evalReturn: number;
  /**
   * Mean of the last `window` episodes of the reference runs' learning curve (over
   * replicates): training returns, or deterministic evaluation returns for tasks judged
   * on evaluation curves (`RlTask.convergenceCurve`). Convergence's reference level.
   */
  trainLevel: number;
  baseline: number;
  /** Whose return `evalReturn` is (reference.ts): "rl" or the policy that needs no learning; absent before the rule. */
  source?: string;
}

export interface DropSample extends ServedSample {
  drop: number;
  /** The pair reference's `source`, when it has one. */
  referenceSource?: string;
}

/** Drops of every sample against its pair's reference; samples whose pair has no gain over baseline are returned apart. */
export function drops(samples: readonly ServedSample[], refs: ReadonlyMap<string, PairReference>): { drops: DropSample[]; excluded: ServedSample[] } {
  const out: DropSample[] = [];
  const excluded: ServedSample[] = [];
  for (const s of samples) {
    const r = refs.get(s.pair);
    if (!r) throw new InternalError(`reward drop: no reference for pair "${s.pair}"`);
    const d = rewardDrop(s.reward, r.evalReturn, r.baseline);
    if (Number.isNaN(d)) excluded.push(s);
    else out.push({ ...s, drop: d, ...(r.source === undefined ? {} : { referenceSource: r.source }) });
  }
  return { drops: out, excluded };
}

/**
 * The paper's reward drop, 1 - R / R_ref, beside ours: it equals `rewardDrop` with a zero
 * baseline, and reads as the paper's numbers only for positive rewards (for negative
 * rewards, e.g. Pendulum's costs, a worse R gives a negative drop). NaN when R_ref is 0.
 */
export function paperDrop(reward: number, reference: number): number {
  if (![reward, reference].every(Number.isFinite)) throw new RangeError(`paperDrop: expected finite numbers, got reward ${reward}, reference ${reference}`);
  return reference === 0 ? NaN : 1 - reward / reference;
}
