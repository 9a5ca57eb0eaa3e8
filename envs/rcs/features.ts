/**
 * Leak-free samples for resource configuration search.
 *
 * A *query* is what a user has for a workload: its measurements at X base points
 * (`bases`, full RcsPoint) and the configurations of the points it wants predicted
 * (`targets`, TargetConfig: configuration only, nothing measured there). Every
 * predictor in experiments/rcs reads a Query; the measured durations at the targets
 * (`truth`) are kept apart and used only for scoring. `makeQuery` is the one place
 * that splits a workload into the two.
 *
 * Sample features for (base b, target t), Sizeless style (README "Features"):
 *   base monitoring aggregates (dataset.metricNames) at b,
 *   runtime flags (nodejs, python; an unknown runtime gets both 0),
 *   configuration of b, of t, and t - b (serverless: log2 MB).
 * Label: duration(t) / duration(b), the scale-free ratio Sizeless predicts. The base b of
 * a target is the nearest base in configuration space (ties: the earlier base), so the
 * naive baseline "time at target = time at the nearest base" is the label 1.
 *
 * The meta learner's context for a query: one sequence with a row per ordered pair
 * (b_i, b_j) of bases, i = j included: features(b_i, config of b_j) and the label
 * log2(duration(b_j) / duration(b_i)). With one base it is the single row (b, b, 0):
 * the base's own monitoring data and nothing else.
 */
import type { Rng } from "../../flash/rng.js";
import { RcsDataError } from "./errors.js";
import type { RcsDataset, RcsPoint, RcsWorkload, TargetConfig } from "./types.js";
import { targetOf } from "./types.js";

export const RUNTIME_FLAGS = ["nodejs", "python"] as const;

export function featureNames(ds: Pick<RcsDataset, "metricNames" | "configNames">): string[] {
  return [
    ...ds.metricNames.map((m) => `base_${m}`),
    ...RUNTIME_FLAGS.map((r) => `runtime_${r}`),
    ...ds.configNames.map((c) => `base_${c}`),
    ...ds.configNames.map((c) => `target_${c}`),
    ...ds.configNames.map((c) => `delta_${c}`),
  ];
}

export function runtimeFlags(runtime: string): number[] {
  const r = runtime.toLowerCase();
  return RUNTIME_FLAGS.map((f) => (r.startsWith(f) || (f === "nodejs" && r.startsWith("node")) ? 1 : 0));
}

/** Features of predicting `target` from the measurements at `base`. Reads nothing measured at the target. */
export function sampleFeatures(base: RcsPoint, target: TargetConfig, runtime: string): number[] {
  return [...base.metrics, ...runtimeFlags(runtime), ...base.config, ...target.config, ...target.config.map((v, i) => v - base.config[i])];
}

