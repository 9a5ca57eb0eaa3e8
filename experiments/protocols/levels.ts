/**
 * A served metric at two levels, defined once (results.json `LevelsJson`): the tests
 * (one per pair and replicate; distinct pairs when each replicate draws its own,
 * replicates.ts), and the replicates' means. A replicate's tests share one pretraining,
 * and a pretraining can fail or succeed as a whole, so its tests are not independent: the
 * interval over tests says how well the pairs were sampled, the interval over replicate
 * means what another pretraining would give. Reports state both counts.
 */
import { meanCi95, meanCiJson } from "../stats.js";
import type { LevelsJson } from "../runner/results.js";

/** One test's value. */
export interface PairValue {
  replicate: number;
  pair: string;
  value: number;
}

/** Both levels of `xs` (null when empty). */
export function levelsJson(xs: readonly PairValue[]): LevelsJson | null {
  if (xs.length === 0) return null;
  const reps = [...new Set(xs.map((x) => x.replicate))].sort((a, b) => a - b);
  const means = reps.map((k) => {
    const v = xs.filter((x) => x.replicate === k).map((x) => x.value);
    return v.reduce((a, b) => a + b, 0) / v.length;
  });
  return {
    ...meanCiJson(meanCi95(xs.map((x) => x.value))),
    pairs: new Set(xs.map((x) => x.pair)).size,
    replicates: { ...meanCiJson(meanCi95(means)), means },
  };
}
