/**
 * The results.json schema of an RL reproduction or sweep (`flash-adapt-results@2`): what
 * the runner writes (run-rl.ts), the report reads (report/rl-report.ts) and the golden
 * runs pick their key numbers from (golden/golden.ts). A types-only module (plus the
 * one migration from @1), so that writer and readers do not import each other.
 *
 * Key style: every field name is snake_case. Keys of maps are names and keep their own
 * spelling: variant ids (`tl-paper`, `flash-zero`), pair ids (`app-0000+fileSizex4@syn0`),
 * metric ids (`cpuUtil`, `energyJ`: `RlTask.metricLabels`), update scenarios (`fileSize`),
 * unit ids and unit kinds. Two embedded documents keep their own schema: `config` is the
 * run's config.json (`flash-adapt-run@1`, the task config as the task's TypeScript config
 * types spell it, so `flash rerun` reads it back), and `paper` is the task's `paper`
 * object with its keys written in snake_case.
 *
 * A number with a 95% interval is a {@link MeanCiJson}; a field that a task or run cannot
 * have (no oracle, no update scenarios, no sweep) is null, never absent.
 *
 * @1 (before) differs in field names only: byVariant, convergedFraction, byPair,
 * byScenario, breakEven, perPair, evalReturn, trainLevel, trainedOn, poolSize,
 * pretrainEpisodes, unitsSpanSeconds, unitSecondsSum, byKind, ranUnits, resumedUnits,
 * tfVersion, cpuModel, memGiB and paper's camelCase keys; `migrateResults` turns one
 * into the other.
 */
import { DataError } from "../../errors.js";
import type { RunConfig } from "./config.js";
import type { Provenance } from "./provenance.js";
import type { ReferenceTraining } from "../protocols/plateau.js";

export const RESULTS_FORMAT = "flash-adapt-results@2";
export const RESULTS_FORMAT_V1 = "flash-adapt-results@1";

/** Mean over samples with its 95% t-interval half-width (null with fewer than two samples) and the sample count. */
export interface MeanCiJson {
  mean: number;
  ci95: number | null;
  n: number;
}

/** A restricted mean up to `tau` episodes (protocols/censoring.ts): a large-sample 95% interval. */
export interface RestrictedMeanJson extends MeanCiJson {
  /** The horizon: the adaptation cap, or the last episode observed when runs were observed less far. */
  tau: number;
}

/** A ratio of Kaplan-Meier medians: exact, or a bound when one variant's median is past the end of observation. */
export interface MedianRatioJson {
  value: number;
  bound: "exact" | "at least" | "at most";
}

/** A paired speedup: mean over (pair, replicate) of slow episodes / fast episodes, with CI. */
export interface SpeedupJson extends MeanCiJson {
  /** mean(slow episodes) / mean(fast episodes). */
  ratio_of_means: number;
  /** Paired tests where either run hit the adaptation cap (their ratio is a bound). */
  capped: number;
  /**
   * Censoring-aware (protocols/censoring.ts): restricted mean of slow / of fast up to the
   * cap on the same tests, 95% jackknife interval over tests; absent in files written before.
   */
  restricted_mean_ratio?: RestrictedMeanJson;
  /** KM median of slow / of fast (null: neither median reached); absent in files written before. */
  km_median_ratio?: MedianRatioJson | null;
}

/** One A/B test: an agent served on a pair without weight update. */
export interface ServedJson {
  variant: string;
  replicate: number;
  /** The pair served. */
  pair: string;
  /** For the original agent: the pair it was trained on. */
  trained_on?: string;
  /** Deterministic evaluation return. */
  reward: number;
  /** Application-update experiment: the update scenario that made `pair`. */
  scenario?: string;
  /** The task's operational metrics over the same evaluation (per-step means), keyed by metric id. */
  metrics?: Record<string, number>;
}

/** A served test with its reward drop (protocols/reward-drop.ts). */
export interface DropJson extends ServedJson {
  drop: number;
}

