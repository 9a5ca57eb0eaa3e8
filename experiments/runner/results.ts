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

export const RESULTS_FORMAT = "flash-adapt-results@2";
export const RESULTS_FORMAT_V1 = "flash-adapt-results@1";

/** Mean over samples with its 95% t-interval half-width (null with fewer than two samples) and the sample count. */
/** What results.json says about the references' training (`reference_training`). */
export interface ReferenceTraining {
  min_episodes: number;
  cap: number;
  runs: number;
  /** Runs that stopped on a plateau, and runs that reached the cap without one. */
  plateau: number;
  capped: number;
  /** Episodes trained per run: mean, smallest and largest. */
  episodes: { mean: number; min: number; max: number };
}

export interface MeanCiJson {
  mean: number;
  ci95: number | null;
  n: number;
}

/**
 * A served metric at two levels (protocols/levels.ts): the mean ± 95% CI over tests (one
 * per pair and replicate: distinct pairs when each replicate draws its own), and over the
 * replicates' means (a replicate's tests share one pretraining, so the tests are not
 * independent; this interval says what another pretraining would give).
 */
export interface LevelsJson extends MeanCiJson {
  /** Distinct pairs among the tests. */
  pairs: number;
  replicates: MeanCiJson & { means: number[] };
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
  /** A pool pair of the served agent's own pretraining (`reward_drop_pool`); absent for a new pair. */
  pool?: true;
  /** The task's operational metrics over the same evaluation (per-step means), keyed by metric id. */
  metrics?: Record<string, number>;
}

/** A served test with its reward drop (protocols/reward-drop.ts). */
export interface DropJson extends ServedJson {
  drop: number;
  /** Whose return the drop's zero is (protocols/reference.ts): "rl" or the non-learning policy's name; absent before the reference rule. */
  reference_source?: string;
}

/**
 * A pair's reference: agents trained on that pair alone (`eval_return`, `train_level`),
 * and what the reference rule (protocols/reference.ts) made of them. The fields after
 * `baseline` are absent in results written before the rule.
 */
export interface ReferenceJson {
  pair: string;
  /** Mean deterministic evaluation return of the reference agents (over replicates): the RL reference. */
  eval_return: number;
  /** Mean of the last `window` episodes of the reference learning curve (the RL reference's level). */
  train_level: number;
  /** The random policy's return (the zero point of reward drop and convergence). */
  baseline: number;
  /** The best policy that needs no learning on this pair: its name (a baseline id, or `fixed:<label>`) and return; null: none. */
  non_learning?: { source: string; eval_return: number } | null;
  /** The best fixed action (chosen on the selection windows; `refined_from`: the grid point it was refined from) and its returns; null: no grid or no search. */
  fixed_action?: { label: string; select_return: number; eval_return: number; refined_from?: string } | null;
  /** Baselines that read hidden state (`RlTask.boundBaselines`): reported beside, never the reference. */
  bounds?: Record<string, number>;
  /** "rl" when the RL reference reaches the best non-learning policy, else that policy's name. */
  reference_source?: string;
  /** Did the RL reference reach (>=) the best non-learning policy? null: there was none to compare with. */
  reached?: boolean | null;
  /** What the drop and convergence use: the stronger of the two (`train_level` raised by the policy's margin when it wins). */
  used?: { eval_return: number; train_level: number };
}

/** The reference of a pair without an RL reference: its best fixed action (protocols/reference.ts `fixedReferences`). */
export interface FixedReferenceJson {
  pair: string;
  /** "new": a new pair served only (`referencePairs`); "pool": a pool pair (the pool tests). */
  role: "new" | "pool";
  /** `fixed:<label>`. */
  source: string;
  eval_return: number;
  /** The random policy's return on the same evaluation windows. */
  baseline: number;
}

/** The reference rule over a run (protocols/reference.ts). */
export interface ReferenceRuleJson {
  /** The fixed-action grid searched (null: none) and its windows. */
  grid: { size: number; select_windows: number[]; eval_windows: number[] } | null;
  /** Baseline ids counted as policies that need no learning, and those reported as bounds only. */
  baselines: string[];
  bounds: string[];
  /** Pairs with a reference (new and updated), of which `reached` have an RL reference at least as good as the best non-learning policy. */
  pairs: number;
  reached: number;
  /** reached / pairs compared (null: no pair had a non-learning policy to compare with). */
  fraction_reached: number | null;
  /** Pairs per reference source ("rl" or the policy's name). */
  by_source: Record<string, number>;
  /** Main A/B tests on a pair whose RL reference did not reach the best non-learning policy: reported, their drop measured from that policy. */
  weak_reference_tests: number;
  /** The same numbers against the RL references alone (before the rule): the drops, their exclusions and the speedup. */
  rl_only: {
    reward_drop: { flash: MeanCiJson | null; original: MeanCiJson | null; tl: MeanCiJson | null; tl_paper: MeanCiJson | null; excluded: number };
    adaptation_speedup_vs_tl: SpeedupJson | null;
  };
  /** Summed wall seconds of the fixed-action search (room units). */
  seconds: number;
}

