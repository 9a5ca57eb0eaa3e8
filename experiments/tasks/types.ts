/**
 * What a case study supplies to the harness. The protocols (experiments/protocols/)
 * are written once against this interface; a task only knows how to train, fine-tune
 * and serve its own agents on its own pairs.
 *
 * Pairs are named by id; the task resolves ids from its (validated, JSON) config, so a
 * run's config.json holds the exact pairs it used. Every operation is deterministic
 * in its arguments (seed included) on one backend, and runs inside a pool worker:
 * it must dispose what it creates (tensors, registered FLASH models, buffers).
 */

/**
 * Ways of serving a new pair. "original": the agent trained on another pair. "flash": with
 * the embedding of context episodes like pretraining's (`rl-flash-kit.ts`); the FLASH
 * controls: "flash-before" (the earlier protocol: deterministic context episodes, the
 * first acted with the zero vector), "flash-zero" (the zero vector, no context),
 * "shuffled" (another pool pair's embedding). "tl-paper" and "oracle": see PretrainVariant.
 */
export type ServeVariant = "flash" | "tl" | "original" | "tl-paper" | "oracle" | "flash-before" | "flash-zero" | "shuffled";

/**
 * Pretrained variants: FLASH (embedding + shared model); transfer learning "tl" (same
 * agent, no embedding, pretrained on the whole pool with FLASH's budget); "tl-paper" (the
 * paper's TL: the agent trained on one previously seen pair, no pool pretraining, then
 * fine-tuned); "oracle" (the control: the agent reads the pair's true parameters,
 * `RlTask.oracle`, in place of the embedding; tasks without that hook have none).
 */
export type PretrainVariant = "flash" | "tl" | "tl-paper" | "oracle";

/** Budgets and protocol settings every RL task config carries (in episodes). */
export interface RlBudgets {
  /** Scratch training on one pair alone: the converged reference, and the scratch adaptation curve. */
  referenceEpisodes: number;
  /** Pretraining over the pool (all pairs together). */
  pretrainEpisodes: number;
  /** The cap: fine-tuning episodes per new pair (and the count of a run that never converges). */
  adaptEpisodes: number;
  /** Episodes run on a new pair, without weight updates, to give FLASH its embedding before serving it. */
  embedEpisodes: number;
  /** Deterministic evaluation episodes per served pair. */
  evalEpisodes: number;
  /** A/B: each original agent serves this many other pairs (the paper: ten). */
  abTargets: number;
  /** Convergence: moving-average window and tolerance (fraction of |reference - baseline|). */
  window: number;
  tolerance: number;
  /**
   * New pairs with an RL reference, and so an original agent for the A/B test: the first
   * `referencePairs` of the test pairs (protocols/ab-plan.ts). Every other new pair is
   * served by the pretrained variants and by one original agent, and its reference is the
   * best policy that needs no learning (protocols/reference.ts); absent: every new pair.
   */
  referencePairs?: number;
  /**
   * New pairs adapted to: the first `adaptPairs` of the test pairs (every test pair is
   * still served); absent: all of them. An adapted pair needs an RL reference (its scratch
   * curve), so `adaptPairs` <= `referencePairs`.
   */
  adaptPairs?: number;
  /**
   * References trained until a plateau (experiments/protocols/plateau.ts) after at least
   * `referenceEpisodes` episodes, stopping at this cap; absent: exactly `referenceEpisodes`.
   */
  referenceCap?: number;
}

export interface ReferenceResult {
  /** Training returns, one per episode. */
  returns: number[];
  /** Tasks judged on evaluation curves (`RlTask.convergenceCurve`): the deterministic return after each training episode. */
  evalCurve?: number[];
  /** Deterministic evaluation return of the final policy (mean over evalEpisodes). */
  evalReturn: number;
  /** Random-policy return on the pair (mean over evalEpisodes): the drop's and the band's zero point. */
  baseline: number;
  /**
   * Profiles with `budgets.referenceCap`: true when training stopped on a plateau
   * (experiments/protocols/plateau.ts), false when it reached the cap; absent otherwise.
   */
  plateau?: boolean;
  /**
   * Non-ML baselines the task's users run today (autoscaling: the Kubernetes HPA and a
   * VPA-style recommender), by name: each one's mean deterministic return on the pair over
   * the same evaluation windows as the agents. The protocols report them like the agents
   * (reward, and reward drop with the same definition); omit when the task has none.
   */
  baselines?: Record<string, number>;
  /**
   * Operational metrics over the same evaluation steps (`RlTask.metricLabels`), by who was
   * evaluated: "reference" (the agent trained on the pair) and each baseline name.
   */
  metrics?: Record<string, Record<string, number>>;
  seconds: number;
}

export interface PretrainResult {
  /** Training returns in episode order with the pair of each episode. */
  returns: number[];
  pairs: string[];
  episodes: number;
  seconds: number;
}

