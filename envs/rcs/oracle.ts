/**
 * What the dataset knows about a workload, for the controls of experiments/rcs (the
 * oracle context and the embedding probe). These vectors read measurements a user would
 * not have: only the controls use them, never a predictor of the protocol.
 *
 * Duration profile: log2 of the workload's mean duration at every configuration of the
 * dataset, minus its mean over the configurations it was measured at (0 where it was not
 * measured). It is the workload's whole time-vs-configuration curve, without its absolute
 * level (the base features carry that). Any FLASH embedding is a function of the
 * context, and the context is a function of the measurements at X of these
 * configurations, so no embedding can carry more about the curve than this vector: an MLP
 * reading it bounds what any embedding could give (under the same training budget).
 *
 * Base profile: the same layout filled from the query's bases only (log2 duration
 * relative to the bases' mean), then a 0/1 mask of the measured configurations: what the
 * context holds about the curve, hand-encoded. It separates "the X-shot context lacks the
 * information" from "the meta learner fails to extract it".
 */
import type { Query } from "./features.js";
import type { RcsWorkload } from "./types.js";

export interface WorkloadOracle {
  /** Configuration keys, one coordinate each, in a fixed order. */
  keys: string[];
  /** Duration profile per workload id. */
  profiles: Map<string, number[]>;
}

/** Configuration keys of `workloads` in a fixed order (numeric keys numerically: memory sizes). */
export function configurationKeys(workloads: readonly RcsWorkload[]): string[] {
  const keys = [...new Set(workloads.flatMap((w) => w.points.map((p) => p.key)))];
  return keys.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** log2 durations at `points` relative to their mean, laid out over `keys` (0 elsewhere). */
function relativeLog2(points: readonly { key: string; duration: number }[], keys: readonly string[]): number[] {
  const logs = new Map(points.map((p) => [p.key, Math.log2(p.duration)]));
  const mean = [...logs.values()].reduce((a, v) => a + v, 0) / Math.max(1, logs.size);
  return keys.map((k) => (logs.has(k) ? (logs.get(k) as number) - mean : 0));
}

/** The duration profile of a workload over `keys` (see the module comment). */
export function durationProfile(w: Pick<RcsWorkload, "points">, keys: readonly string[]): number[] {
  return relativeLog2(w.points, keys);
}

/** The base profile of a query over `keys`: relative log2 durations at the bases, then their mask (length 2 * keys). */
export function baseProfile(q: Pick<Query, "bases">, keys: readonly string[]): number[] {
  const measured = new Set(q.bases.map((b) => b.key));
  return [...relativeLog2(q.bases, keys), ...keys.map((k) => (measured.has(k) ? 1 : 0))];
}

/**
 * The oracle of a set of workloads. A workload listed twice (a split's filtered copy of
 * a dataset's workload, e.g. leaving a cloud out) keeps its first, complete entry: the
 * oracle describes the workload, not what one split shows of it.
 */
export function workloadOracle(workloads: readonly RcsWorkload[]): WorkloadOracle {
  const byId = new Map<string, RcsWorkload>();
  for (const w of workloads) if (!byId.has(w.id)) byId.set(w.id, w);
  const keys = configurationKeys([...byId.values()]);
  return { keys, profiles: new Map([...byId.values()].map((w) => [w.id, durationProfile(w, keys)])) };
}