/** One policy served on one pair of the room benchmark, against that pair's own best fixed action. */
export interface RoomPolicyJson {
  /** The grid candidate served (null: a mean over several pairs' candidates). */
  label: string | null;
  /** Mean return on the pair's evaluation windows. */
  reward: number;
  /** The pair's own best's return minus this one (reward per episode). */
  loss: number;
  /** loss / (own best - random): the fraction of the own best's gain over random that is lost (null: no gain). */
  loss_fraction: number | null;
}

/** One pair of the room benchmark (protocols/room.ts). */
export interface RoomPairJson {
  pair: string;
  application: string;
  role: "new" | "updated" | "pool";
  /** The uniform-random policy's return on the evaluation windows. */
  random: number;
  /** The pair's own best fixed action (chosen on the selection windows). */
  own: { label: string; reward: number; select_reward: number };
  /** own.reward - random. */
  gain: number;
  /** One candidate for every pair (chosen on every pair's selection windows, this one's included). */
  pair_blind: RoomPolicyJson;
  /** The mean over every other pair j of pair j's own best served here. */
  other_pairs: RoomPolicyJson;
  /** The pair-blind candidate chosen without any pair of this pair's application (null: one application only). */
  loao_pair_blind: RoomPolicyJson | null;
  /** The own best of the nearest pair of another application in the task's oracle features (null: no oracle hook or one application). */
  loao_oracle: (RoomPolicyJson & { nearest: string }) | null;
  /** Updated pairs: the own best of the pair before the update (its scenario: the update's effect on the best fixed action). */
  before_update: (RoomPolicyJson & { from: string; scenario: string }) | null;
}

/** A loss of the room benchmark over pairs. */
export interface RoomLossJson {
  /** Reward per episode. */
  loss: MeanCiJson | null;
  /** Per pair, as a fraction of its gain (pairs with a positive gain only; heavy-tailed where gains are small). */
  loss_fraction: MeanCiJson | null;
  /** Mean loss / mean gain over the same pairs (null: no positive mean gain). */
  share: number | null;
  /** The own best's gain over random on the same pairs. */
  gain: MeanCiJson | null;
}

/** The room verdict: does a fixed action that ignores the pair lose more than the convergence band? */
export interface RoomVerdictJson {
  /** The loss that decides: the pair-blind candidate chosen without the pair's application. */
  measure: "loao_pair_blind";
  outcome: "room" | "no room" | "undecided";
  /** Reward per episode, and the gain and share it is compared through. */
  loss: MeanCiJson | null;
  gain: MeanCiJson | null;
  share: number | null;
  /** The convergence tolerance, and the band it makes in reward per episode (tolerance x mean gain). */
  tolerance: number;
  band: number | null;
  /** The 95% interval's half-width of `loss` (reward per episode; and as a share of the mean gain): a smaller loss cannot be told from zero. */
  detectable: number | null;
  detectable_share: number | null;
  /** (t_0.975 + 0.84) x SE: the loss that this many pairs detect with 80% probability. */
  detectable_80: number | null;
  detectable_80_share: number | null;
  text: string;
}

