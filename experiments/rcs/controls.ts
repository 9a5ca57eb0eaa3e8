/**
 * The controls of the rcs case study: why FLASH-Sizeless does or does not beat Sizeless.
 * Task-agnostic in spirit with the RL controls (experiments/protocols/controls.ts, whose
 * probe they reuse), for a supervised task:
 *
 *   oracle          the Sizeless MLP reading the workload's true duration profile over every
 *                   configuration (envs/rcs/oracle.ts) in place of the embedding: all the
 *                   information any embedding could carry, in its rawest form.
 *   oracle_curve    the MLP reading the workload's curve parameters (`curveParameters` fitted
 *                   to all its points): the same truth, compact and smooth, as a task's true
 *                   parameters are in the RL controls. Not beating Sizeless: no room.
 *   oracle_context  the MLP reading the curve parameters fitted to the query's bases only:
 *                   what a perfect meta learner could read from the X-shot context (nothing
 *                   at 1-shot). Beating Sizeless where FLASH does not: the meta learner's gap;
 *                   not beating it while oracle_curve does: the context lacks the information.
 *   shuffled        FLASH served with the embedding of a training pair of another
 *                   application: as good as its own, the MLP ignores the embedding.
 *   zero            FLASH served with the zero vector in place of the embedding.
 *   probe           leave-one-application-out R^2 of a ridge map from the embeddings (the
 *                   training pairs' and the served ones) to the duration profiles.
 */
import * as tf from "@tensorflow/tfjs";
import type { ExtraInput } from "../../agents/extra.js";
import { ShapeError } from "../../flash/errors.js";
import { Rng } from "../../flash/rng.js";
import { RcsDataError } from "../../envs/rcs/index.js";
import { probeR2, ridge } from "../protocols/controls.js";
import { formatMeanCi, meanCi95, meanCiJson, type MeanCi } from "../stats.js";

export const CONTROLS = ["oracle", "oracle_curve", "oracle_context", "shuffled", "zero"] as const;
export type Control = (typeof CONTROLS)[number];

export const CONTROL_LABELS: Record<Control, string> = {
  oracle: "control: oracle (true duration profile over every configuration)",
  oracle_curve: "control: oracle (true curve parameters, fitted to every configuration)",
  oracle_context: "control: oracle of the context (curve parameters fitted to the bases only)",
  shuffled: "control: FLASH with another application's embedding",
  zero: "control: FLASH with the zero vector",
};

/**
 * Curve parameters of a workload from measured points: a ridge fit (lambda 1e-2) of log2
 * duration on [z, z^2], z the configuration standardised by `scale` (a constant coordinate
 * gives 0), without the intercept (the level is in the base features). Serverless: slope and
 * curvature of time over log2 memory. One point, or points of equal duration: all zeros.
 */
export function curveParameters(points: readonly { config: readonly number[]; duration: number }[], scale: { mean: number[]; std: number[] }): number[] {
  const z = points.map((p) => p.config.map((v, j) => (scale.std[j] > 1e-12 ? (v - scale.mean[j]) / scale.std[j] : 0)));
  const X = z.map((r) => [...r, ...r.map((v) => v * v)]);
  const logs = points.map((p) => Math.log2(p.duration));
  const m = logs.reduce((a, v) => a + v, 0) / logs.length;
  return ridge(
    X,
    logs.map((v) => v - m),
    1e-2,
  ).slice(0, -1);
}

/** A FLASH pair the meta learner embedded: a training base set or a served query. */
export interface PairRecord {
  /** Context id of the pair in the MLP's extra input. */
  id: number;
  pair: string;
  workload: string;
  app: string;
  shots: number;
  role: "train" | "test";
}

/** An extra input of fixed vectors that grows: `add(v)` returns the context id that reads `v`. */
export class VectorBank implements ExtraInput {
  private readonly rows: Float32Array[] = [];
  constructor(readonly dim: number) {}

  add(v: readonly number[]): number {
    if (v.length !== this.dim || !v.every(Number.isFinite)) throw new ShapeError("VectorBank vector", `${this.dim} finite numbers`, `[${v.join(", ")}]`);
    this.rows.push(Float32Array.from(v));
    return this.rows.length - 1;
  }

  compute(obs: tf.Tensor2D, ctx: Int32Array): tf.Tensor2D {
    const flat = new Float32Array(ctx.length * this.dim);
    ctx.forEach((id, i) => {
      const row = this.rows[id];
      if (!row) throw new ShapeError("VectorBank context id", `0..${this.rows.length - 1}`, String(id));
      flat.set(row, i * this.dim);
    });
    return tf.tensor2d(flat, [obs.shape[0], this.dim]);
  }
}

/**
 * The training pair whose embedding the shuffled control serves to a query of `app` with
 * `shots` bases: drawn (seeded by `seed`) among the training pairs of other applications
 * with the same shot count (an in-distribution context length), else of any shot count.
 * Never a pair of `app` itself: leaving a cloud out, the same applications train and test.
 */