export interface AdaptResult {
  returns: number[];
  /** As `ReferenceResult.evalCurve`. */
  evalCurve?: number[];
  seconds: number;
}

export interface ServeRequest {
  variant: ServeVariant;
  /** Work directory of the unit that trained the served model (reference or pretrain). */
  modelDir: string;
  /** "original": the pair the model was trained on. */
  trainedOn?: string;
  /** Pairs to serve. */
  pairs: string[];
  seed: number;
  /** A scratch directory for this request's buffers. */
  workDir: string;
  /** Diagnostics: also return each step of the first evaluation episode (`ServeResult.steps`); the served numbers do not change. */
  recordSteps?: boolean;
}

/** One evaluation step as served: its reward and the env's `info` (autoscaling: the allocation, kills, SLO preservation, ...). */
export interface ServedStep {
  reward: number;
  info: Record<string, number | string | boolean>;
}

export interface ServeResult {
  pair: string;
  /** Mean deterministic return over evalEpisodes (no weight update). */
  reward: number;
  /** FLASH: the pair's embedding after embedEpisodes trajectories. */
  embedding?: number[];
  /** Per-step means of the task's operational metrics over the evaluation (`RlTask.metricLabels`). */
  metrics?: Record<string, number>;
  /** With `ServeRequest.recordSteps`: the first evaluation episode, step by step. */
  steps?: ServedStep[];
}

/** What `RlTask.fixedActionReturns` gives: mean returns over the windows asked for. */
export interface FixedActionReturns {
  /** Per grid candidate, in `fixedActionGrid` order. */
  fixed: number[];
  /** A uniform-random policy on the same windows. */
  random: number;
}

/** What `RlTask.refineFixedAction` gives. */
export interface RefinedFixedAction {
  label: string;
  /** Mean return on the selection windows (what chose it) and on the evaluation windows. */
  select: number;
  eval: number;
}

/**
 * The application-update experiment: `pair` is `from` after an update (same trace, the
 * application changed by `scenario`); the original agent of `from` is served on it.
 */
export interface UpdatePair {
  pair: string;
  from: string;
  scenario: string;
}

/** Folder options of `flash reproduce` / `flash sweep` that a task may read (see `RlTask.folderOptions`). */
export type FolderOption = "traces" | "apps";

/** Options of `RlTask.profile`: the pool size of a sweep, and the folders the user named on the command line. */
export interface ProfileOptions {
  poolSize?: number;
  /** --traces: a dataset name, `synthetic` or a path (experiments/datasets.ts); undefined: the profile's default. */
  traces?: string | null;
  /** --apps DIR: a folder of application files (undefined: the task's default, e.g. generated ones). */
  apps?: string | null;
}

/**
 * A pretraining unit set up (FLASH: warm-up contexts done), run by `RlTask.pretrain` to
 * the end; the pretraining benchmark steps two of them episode by episode, interleaved.
 */
export interface PretrainRun {
  /** Whether the agent trains episode by episode (`episode`) or in one call over every pool pair (`onPolicy`). */
  readonly offPolicy: boolean;
  /** Off-policy agents: pretraining episode `e` (0-based; pool pairs round-robin). */
  episode(e: number): Promise<{ ret: number; pair: string }>;
  /** On-policy agents: every pretraining episode in one training call, every pool pair's env stepped together. */
  onPolicy(progress: (f: number, m?: string) => void): Promise<{ ret: number; pair: string }[]>;
  /** Save the agent (and FLASH's meta learner and pool embeddings) into the work directory. */
  finish(): Promise<void>;
  /** Free the agent and the FLASH model; call whatever happened. */
  close(): void;
}