/** The room benchmark (protocols/room.ts): how much a pair's own best fixed action beats policies that ignore the pair. */
export interface RoomJson {
  /** The fixed-action grid's labels. */
  grid: string[];
  windows: { select: number[]; eval: number[] };
  applications: number;
  /** The pair-blind candidate over every pair. */
  pair_blind_label: string;
  pairs: RoomPairJson[];
  summary: {
    gain: MeanCiJson | null;
    pair_blind: RoomLossJson;
    other_pairs: RoomLossJson;
    loao_pair_blind: RoomLossJson;
    loao_oracle: RoomLossJson | null;
    /** Per update scenario: the pair-before-the-update's best on the updated pairs. */
    by_scenario: Record<string, RoomLossJson>;
    /** How many pairs each candidate is the own best of. */
    own_best_counts: Record<string, number>;
  };
  verdict: RoomVerdictJson;
  /** Summed wall seconds of the search. */
  seconds: number;
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

/** The served agents on their own pool pairs (protocols/pool-tests.ts); null in runs without pool tests. */
export interface PoolDropJson {
  flash: LevelsJson | null;
  tl: LevelsJson | null;
  /** The paper's TL on the one pool pair it was trained on. */
  tl_paper: LevelsJson | null;
  /** What a pool pair's reference is (the drop's zero), in words. */
  reference: string;
  /** Pool tests left out: no reference, or a reference no better than random. */
  excluded: number;
  samples: DropJson[];
}

/** Which finding holds for a conditioned variant against TL (protocols/pool-tests.ts). */
export interface ConditioningJson {
  variant: string;
  /** Drop of the variant minus TL's, paired per (pool pair, replicate): below 0 = the variant serves better. */
  pool_minus_tl: LevelsJson | null;
  /** The same on new pairs. */
  new_minus_tl: LevelsJson | null;
  finding: "cannot condition" | "cannot generalise" | "conditions and generalises" | null;
  /** The finding in words with its numbers. */
  says: string | null;
}

/** The controls (protocols/controls.ts). */
export interface ControlsJson {
  /** The oracle context (the task's true parameters): null when the task has no oracle. */
  oracle: {
    reward_drop: MeanCiJson | null;
    /** On its own pool pairs (null: no pool tests). */
    reward_drop_pool?: LevelsJson | null;
    speedup_vs_tl: SpeedupJson | null;
    speedup_vs_tl_paper: SpeedupJson | null;
    flash_speedup_vs_oracle: SpeedupJson | null;
  } | null;
  /** FLASH served with another pool pair's embedding (on a pool pair: never its own). */
  shuffled: { reward_drop: MeanCiJson | null; reward_drop_pool?: LevelsJson | null };
  /** "cannot condition" or "cannot generalise": FLASH and the oracle against TL on pool and new pairs; FLASH against the shuffled control on pool pairs. */
  conditioning?: { by_variant: ConditioningJson[]; flash_minus_shuffled_pool: LevelsJson | null } | null;
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

/** Each pretraining's health on its own pool pairs (protocols/pretrain-health.ts). */
export interface PretrainingHealthJson {
  /** The failure rule in words. */
  rule: string;
  runs: {
    variant: string;
    replicate: number;
    /** Pool tests behind the verdict. */
    pool_pairs: number;
    /** Served reward minus the random policy's, per pool pair. */
    vs_random: MeanCiJson | null;
    reward_drop_pool: MeanCiJson | null;
    /** null: no pool tests. */
    failed: boolean | null;
    /** Pretraining returns normalised per pair, (R - B) / (R_ref - B), averaged over blocks of episodes ending at `episode`. */
    curve: { episode: number; normalised: number }[];
  }[];
  /** Per variant: failed pretrainings of how many. */
  failed: Record<string, { failed: number; of: number }>;
  /** Per variant: the new-pair drop without the replicates whose pretraining of that variant failed. */
  reward_drop_healthy: Record<string, LevelsJson | null>;
}

/** Which pairs each replicate ran (protocols/replicates.ts, ab-plan.ts). */
export interface ReplicatePairsJson {
  /** Does each replicate draw its own pool and new pairs? (false: every replicate serves the same pairs) */
  per_replicate: boolean;
  /** Distinct new pairs over the run, and new-pair tests (pair x replicate) per served variant. */
  distinct_new_pairs: number;
  new_pair_tests: number;
  replicates: number;
  by_replicate: {
    replicate: number;
    pool: string[];
    test: string[];
    /** New pairs with an RL reference (original agents; adaptation). */
    referenced: string[];
  }[];
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
  /** The served agents on their own pool pairs (protocols/pool-tests.ts); absent in results written before, null without pool tests. */
  reward_drop_pool?: PoolDropJson | null;
  /** Each pretraining's health on its pool pairs and the failed count per variant; absent before, null without pool tests. */
  pretraining_health?: PretrainingHealthJson | null;
  /** The pairs of each replicate; absent in results written before. */
  replicate_pairs?: ReplicatePairsJson;
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
  /** The reference rule's summary (null: results written before it). */
  reference_rule: ReferenceRuleJson | null;
  /** References of pairs without an RL reference (new pairs served only, pool pairs); absent in results written before. */
  fixed_references?: FixedReferenceJson[];
  /** The room benchmark on every pair searched (null: the task has no fixed-action grid, a sweep, or results written before it). */
  room: RoomJson | null;
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
  /** CPU seconds of the invocation's process, worker threads included (absent before they were recorded; the queue's workers are elsewhere). */
  cpu_seconds?: number;
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
    /**
     * CPU seconds of this invocation's process (user + system, every local worker thread):
     * with W workers, cpu_seconds / W estimates the wall time on a quiet machine, which unit
     * seconds at a high load average do not. Absent in results written before.
     */
    cpu_seconds?: number;
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
  if (format === RESULTS_FORMAT) return withLaterFields(parsed as RlResults);
  if (format !== RESULTS_FORMAT_V1) {
    throw new DataError(`${where}: expected format ${RESULTS_FORMAT} or ${RESULTS_FORMAT_V1}, got ${JSON.stringify(format)}`);
  }
  const r = structuredClone(parsed) as Json;
  migrateV1(r);
  r.format = RESULTS_FORMAT;
  return withLaterFields(r as unknown as RlResults);
}

/** Blocks added to @2 after it was first written (the reference rule, the room): null, never absent, in files from before. */
function withLaterFields(r: RlResults): RlResults {
  const later = r as Partial<Pick<RlResults, "reference_rule" | "room">>;
  return later.reference_rule !== undefined && later.room !== undefined ? r : { ...r, reference_rule: later.reference_rule ?? null, room: later.room ?? null };
}