/** A pair's reference: agents trained on that pair alone. */
export interface ReferenceJson {
  pair: string;
  /** Mean deterministic evaluation return of the reference agents (over replicates). */
  eval_return: number;
  /** Mean of the last `window` episodes of the reference learning curve: convergence's reference level. */
  train_level: number;
  /** The random policy's return (the zero point of reward drop and convergence). */
  baseline: number;
}

/** Cost per pair of pretraining once and adapting to N pairs (protocols/amortisation.ts). */
export interface AmortisationJson {
  variant: string;
  /** (pretraining episodes) / N + (adaptation episodes) for N = 1, 2, ... */
  points: { n: number; per_pair: number }[];
  /** Per other variant: the smallest N from which this one is no costlier per pair; null if never within the plotted range. */
  break_even: Record<string, number | null>;
}

/** Episodes to convergence of one variant (protocols/adaptation.ts). */
export interface VariantCostJson {
  variant: string;
  episodes: MeanCiJson;
  /** Fraction of (pair, replicate) runs that converged within the cap. */
  converged_fraction: number;
  /** Censoring-aware (protocols/censoring.ts; absent in files written before): the restricted mean up to the cap. */
  restricted_mean?: RestrictedMeanJson;
  /** The Kaplan-Meier median of episodes to convergence; null when more than half the runs never converged. */
  km_median?: number | null;
  /** Runs that had not converged when their curve ended (censored). */
  censored?: number;
}

/** Pearson and Spearman correlation of scatter points (null when undefined, e.g. constant x). */
export interface CorrelationJson<P> {
  n: number;
  pearson: number | null;
  spearman: number | null;
  points: P[];
}

/** A non-ML baseline (a task's `ReferenceResult.baselines`), served like an agent without weight update. */
export interface BaselineJson {
  /** Readable name (the task's `baselineLabels`, else the key). */
  label: string;
  /** Mean deterministic return over (new pair, replicate). */
  reward: MeanCiJson | null;
  /** Reward drop against the pair's reference, the agents' definition. */
  reward_drop: MeanCiJson | null;
  /** Tests left out of the drop: their pair's reference was no better than random. */
  excluded: number;
  /** Mean reward per new pair over replicates, keyed by pair id. */
  by_pair: Record<string, number>;
}

/** Reward and reward drop of one variant. */
export interface RewardAndDropJson {
  reward: MeanCiJson | null;
  reward_drop: MeanCiJson | null;
}

/** The application-update experiment (tasks with `updates`): variants served on updated pairs. */
export interface UpdatesJson {
  /** Every scenario together, keyed by variant id. */
  all: Record<string, RewardAndDropJson>;
  /** Per update scenario: its updated pairs and the variants on them. */
  by_scenario: Record<string, { pairs: string[]; variants: Record<string, RewardAndDropJson> }>;
  /** Tests whose updated pair's reference was no better than random. */
  excluded: number;
  /** The updated pairs' references. */
  references: ReferenceJson[];
  samples: DropJson[];
}

/** Operational metrics per variant (Figure 8's CPU utilisation and SLO panels for autoscaling). */
export interface OperationsJson {
  /** Metric id -> readable label. */
  labels: Record<string, string>;
  /** Variant id -> metric id -> mean over samples. */
  by_variant: Record<string, Record<string, MeanCiJson | null>>;
  samples: { variant: string; pair: string; replicate: number; metrics: Record<string, number> }[];
}

/** The controls (protocols/controls.ts). */
export interface ControlsJson {
  /** The oracle context (the task's true parameters): null when the task has no oracle. */
  oracle: {
    reward_drop: MeanCiJson | null;
    speedup_vs_tl: SpeedupJson | null;
    speedup_vs_tl_paper: SpeedupJson | null;
    flash_speedup_vs_oracle: SpeedupJson | null;
  } | null;
  /** FLASH served with another pool pair's embedding. */
  shuffled: { reward_drop: MeanCiJson | null };
  /** FLASH served with the zero vector. */
  zero: { reward_drop: MeanCiJson | null };
  /** FLASH with the earlier serve protocol (deterministic context, first episode with the zero vector). */
  before: { reward_drop: MeanCiJson | null };
  /** Leave-one-out R^2 of a linear probe from embeddings to the oracle parameters, over replicates. */
  probe_r2: MeanCiJson | null;
  probe_r2_by_replicate: number[];
}

