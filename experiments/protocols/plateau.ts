/**
 * When a reference run has converged (profiles with `budgets.referenceCap`): the one
 * definition, used by the reference units (tasks/rl-flash-kit.ts) and stated in the
 * report.
 *
 * A reference is an agent trained on one pair alone; convergence (convergence.ts) is
 * judged *against* it, so it cannot be judged by the same rule. Instead a reference
 * trains for at least `referenceEpisodes` episodes and then until its learning curve (the
 * task's convergence curve: training returns, or the deterministic evaluation return
 * after each episode) has *plateaued*:
 *
 *   mean(last w) - mean(the w before) < tolerance * |mean(last w) - B|
 *
 * with w the convergence window, tolerance the convergence tolerance (5%) and B the
 * pair's random-policy return: the last window improved on the one before by less than
 * the band adaptation is judged with. A run that never plateaus stops at `referenceCap`
 * episodes and is reported as capped (results.json `reference_training`).
 */
import type { ReferenceTraining } from "../runner/results.js";

export type { ReferenceTraining };

export interface PlateauOptions {
  window: number;
  tolerance: number;
  /** The pair's random-policy return (the band's zero point). */
  baseline: number;
}

/** Has `curve` plateaued (see the module comment)? False with fewer than two windows of episodes. */
export function plateaued(curve: readonly number[], o: PlateauOptions): boolean {
  const w = o.window;
  if (!Number.isInteger(w) || w < 1) throw new RangeError(`plateaued: expected a positive integer window, got ${w}`);
  if (curve.length < 2 * w) return false;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const last = mean(curve.slice(-w));
  const before = mean(curve.slice(-2 * w, -w));
  return last - before < o.tolerance * Math.abs(last - o.baseline);
}

/** Whether a reference should stop after `episodes` episodes of `curve`: past the minimum and plateaued. */
export function referenceDone(curve: readonly number[], minEpisodes: number, o: PlateauOptions): boolean {
  return curve.length >= minEpisodes && plateaued(curve, o);
}

/** The references' training summary, or null when the profile trains a fixed number of episodes (no cap). */
export function referenceTraining(
  runs: readonly { returns: readonly number[]; plateau?: boolean }[],
  b: { referenceEpisodes: number; referenceCap?: number },
): ReferenceTraining | null {
  if (b.referenceCap === undefined || runs.length === 0) return null;
  const lengths = runs.map((r) => r.returns.length);
  return {
    min_episodes: b.referenceEpisodes,
    cap: b.referenceCap,
    runs: runs.length,
    plateau: runs.filter((r) => r.plateau === true).length,
    capped: runs.filter((r) => r.plateau === false).length,
    episodes: { mean: lengths.reduce((a, x) => a + x, 0) / lengths.length, min: Math.min(...lengths), max: Math.max(...lengths) },
  };
}
