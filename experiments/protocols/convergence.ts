/**
 * Episodes to convergence: the one definition every report uses.
 *
 * Given a learning curve (episode returns r_1..r_T, in order) on one pair and that
 * pair's converged reference R (an agent trained to convergence on that pair alone):
 *
 *   - MA_i is the mean of the last `window` (default 10) returns ending at episode i,
 *     r_{i-w+1..i}. Before `window` episodes exist the mean is over the episodes so far
 *     (an expanding window), so an agent that is good from its first episode converges
 *     at episode 1 instead of at a floor of 10; `fullWindowOnly: true` starts at episode
 *     `window` instead.
 *   - The *scale* is |R - B| where B is the pair's baseline (default 0). With B = 0,
 *     the paper's case, the band is 5% of |R|, which is what "within 5% of the
 *     reference" means for positive rewards, and it still means 5% of the reference's
 *     magnitude when rewards are negative (never "5% of a negative number"). For tasks
 *     whose rewards are negative costs (Pendulum: about -150 converged, -1200 random),
 *     5% of |R| is narrower than the episode-to-episode spread of a converged agent
 *     (random initial states), so such tasks pass their random-policy return as B: the
 *     band becomes 5% of the distance from random to the reference, the same
 *     normalisation as the reward drop (reward-drop.ts).
 *   - MA_i is *within tolerance* when MA_i >= R - tolerance * scale: within 5% of the
 *     reference or better. One-sided on purpose: an adapted agent that ends above the
 *     reference has converged, it has not failed to. `twoSided: true` also requires
 *     MA_i <= R + tolerance * scale.
 *   - Episodes to convergence is the smallest n in 1..T such that MA_i is within
 *     tolerance for every i in n..T ("stays within" means until the end of the curve we
 *     observed). A curve whose last MA is outside the band never converged: it counts as
 *     the cap and is flagged `converged: false`. A curve longer than the cap is judged
 *     on its first `cap` episodes; a converged n is at most the cap.
 *
 * The curve must be run for the full cap (or a stated number of episodes) for "stays"
 * to be checked: a run stopped at the first crossing would report noise as convergence.
 */

export interface ConvergenceOptions {
  /** The pair's converged reference return R. */
  reference: number;
  /** The pair's baseline return B (random policy); default 0. Sets the scale |R - B|. */
  baseline?: number;
  /** Fraction of the scale (default 0.05). */
  tolerance?: number;
  /** Moving-average window in episodes (default 10). */
  window?: number;
  /** The cap: episodes counted for a curve that never converges; curves are truncated to it. */
  cap: number;
  /** Only count moving averages over a full window (default false: expanding start). */
  fullWindowOnly?: boolean;
  /** Also require MA <= R + tolerance * scale (default false). */
  twoSided?: boolean;
}

export interface ConvergenceResult {
  /** Episodes to convergence; the cap when the curve never converged. */
  episodes: number;
  converged: boolean;
  /** The band's lower edge R - tolerance * scale (and the upper edge when two-sided). */
  threshold: number;
  upper: number | null;
  /** The moving averages (length = judged episodes), for plots. */
  movingAverage: number[];
  /** Episodes judged: min(curve length, cap). */
  judged: number;
}

/** Trailing moving average with an expanding start (entry i averages returns max(0, i-w+1)..i). */
export function movingAverage(xs: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`movingAverage: expected a positive integer window, got ${window}`);
  const out: number[] = new Array(xs.length);
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    sum += xs[i];
    if (i >= window) sum -= xs[i - window];
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}

/** Episodes to convergence of `curve` (see the module comment). */
export function episodesToConvergence(curve: readonly number[], o: ConvergenceOptions): ConvergenceResult {
  const window = o.window ?? 10;
  const tolerance = o.tolerance ?? 0.05;
  const baseline = o.baseline ?? 0;
  if (!Number.isFinite(o.reference)) throw new RangeError(`episodesToConvergence: reference must be finite, got ${o.reference}`);
  if (!Number.isFinite(baseline)) throw new RangeError(`episodesToConvergence: baseline must be finite, got ${baseline}`);
  if (!Number.isInteger(o.cap) || o.cap < 1) throw new RangeError(`episodesToConvergence: cap must be a positive integer, got ${o.cap}`);
  if (!(tolerance >= 0)) throw new RangeError(`episodesToConvergence: tolerance must be >= 0, got ${tolerance}`);
  for (let i = 0; i < curve.length; i++) {
    if (!Number.isFinite(curve[i])) throw new RangeError(`episodesToConvergence: episode ${i + 1} has a non-finite return ${curve[i]}`);
  }
  const scale = Math.abs(o.reference - baseline);
  const threshold = o.reference - tolerance * scale;
  const upper = o.twoSided ? o.reference + tolerance * scale : null;
  const judged = Math.min(curve.length, o.cap);
  const ma = movingAverage(curve.slice(0, judged), window);
  const first = o.fullWindowOnly ? window - 1 : 0;
  const inside = (v: number) => v >= threshold && (upper === null || v <= upper);
  // Walk back from the end: the earliest index from which every MA is inside the band.
  let start = -1;
  for (let i = judged - 1; i >= first; i--) {
    if (!inside(ma[i])) break;
    start = i;
  }
  if (start === -1) return { episodes: o.cap, converged: false, threshold, upper, movingAverage: ma, judged };
  return { episodes: start + 1, converged: true, threshold, upper, movingAverage: ma, judged };
}