function dist2(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** The base nearest to `target` in configuration space (ties: the earlier base). */
export function nearestBase(bases: readonly RcsPoint[], target: TargetConfig): RcsPoint {
  if (bases.length === 0) throw new RcsDataError("nearestBase: no base measurement");
  let best = bases[0];
  let bd = dist2(best.config, target.config);
  for (const b of bases.slice(1)) {
    const d = dist2(b.config, target.config);
    if (d < bd) {
      best = b;
      bd = d;
    }
  }
  return best;
}

/** What a user has for one workload: measurements at the bases, configurations of the targets. */
export interface Query {
  workload: string;
  app: string;
  runtime: string;
  bases: RcsPoint[];
  targets: TargetConfig[];
}

/** Split a workload into the query (bases measured, targets by configuration) and the truth at the targets. */
export function makeQuery(w: RcsWorkload, baseKeys: readonly string[], targetKeys?: readonly string[]): { query: Query; truth: number[] } {
  const byKey = new Map(w.points.map((p) => [p.key, p]));
  const bases = baseKeys.map((k) => {
    const p = byKey.get(k);
    if (!p) throw new RcsDataError(`workload "${w.id}": no measurement at base ${k}`);
    return structuredClone(p);
  });
  const baseSet = new Set(baseKeys);
  const targetsPts = (targetKeys ?? w.points.map((p) => p.key).filter((k) => !baseSet.has(k))).map((k) => {
    const p = byKey.get(k);
    if (!p) throw new RcsDataError(`workload "${w.id}": no measurement at target ${k}`);
    return p;
  });
  return { query: { workload: w.id, app: w.app, runtime: w.runtime, bases, targets: targetsPts.map(targetOf) }, truth: targetsPts.map((p) => p.duration) };
}

/** X distinct base keys, drawn uniformly (seeded); an error naming the workload if it has too few points. */
export function chooseBases(w: RcsWorkload, shots: number, rng: Rng, needTargets = 1): string[] {
  if (w.points.length < shots + needTargets) {
    throw new RcsDataError(
      `workload "${w.id}" (app "${w.app}") is measured at ${w.points.length} configuration(s); ${shots}-shot needs ${shots} ` +
        `base(s)${needTargets ? ` plus ${needTargets} target(s)` : ""}`,
    );
  }
  const keys = w.points.map((p) => p.key);
  return rng.shuffle([...keys]).slice(0, shots);
}

/** Regressor rows of a query: one per target, with its reference (nearest) base. */
export function queryRows(q: Query): { features: number[][]; refDuration: number[]; refKey: string[] } {
  const features: number[][] = [];
  const refDuration: number[] = [];
  const refKey: string[] = [];
  for (const t of q.targets) {
    const b = nearestBase(q.bases, t);
    features.push(sampleFeatures(b, t, q.runtime));
    refDuration.push(b.duration);
    refKey.push(b.key);
  }
  return { features, refDuration, refKey };
}

/** The meta learner's context of a query (see the module comment); labels are log2 ratios. */
export function contextRows(q: Pick<Query, "bases" | "runtime">): { features: number[][]; labels: number[] } {
  const features: number[][] = [];
  const labels: number[] = [];
  for (const bi of q.bases) {
    for (const bj of q.bases) {
      features.push(sampleFeatures(bi, targetOf(bj), q.runtime));
      labels.push(Math.log2(bj.duration / bi.duration));
    }
  }
  return { features, labels };
}

/**
 * A compact meta-learner context (RcsModelConfig.context "compact"): one row per ordered
 * pair (b_i, b_j), i = j included, with only the configurations of b_i and b_j, their
 * difference and log10 duration(b_i) minus the mean log10 duration over the bases (the
 * bases' measurements normalised against each other); label log2(duration(b_j) /
 * duration(b_i)). No monitoring metric: what it can tell the MLP is how the workload's
 * time moved between its bases, not which workload it is.
 */
export function compactContextRows(q: Pick<Query, "bases">): { features: number[][]; labels: number[] } {
  const logs = q.bases.map((b) => Math.log10(b.duration));
  const m = logs.reduce((a, v) => a + v, 0) / logs.length;
  const features: number[][] = [];
  const labels: number[] = [];
  q.bases.forEach((bi, i) => {
    for (const bj of q.bases) {
      features.push([...bi.config, ...bj.config, ...bj.config.map((v, k) => v - bi.config[k]), logs[i] - m]);
      labels.push(Math.log2(bj.duration / bi.duration));
    }
  });
  return { features, labels };
}

export function compactContextWidth(configDim: number): number {
  return 3 * configDim + 1;
}

/** Labeled pairs between distinct bases (what transfer learning can fine-tune on): ratio labels. */
export function basePairRows(q: Pick<Query, "bases" | "runtime">): { features: number[][]; labels: number[] } {
  const features: number[][] = [];
  const labels: number[] = [];
  for (const bi of q.bases) {
    for (const bj of q.bases) {
      if (bi === bj) continue;
      features.push(sampleFeatures(bi, targetOf(bj), q.runtime));
      labels.push(bj.duration / bi.duration);
    }
  }
  return { features, labels };
}

/**
 * Per-feature standardisation fitted on training rows. A feature (near-)constant in the
 * training rows carries nothing a model could learn and would explode under
 * standardisation (dividing by ~1e-16): it is mapped to 0 everywhere (std 0 in the JSON).
 * Standardised values are clipped to [-CLIP, CLIP] so a test workload far outside the
 * training range (e.g. split (b): Python functions after Node.js-only training) cannot
 * drive the MLP to astronomical outputs.
 */
export class FeatureScaler {
  static readonly CLIP = 10;

  constructor(
    readonly mean: number[],
    readonly std: number[],
  ) {}

  static fit(rows: readonly (readonly number[])[]): FeatureScaler {
    if (rows.length === 0) throw new RcsDataError("FeatureScaler.fit: no rows");
    const d = rows[0].length;
    const mean = new Array<number>(d).fill(0);
    const std = new Array<number>(d).fill(0);
    for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
    for (const r of rows) for (let j = 0; j < d; j++) std[j] += (r[j] - mean[j]) ** 2 / rows.length;
    return new FeatureScaler(
      mean,
      std.map((s, j) => (Math.sqrt(s) > 1e-9 * Math.max(1, Math.abs(mean[j])) ? Math.sqrt(s) : 0)),
    );
  }

  apply(rows: readonly (readonly number[])[]): number[][] {
    const c = FeatureScaler.CLIP;
    return rows.map((r) => r.map((v, j) => (this.std[j] === 0 ? 0 : Math.max(-c, Math.min(c, (v - this.mean[j]) / this.std[j])))));
  }

  toJSON(): { mean: number[]; std: number[] } {
    return { mean: this.mean, std: this.std };
  }
}