/** One pool size of `flash sweep`. */
export interface SweepPointJson {
  pool_size: number;
  adaptation: (VariantCostJson & { n?: number })[];
  speedup_vs_tl: SpeedupJson | null;
  /** The oracle control's speedup over TL at this size (null: the task has no oracle; absent before issue 26). */
  oracle_speedup_vs_tl?: SpeedupJson | null;
  /** Pretraining episodes (FLASH's include its warm-up episodes); `oracle` absent before issue 26. */
  pretrain_episodes: { flash: number | null; tl: number | null; oracle?: number | null };
  amortisation: AmortisationJson[] | null;
  /** FLASH's, TL's and the oracle's served drop at this pool size, and FLASH - TL paired (protocols/pool-sweep.ts); `oracle` absent before issue 26. */
  reward_drop: { flash: MeanCiJson | null; tl: MeanCiJson | null; flash_minus_tl: MeanCiJson | null; oracle?: MeanCiJson | null };
  /** The per-test values behind the speedup and the drops (for `sweep_power`). */
  tests: Record<SweepMetric, TestValue[]>;
}

/** One new pair's value in one replicate (a sweep's per-test values). */
export interface TestValue {
  pair: string;
  replicate: number;
  value: number;
}

/** The metrics whose pool-size effect a sweep measures. */
export type SweepMetric = "speedup_vs_tl" | "drop_flash" | "drop_tl" | "drop_flash_minus_tl";

/** One metric's pool-size effect and the replicates it would need. */
export interface PoolEffect {
  metric: SweepMetric;
  /** Mean per pool size. */
  means: { pool_size: number; mean: number; n: number }[];
  /** Largest minus smallest pool's mean (the sweep's end points). */
  observed: number;
  /** Do the smallest and largest pools' intervals overlap? (false: they are apart) */
  overlap: boolean | null;
  /** Pooled per-test standard deviation over sizes, and of per-replicate means (tests of one replicate share a pretraining). */
  sd_test: number | null;
  sd_replicate: number | null;
  /** Tests per size, and replicates (tests / new pairs per replicate), for the observed effect. */
  observed_needs: { tests: number | null; replicates: number | null; by_replicate_means: number | null };
  stated: number;
  stated_needs: { tests: number | null; replicates: number | null; by_replicate_means: number | null };
  /**
   * The paired view: per (new pair, replicate), the largest pool's value minus the
   * smallest's (same pairs and environment seeds at every size, so pair effects cancel);
   * its mean ± 95% CI, and the tests for that interval to exclude zero at the observed and
   * the stated effect. A weaker criterion than non-overlapping intervals, and a cheaper one.
   */
  paired: { mean: number; ci95: number | null; n: number; sd: number | null; observed_tests: number | null; stated_tests: number | null } | null;
}