/** An RL case study on the harness. `C` is its JSON config. */
export interface RlTask<C = Record<string, unknown>> {
  readonly name: string;
  readonly summary: string;
  /** Named presets ("quick", "full", "golden", ...): a config for a run seed. */
  profile(name: string, runSeed: number, opts?: ProfileOptions): C;
  /** The names of `profileTable` (or of the task's presets when it has no table). */
  readonly profiles: readonly string[];
  /** The task's one table of profiles (profiles.ts `ProfileTable`): what each is for and its sizes; `flash tasks` and the report read it. */
  readonly profileTable?: Readonly<Record<string, { purpose: string; pool: number; test: number; replicates?: number; sweepPerPair?: number }>>;
  /** The folder options `profile` reads, with what each folder holds (for help and errors); absent: none. */
  readonly folderOptions?: Partial<Record<FolderOption, string>>;
  /** Readable names of the non-ML baselines in `ReferenceResult.baselines`, for the report. */
  readonly baselineLabels?: Record<string, string>;
  /**
   * Which learning curve convergence and the learning-curve plot use: "training" (the
   * default: each training episode's return) or "evaluation" (`evalCurve`: the
   * deterministic policy's return on one fixed evaluation window after each training
   * episode; for tasks whose exploration noise dominates training returns).
   */
  readonly convergenceCurve?: "training" | "evaluation";
  /** Readable names of the operational metrics in `ServeResult.metrics` (e.g. CPU utilisation), for the report. */
  readonly metricLabels?: Record<string, string>;
  /** Updated versions of new pairs (application-update experiment); absent or empty: none. */
  updates?(cfg: C): UpdatePair[];
  /** Validate a config read from a file; errors name the field. */
  validateConfig(raw: unknown, where: string): C;
  budgets(cfg: C): RlBudgets;
  /** `cfg` with other budgets (a sweep's per-pair pretraining budget, sweep-budget.ts); absent: the task cannot change them. */
  withBudgets?(cfg: C, b: RlBudgets): C;
  /** Pool (pretraining) and test (new) pair ids; with `poolSize`, the first `poolSize` of the pool. */
  pairs(cfg: C, poolSize?: number): { pool: string[]; test: string[] };
  /**
   * The config of replicate `replicate` (>= 1) of a run whose replicate 0 runs `cfg`
   * (protocols/replicates.ts): the same settings with the replicate's own pool and new
   * pairs, drawn from `runSeed` and the replicate, disjoint from every other replicate's
   * (pair ids included). Deterministic. Absent: every replicate runs `cfg`, so replicates
   * repeat the learning on the same pairs.
   */
  replicateConfig?(cfg: C, runSeed: number, replicate: number): C;
  /** What the paper reports for this task, for the report (optional). */
  paper?: { speedupVsTl?: number; rewardDropOriginal?: number; rewardDropFlash?: number; source: string };
  /** Agent and FLASH settings as a short line for the report. */
  describe(cfg: C): string;

  /**
   * The pair's true parameters as numbers (physics; application profile and trace
   * statistics): the oracle-context control and the embedding probe read them. Optional:
   * tasks without it run without the oracle variant and probe.
   */
  oracle?(cfg: C, pair: string): number[];
  /** `envSeed` (default `seed`): the environment's seed, shared by every variant on the same pair and replicate (common random numbers). */
  reference(cfg: C, pair: string, seed: number, workDir: string, progress: (f: number, m?: string) => void, envSeed?: number): Promise<ReferenceResult>;
  pretrain(cfg: C, variant: PretrainVariant, pool: string[], seed: number, workDir: string, progress: (f: number, m?: string) => void): Promise<PretrainResult>;
  /** The pretraining unit `pretrain` runs, opened for stepping (optional: the pretraining benchmark uses it). */
  openPretraining?(cfg: C, variant: PretrainVariant, pool: string[], seed: number, workDir: string): Promise<PretrainRun>;
  adapt(
    cfg: C,
    variant: PretrainVariant,
    pretrainDir: string,
    pair: string,
    seed: number,
    workDir: string,
    progress: (f: number, m?: string) => void,
    envSeed?: number,
  ): Promise<AdaptResult>;
  /**
   * The fixed-action grid of the reference rule and the room benchmark
   * (protocols/reference.ts, protocols/room.ts): one label per candidate policy that plays
   * one action for the whole episode (autoscaling: an allocation; cpufreq: a frequency
   * level; congestion: a rate change; pendulum: a torque). Optional: a task without it
   * compares its references with its baselines only and has no room benchmark.
   */
  fixedActionGrid?(cfg: C): string[];
  /**
   * Each grid candidate's mean return on `pair` over the windows `reset(seed)` of `seeds`
   * (`fixed`, in grid order), and a uniform-random policy's on the same windows (`random`).
   * Deterministic; the windows, not the env's construction seed, fix every draw.
   */
  fixedActionReturns?(cfg: C, pair: string, seeds: readonly number[]): FixedActionReturns;
  /**
   * Tasks whose grid samples a continuous action box: a local search around grid
   * candidate `label` on the `selectSeeds` windows (fixed-actions.ts `refineAction`), the
   * refined action's label and its mean returns on both window sets. The reference rule
   * reads it; the room benchmark stays on the grid (candidates shared by every pair).
   */
  refineFixedAction?(cfg: C, pair: string, label: string, selectSeeds: readonly number[], evalSeeds: readonly number[]): RefinedFixedAction;
  /**
   * Names in `ReferenceResult.baselines` of policies that read state the agents cannot
   * see (congestion's sender at the link's capacity): bounds, reported beside the reference
   * rule and never a pair's reference.
   */
  readonly boundBaselines?: readonly string[];
  /**
   * The application a pair runs (leave-one-application-out in the room benchmark): an
   * updated pair, a processor change and a pool pair of the same application share it.
   * Absent: the pair id after following `updates` back to the pair it was made from.
   */
  applicationOf?(cfg: C, pair: string): string;
  /** Pool pairs' embeddings from a FLASH pretraining's own buffer (for similarity). */
  poolEmbeddings(cfg: C, pretrainDir: string, workDir: string): Promise<Record<string, number[]>>;
  serve(cfg: C, req: ServeRequest): Promise<ServeResult[]>;
}
