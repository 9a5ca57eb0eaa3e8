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
 * The oracle also keeps each workload and the standardisation of the configuration vectors
 * over all their points, for the controls that fit a curve to a workload's points
 * (experiments/rcs/controls.ts).
 */
import type { RcsWorkload } from "./types.js";

export interface WorkloadOracle {
  /** Configuration keys, one coordinate each, in a fixed order. */
  keys: string[];
  /** Duration profile per workload id. */
  profiles: Map<string, number[]>;
  /** The complete workload per id. */
  workloads: Map<string, RcsWorkload>;
  /** Mean and standard deviation of each configuration coordinate over every point of the workloads (std 0: constant). */
  configScale: { mean: number[]; std: number[] };
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

/** Per-coordinate mean and (population) standard deviation of configuration vectors. */
export function configurationScale(configs: readonly (readonly number[])[]): { mean: number[]; std: number[] } {
  const d = configs[0]?.length ?? 0;
  const n = Math.max(1, configs.length);
  const mean = Array.from({ length: d }, (_, j) => configs.reduce((a, c) => a + c[j], 0) / n);
  const std = Array.from({ length: d }, (_, j) => Math.sqrt(configs.reduce((a, c) => a + (c[j] - mean[j]) ** 2, 0) / n));
  return { mean, std };
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
  return {
    keys,
    profiles: new Map([...byId.values()].map((w) => [w.id, durationProfile(w, keys)])),
    workloads: byId,
    configScale: configurationScale([...byId.values()].flatMap((w) => w.points.map((p) => p.config))),
  };
}