export function shuffledPartner(pairs: readonly PairRecord[], app: string, shots: number, seed: string): PairRecord {
  const others = pairs.filter((p) => p.role === "train" && p.app !== app);
  if (others.length === 0)
    throw new RcsDataError(`shuffled control: every training pair is of application "${app}"; no other application's embedding to serve`);
  const same = others.filter((p) => p.shots === shots);
  const pool = same.length ? same : others;
  return pool[new Rng(seed).int(0, pool.length)];
}

/**
 * The embedding probe of one trained model: leave-one-application-out R^2 of a ridge map
 * from every embedded pair's embedding to its workload's duration profile (all the base
 * sets and queries of one application are held out together). Null when fewer than 4
 * applications or no profile coordinate varies.
 */
export function embeddingProbe(pairs: readonly PairRecord[], embedding: (pair: string) => ArrayLike<number>, profiles: Map<string, number[]>): number | null {
  const rows = pairs.filter((p) => profiles.has(p.workload));
  return probeR2(
    rows.map((p) => Array.from(embedding(p.pair))),
    rows.map((p) => profiles.get(p.workload) as number[]),
    1e-2,
    rows.map((p) => p.app),
  );
}

/** What the controls' summaries read of an evaluation (protocol.ts `EvaluationResult`; structural, so this module needs no import of the protocol). */
export interface ControlledEvaluation {
  shots: number[];
  methods: readonly string[];
  controls: readonly Control[];
  iterations: readonly { mape: Record<string, Record<string, number>>; probeR2?: number | null }[];
  summary: Record<string, Record<string, MeanCi>>;
}

type ByShots = Record<string, { mean: number; ci95: number | null; n: number }>;

/** Per shot count, mean and CI over iterations of f(iteration's MAPE record). */
function overIterations(r: ControlledEvaluation, f: (mape: Record<string, Record<string, number>>, s: string) => number): ByShots {
  return Object.fromEntries(r.shots.map((s) => [String(s), meanCiJson(meanCi95(r.iterations.map((it) => f(it.mape, String(s)))))]));
}

/** How far below Sizeless's MAPE a predictor's is, per iteration (0.5 = half of Sizeless's error; negative = above). */
const belowSizeless = (name: string) => (mape: Record<string, Record<string, number>>, s: string) => 1 - mape[name][s] / mape.sizeless[s];

/**
 * results.json's `controls` block: per control its MAPE and how far it is below Sizeless,
 * per shot count, `{mean, ci95, n}` over iterations like every other summary; FLASH's own
 * distance below Sizeless beside them; the probe's R^2. Null when the run had no controls.
 */
export function controlsJson(r: ControlledEvaluation): Record<string, unknown> | null {
  if (!r.controls.length) return null;
  const sizeless = r.methods.includes("sizeless");
  const probes = r.iterations.map((it) => it.probeR2).filter((v): v is number => typeof v === "number");
  return {
    flash_below_sizeless: sizeless && r.methods.includes("flash") ? overIterations(r, belowSizeless("flash")) : null,
    ...Object.fromEntries(
      r.controls.map((c) => [c, { mape: overIterations(r, (m, s) => m[c][s]), below_sizeless: sizeless ? overIterations(r, belowSizeless(c)) : null }]),
    ),
    probe_r2: probes.length ? meanCiJson(meanCi95(probes)) : null,
    probe_r2_by_iteration: r.iterations.map((it) => it.probeR2 ?? null),
  };
}

/** Rows of the Markdown MAPE table for the controls (same columns as the methods'). */
export function controlRows(r: ControlledEvaluation): string[] {
  return r.controls.map((c) => `| ${CONTROL_LABELS[c]} | ${r.shots.map((s) => formatMeanCi(r.summary[c][String(s)])).join(" | ")} |`);
}

/** What the controls say, in sentences with their numbers. */
export function controlFindings(r: ControlledEvaluation): string[] {
  if (!r.controls.length || !r.methods.includes("sizeless")) return [];
  const fmt = (m: { mean: number; ci95: number | null }) => `${(100 * m.mean).toFixed(0)}%${m.ci95 === null ? "" : ` ± ${(100 * m.ci95).toFixed(0)}%`}`;
  const below = (name: string) => overIterations(r, belowSizeless(name));
  const out: string[] = [];
  const line = (name: string, label: string) =>
    `${label} below Sizeless (${r.shots.join("/")}-shot, mean ± 95% CI over iterations): ${r.shots.map((s) => fmt(below(name)[String(s)])).join(" / ")}.`;
  if (r.methods.includes("flash")) out.push(line("flash", "FLASH"));
  for (const c of r.controls) out.push(line(c, CONTROL_LABELS[c]));
  const probes = r.iterations.map((it) => it.probeR2).filter((v): v is number => typeof v === "number");
  if (probes.length) out.push(`Embedding probe (leave-one-application-out R², embedding -> duration profile): ${formatMeanCi(meanCi95(probes))}.`);
  return out;
}