/** Every number `summarise` (protocols/rl-reproduce.ts) computes from the finished units. */
export interface RlSummary {
  /** Which learning curve convergence used (`RlTask.convergenceCurve`): "training" or "evaluation". */
  convergence_curve: "training" | "evaluation";
  adaptation_speedup_vs_tl: SpeedupJson | null;
  adaptation_speedup_vs_scratch: SpeedupJson | null;
  /** Against the paper's TL (the agent trained on one previously seen pair, then fine-tuned). */
  adaptation_speedup_vs_tl_paper: SpeedupJson | null;
  /** Reward drop (R_ref - R) / (R_ref - B) of the served agents. */
  reward_drop: {
    flash: MeanCiJson | null;
    original: MeanCiJson | null;
    tl: MeanCiJson | null;
    tl_paper: MeanCiJson | null;
    excluded: number;
    samples: DropJson[];
    /** Every served reward, including tests excluded from the drop. */
    served: ServedJson[];
  };
  /** The paper's definition, 1 - R / R_ref, keyed by variant with "-" written "_": comparable with the paper for positive rewards only. */
  reward_drop_paper: Record<string, MeanCiJson | null>;
  controls: ControlsJson;
  /** Non-ML baselines, keyed by baseline id ({} when the task has none). */
  baselines: Record<string, BaselineJson>;
  updates: UpdatesJson | null;
  operations: OperationsJson | null;
  adaptation: {
    /** The adaptation budget in episodes (a run that never converges counts as `cap`). */
    cap: number;
    window: number;
    tolerance: number;
    by_variant: (VariantCostJson & { n: number })[];
    /** Per run; `observed`: episodes observed (min(curve length, cap); absent in files written before). */
    costs: { variant: string; pair: string; replicate: number; episodes: number; converged: boolean; observed?: number }[];
    /** Mean normalised return (R - B) / (R_ref - B) per episode with its 95% band. */
    curves: { variant: string; episode: number; mean: number; lo: number; hi: number; n: number }[];
  };
  /** Per pretrained variant: episodes and wall seconds over replicates. */
  pretraining: Record<string, { episodes: number; seconds: MeanCiJson | null }>;
  amortisation: AmortisationJson[] | null;
  similarity: {
    /** Embedding similarity of (trained-on, served) pair against the original agent's drop. */
    drop: CorrelationJson<{ x: number; y: number; from: string; pair: string; replicate: number }>;
    /** Similarity of a new pair to its nearest pool pair against adaptation episodes. */
    cost: CorrelationJson<{ x: number; y: number; variant: string; pair: string; replicate: number }>;
  };
  /** The new pairs' references (the updated pairs' are in `updates.references`). */
  references: ReferenceJson[];
  /**
   * References trained to a plateau (profiles with `budgets.referenceCap`, protocols/plateau.ts):
   * the minimum and cap, runs that stopped on a plateau and at the cap, episodes per run;
   * null for a fixed number of episodes (and absent in files written before issue 26).
   */
  reference_training?: ReferenceTraining | null;
  sweep: SweepPointJson[] | null;
  /** Sweep only: per metric, the pool-size effect and the replicates it would need for non-overlapping intervals (protocols/pool-sweep.ts). */
  sweep_power: PoolEffect[] | null;
}

/** Where and how the run was produced (runner/provenance.ts, keys in snake_case). */
export interface ResultsProvenance {
  git: { commit: string | null; dirty: boolean | null };
  backend: { name: string; tf_version: string } | null;
  node: string;
  machine: { cpus: number; cpu_model: string | undefined; mem_gib: number; platform: string };
}

/** runner/provenance.ts's record in results.json's spelling. */
export function provenanceJson(p: Provenance): ResultsProvenance {
  return {
    git: p.git,
    backend: p.backend ? { name: p.backend.name, tf_version: p.backend.tfVersion } : null,
    node: p.node,
    machine: { cpus: p.machine.cpus, cpu_model: p.machine.cpuModel, mem_gib: p.machine.memGiB, platform: p.machine.platform },
  };
}

/** One `reproduce`/`rerun` into the run directory. */
export interface InvocationJson {
  started: string;
  seconds: number;
  ran_units: number;
  workers: number;
}

export interface RlResults extends RlSummary {
  format: typeof RESULTS_FORMAT;
  task: string;
  profile: string;
  /** What the profile is for, from the task's profile table (null: the task has none, or an @1 file). */
  profile_purpose: string | null;
  command: "reproduce" | "sweep";
  /** The task's one-line description of its pairs and budgets. */
  describe: string;
  /** The paper's numbers for this task (keys snake_case), or null. */
  paper: Record<string, unknown> | null;
  /** run: the run seed; replicates: 0..seeds-1; units: unit id -> derived seed. */
  seeds: { run: number; replicates: number[]; units: Record<string, number> };
  backend: string | null;
  provenance: ResultsProvenance;
  wall: {
    /** This invocation (small when it resumed finished units). */
    seconds: number;
    /** From the first unit's start to the last unit's end over every invocation (the run's wall time when it ran in one go). */
    units_span_seconds: number;
    unit_seconds_sum: number;
    /** Unit kind -> summed unit seconds. */
    by_kind: Record<string, number>;
    workers: number;
    ran_units: number;
    resumed_units: number;
    /** Every `reproduce`/`rerun` into this directory. */
    invocations: InvocationJson[];
  };
  config: RunConfig;
  units: { id: string; kind: string; seed: number; seconds: number; worker: number; host?: string; resumed: boolean }[];
}

/** "rewardDropFlash" -> "reward_drop_flash". */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A flat object's keys in snake_case (the task's `paper` numbers). */
export function snakeKeys(o: unknown): Record<string, unknown> | null {
  if (o === null || typeof o !== "object") return null;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [snakeCase(k), v]));
}

type Json = Record<string, unknown>;

/** Renames `from` to `to` in `o` when present (an object of a @1 file). */
function rename(o: unknown, pairs: Record<string, string>): void {
  if (o === null || typeof o !== "object") return;
  const x = o as Json;
  for (const [from, to] of Object.entries(pairs)) {
    if (!(from in x)) continue;
    x[to] = x[from];
    delete x[from];
  }
}

const each = (xs: unknown, f: (x: unknown) => void) => (Array.isArray(xs) ? xs.forEach(f) : undefined);
const values = (o: unknown): unknown[] => (o && typeof o === "object" ? Object.values(o) : []);

/** The field renames of @1 -> @2, applied where each field lives; map keys (names) are left alone. */
function migrateV1(r: Json): void {
  const served = (s: unknown) => rename(s, { trainedOn: "trained_on" });
  const reference = (x: unknown) => rename(x, { evalReturn: "eval_return", trainLevel: "train_level" });
  const amort = (a: unknown) => {
    rename(a, { breakEven: "break_even" });
    each((a as Json)?.points, (p) => rename(p, { perPair: "per_pair" }));
  };
  const variantCost = (v: unknown) => rename(v, { convergedFraction: "converged_fraction" });
  const rd = r.reward_drop as Json | undefined;
  each(rd?.samples, served);
  each(rd?.served, served);
  for (const b of values(r.baselines)) rename(b, { byPair: "by_pair" });
  const up = r.updates as Json | null | undefined;
  rename(up, { byScenario: "by_scenario" });
  each(up?.references, reference);
  each(up?.samples, served);
  rename(r.operations, { byVariant: "by_variant" });
  const ad = r.adaptation as Json | undefined;
  rename(ad, { byVariant: "by_variant" });
  each(ad?.by_variant, variantCost);
  each(r.amortisation, amort);
  each(r.references, reference);
  each(r.sweep, (s) => {
    rename(s, { poolSize: "pool_size", pretrainEpisodes: "pretrain_episodes" });
    each((s as Json).adaptation, variantCost);
    each((s as Json).amortisation, amort);
  });
  r.paper = snakeKeys(r.paper);
  r.profile_purpose ??= null;
  const pv = r.provenance as Json | undefined;
  rename(pv?.backend, { tfVersion: "tf_version" });
  rename(pv?.machine, { cpuModel: "cpu_model", memGiB: "mem_gib" });
  const wall = r.wall as Json | undefined;
  rename(wall, {
    unitsSpanSeconds: "units_span_seconds",
    unitSecondsSum: "unit_seconds_sum",
    byKind: "by_kind",
    ranUnits: "ran_units",
    resumedUnits: "resumed_units",
  });
  each(wall?.invocations, (i) => rename(i, { ranUnits: "ran_units" }));
}

/**
 * A parsed results.json in the current format: @2 as it is, @1 migrated (a copy; field
 * renames only, no number changes). `where` names the file in the error for another format.
 */
export function migrateResults(parsed: unknown, where: string): RlResults {
  const format = (parsed as { format?: unknown } | null)?.format;
  if (format === RESULTS_FORMAT) return parsed as RlResults;
  if (format !== RESULTS_FORMAT_V1) {
    throw new DataError(`${where}: expected format ${RESULTS_FORMAT} or ${RESULTS_FORMAT_V1}, got ${JSON.stringify(format)}`);
  }
  const r = structuredClone(parsed) as Json;
  migrateV1(r);
  r.format = RESULTS_FORMAT;
  return r as unknown as RlResults;
}
