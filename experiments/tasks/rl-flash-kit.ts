/**
 * An RL task on pairs with FLASH, TL and scratch, for any of our agents (DDPG, DQN, PPO):
 * what every such RlTask shares. A task supplies its env factory, its agent factory and
 * its FLASH settings (`RlFlashSpec`), and its own profiles, validation and description;
 * `rlFlashKit(spec).task(own)` is the RlTask. Used by classic-family.ts
 * (`pendulum-family`), autoscaling.ts and every later case study.
 *
 * The agents: original = the task's agent from its config; FLASH = the same agent
 * conditioned on the pair's embedding through agents/flash-conditioning.ts (the agent's
 * own loss trains the meta learner during pretraining: DDPG's critic TD loss, DQN's TD
 * loss, PPO's combined loss); TL = the same agent without embedding, pretrained on the
 * same pool with the same budget; scratch = the reference run.
 *
 * How each protocol step runs (experiments/protocols/rl-reproduce.ts):
 *   - reference (scratch on one pair): the agent from random weights, `referenceEpisodes`
 *     episodes in one training call (`agent.learningStarts` uniform-random steps first,
 *     as SB3). Its returns are the scratch adaptation curve; then a deterministic
 *     evaluation, a uniform-random policy's return as the pair's baseline (the drop's
 *     zero point), and the task's extras (autoscaling: its non-ML baselines).
 *   - pretraining over the pool. Off-policy agents: one episode per `train` call, pairs
 *     in round-robin order, the replay buffer shared, learning from the first step, and
 *     the agent's schedules (DQN's exploration) running over the whole pretraining
 *     (`TrainOptions.timestepOffset`), as one SB3 `learn` would. On-policy agents (PPO):
 *     one `train` call with every pool pair's env stepped together (one rollout holds
 *     every pair), `pretrainEpisodes` episodes in all. FLASH first runs one
 *     uniform-random episode per pool pair as the pair's warm-up context (an empty context
 *     has no gradient path to the meta learner; TL skips them); it is the pair's context
 *     only until the pair's first own episode, and never enters the buffer. Meta updates
 *     on, every finished episode inserted with `insertTrajSamples`, cached embeddings
 *     invalidated after every training phase (`TrainOptions.afterTrain`); the embedding
 *     the agent acts with is fixed per episode (FlashConditioner `acting: "episode"`).
 *     At the end, the pool pairs' embeddings (final meta learner, frozen) are written to
 *     `pool-embeddings.json`: similarity, the shuffled control, and the pool average.
 *     "tl-paper" (the paper's TL) is the plain agent pretrained the same way on the one
 *     pool pair the planner gives it; "oracle" is the plain agent reading the pair's
 *     standardised true parameters (`RlFlashSpec.oracle`) through a `ConstantInput`.
 *
 * FLASH's context, one choice for pretraining, adaptation and serving (CONTEXT below):
 * the pair's own episodes acted by the agent with its training exploration (DDPG's
 * action noise, DQN's final epsilon, PPO's stochastic policy), conditioned on the
 * embedding of the episodes before; the selection is the paper's (M/2 best + M/2
 * earliest, `contextSize` M, first `maxSteps` steps). A pair with no episode yet is never
 * acted on with the zero vector: pretraining uses its warm-up episode, adaptation and
 * serving the average embedding of the pool pairs.
 *
 *   - adaptation (fine-tuning on a new pair): load the pretrained networks, an empty
 *     replay buffer, learning from the first step, `adaptEpisodes` episodes in one call.
 *     FLASH: meta learner frozen, the fine-tuning episodes (training noise) are its
 *     context, inserted as they finish; the first episode is acted with the pool average.
 *     Every episode counts, including those that built the embedding.
 *   - serving (A/B): no weight update. FLASH first runs `embedEpisodes` context episodes
 *     as above (the first with the pool average), then every variant is evaluated
 *     deterministically on the same `evalEpisodes` initial states (`EVAL_SEED`). The
 *     controls: "flash-before" (the earlier protocol: deterministic context episodes, the
 *     first with the zero vector), "flash-zero", "shuffled" (another pool pair's embedding).
 *   - common random numbers: `reference` and `adapt` take an `envSeed`, which the planner
 *     makes the same for every variant on one pair and replicate; the agent's own seed
 *     (weights, noise) stays the unit's.
 *   - the policies that need no learning: a task's `fixedActions` (its fixed-action grid)
 *     give `fixedActionGrid`, `fixedActionReturns` and `applicationOf` (fixed-actions.ts),
 *     which the reference rule and the room benchmark read.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { MissingPathError, OptionValueError, StateError, UnknownNameError } from "../../errors.js";
import { evaluatePolicy } from "../../agents/evaluate.js";
import { ConstantInput, standardise } from "../../agents/constant-input.js";
import type { ExtraInput } from "../../agents/extra.js";
import { EpisodeRecorder, FlashConditioner, type FlashConditionerOptions } from "../../agents/flash-conditioning.js";
import { train, type TrainOptions, type TrainResult } from "../../agents/train.js";
import type { Algorithm } from "../../agents/types.js";
import type { PairEnv, StepResult } from "../../envs/env.js";
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";
import { FlashModel, RLModel, type EncoderOptions } from "../../flash/models.js";
import { Rng } from "../../flash/rng.js";
import { runEpisode, total } from "./episode.js";
import { fixedActionHooks, type FixedActionRefinement, type FixedCandidate } from "./fixed-actions.js";
import { referenceDone } from "../protocols/plateau.js";
import type {
  AdaptResult,
  PretrainResult,
  PretrainRun,
  PretrainVariant,
  ReferenceResult,
  RlBudgets,
  RlTask,
  ServedStep,
  ServeRequest,
  ServeResult,
} from "./types.js";

/** An agent the kit can train, checkpoint and serve: DDPG, DQN and PPO are all such. */
export type KitAgent = Algorithm & {
  save(dir: string, task: string): Promise<void>;
  load(dir: string, task?: string): Promise<void>;
  dispose(): void;
};

/** The protocol step an agent is built for (a task may, e.g., start fine-tuning with less exploration). */
export type KitPhase = "reference" | "pretrain" | "adapt" | "serve";

/** What `RlFlashSpec.agent` receives besides the config and the env. */
export interface KitAgentOptions {
  /** Uniform-random steps before learning: the config's for reference runs, 0 elsewhere. */
  learningStarts: number;
  seed: number;
  /** FLASH's conditioner (the embedding input), or undefined for the original agent and TL. */
  extra?: ExtraInput;
  phase: KitPhase;
}

/** FLASH model settings: the encoder, the context, and pairs per training batch. */
export interface FlashSettings {
  /** BiGRU hidden units per direction; the TCN's channels. */
  hidden: number;
  /** BiGRU layers; the TCN's convolution layers. */
  layers: number;
  fcHidden: number;
  embeddingDim: number;
  /** M: trajectories in a pair's context. */
  contextSize: number;
  /** Steps read of each context trajectory (its first ones). */
  maxSteps: number;
  /** Trajectories per pair encoded per training batch (drawn from the M). */
  contextSubsample: number;
  /** The encoder: the paper's BiGRU (default) or the temporal convolution (flash/tcn.ts). */
  encoder?: "bigru" | "tcn";
  /** TCN only: steps per patch (default 1). */
  patch?: number;
  /** Which M trajectories form the context (flash/selection.ts); default "paper" (M/2 best + M/2 earliest). */
  selection?: "paper" | "earliest" | "latest" | "random";
  /** The meta learner's auxiliary loss in pretraining (flash/aux-dynamics.ts); default "none" (the agent's loss only). */
  auxLoss?: "none" | "dynamics";
  /** The auxiliary loss's weight (default 1). */
  auxWeight?: number;
}

/** The model options of `FlashSettings`: the encoder and the context selection. */
export function encoderOptions(f: FlashSettings): EncoderOptions {
  const sizes = { fcHidden: f.fcHidden, embeddingDim: f.embeddingDim };
  return f.encoder === "tcn"
    ? { type: "tcn", channels: f.hidden, layers: f.layers, patch: f.patch ?? 1, ...sizes }
    : { hidden: f.hidden, layers: f.layers, ...sizes };
}

/** The FLASH settings in words for a task's `describe()`: encoder, embedding, context (and the options when set). */
export function flashWords(f: FlashSettings): string {
  const enc = f.encoder === "tcn" ? `TCN ${f.layers}x${f.hidden} (patch ${f.patch ?? 1})` : `BiGRU ${f.layers}x${f.hidden}`;
  const extras = [
    f.selection && f.selection !== "paper" ? `${f.selection} selection` : "",
    f.auxLoss === "dynamics" ? `auxiliary dynamics loss x${f.auxWeight ?? 1}` : "",
  ];
  return (
    `FLASH encoder ${enc}, embedding ${f.embeddingDim}, context ${f.contextSize} trajectories x ${f.maxSteps} steps ` +
    `(subsample ${f.contextSubsample} per batch)${extras
      .filter(Boolean)
      .map((x) => `, ${x}`)
      .join("")}`
  );
}

/** The conditioner's auxiliary loss option of `FlashSettings` (undefined: none). */
export function auxLossOption(f: FlashSettings): FlashConditionerOptions["auxLoss"] {
  return f.auxLoss === "dynamics" ? { kind: "dynamics", weight: f.auxWeight ?? 1 } : undefined;
}

/** The config fields the kit reads (a task's config has more). */
export interface RlFlashConfig {
  /** Pretraining pool and new (test) pairs, resolved so the run is exact. */
  poolPairs: { id: string }[];
  testPairs: { id: string }[];
  /**
   * Updated versions of test pairs (the application-update experiment), if the task has
   * them: `from` is the test pair updated, `scenario` the change. The kit derives
   * `RlTask.updates` from them.
   */
  updatePairs?: { id: string; from: string; scenario: string }[];
  /** Uniform-random steps before learning (reference/scratch runs only). */
  agent: { learningStarts: number };
  flash: FlashSettings;
  budgets: RlBudgets;
}

/** What a task supplies. `E`: its environment; `X`: extra fields of its reference results. */
export interface RlFlashSpec<C extends RlFlashConfig, E extends PairEnv, X extends object = object> {
  /** Task name: checkpoints, the FLASH model registry, error messages. */
  name: string;
  stateDim: number;
  actionDim: number;
  /** The pair's environment (its `pair` is the pair id). */
  env(cfg: C, pair: C["poolPairs"][number], seed: number): E;
  /** Steps of one episode. */
  episodeSteps(cfg: C): number;
  /** The task's agent on `env`'s spaces (its networks read `extra.dim` more inputs when `extra` is set). */
  agent(cfg: C, env: E, opts: KitAgentOptions): KitAgent;
  /** A uniform-random policy drawing from `rng` (random warm-up episodes and the baseline); discrete: `[index]`. */
  randomAction(rng: Rng): () => number[];
  /**
   * "evaluation": reference and adaptation runs also record the deterministic policy's
   * return on evaluation window 0 after every training episode (`evalCurve`), and the
   * task judges convergence on it (`RlTask.convergenceCurve`). Default "training".
   */
  curve?: "training" | "evaluation";
  /** Progress messages: digits of returns, and episodes between progress reports of the reference run. */
  progress: { digits: number; referenceEvery: number };
  /** Extra fields of the reference result on `pair` (autoscaling: its non-ML baselines). */
  referenceExtras?(cfg: C, pair: string, seed: number): X;
  /**
   * Operational metrics of one step from the env's `info` (autoscaling: CPU utilisation,
   * SLO preservation): averaged over every evaluation step of a served agent and of the
   * reference into `ServeResult.metrics` / `ReferenceResult.metrics` (`RlTask.metricLabels`).
   */
  stepMetrics?(info: NonNullable<StepResult["info"]>): Record<string, number>;
  /**
   * The pair's true parameters (pendulum physics; autoscaling's application profile and
   * trace statistics), raw: the kit standardises them over the pool pairs. Optional: it
   * enables the oracle-context variant and the embedding probe (`RlTask.oracle`).
   */
  oracle?(cfg: C, pair: C["poolPairs"][number]): number[];
  /**
   * The fixed-action grid (fixed-actions.ts): candidates that play one action for a whole
   * episode, searched by the reference rule and the room benchmark. Optional.
   */
  fixedActions?(cfg: C): FixedCandidate<E>[];
  /** A continuous grid's local refinement (fixed-actions.ts); absent: the grid is the whole search. */
  fixedActionRefinement?: FixedActionRefinement;
  /** The application of a pair that was not made from another (default: the pair's id); see `RlTask.applicationOf`. */
  application?(cfg: C, pair: C["poolPairs"][number]): string;
}

/**
 * FLASH's context episodes, documented once (the module comment): acted with the
 * training exploration; the first of a pair without context with the pool average; the
 * file where pretraining leaves the pool pairs' embeddings.
 */
export const CONTEXT = {
  exploration: "training" as const,
  poolEmbeddingsFile: "pool-embeddings.json",
};

export { runEpisode, total, type Episode } from "./episode.js";

/** The RlTask fields a task writes itself; the kit adds the rest. */
/** What a task gives `kit.task`: `profiles` may be left out when `profileTable` holds them (its names). */
export type OwnTaskFields<C> = Omit<
  RlTask<C>,
  | "name"
  | "budgets"
  | "pairs"
  | "reference"
  | "pretrain"
  | "openPretraining"
  | "adapt"
  | "poolEmbeddings"
  | "serve"
  | "oracle"
  | "profiles"
  | "fixedActionGrid"
  | "fixedActionReturns"
  | "applicationOf"
  | "refineFixedAction"
> & {
  profiles?: readonly string[];
};

/**
 * Evaluation episode i always starts from `reset(EVAL_SEED + i)`: every variant, every
 * replicate, the reference and any non-ML baseline are evaluated on the same initial
 * states (common random numbers), so differences are the policies' and not the draws'.
 */
export const EVAL_SEED = 1_000_000;

/** Per-step means of named metrics (the `stepMetrics` of evaluation steps). */
export class StepMeans {
  private readonly sums = new Map<string, number>();
  private steps = 0;
  constructor(private readonly of?: (info: NonNullable<StepResult["info"]>) => Record<string, number>) {}
  /** Adds one step (no-op without a metric function or `info`). */
  readonly add = (r: StepResult): void => {
    if (!this.of || !r.info) return;
    for (const [k, v] of Object.entries(this.of(r.info))) this.sums.set(k, (this.sums.get(k) ?? 0) + v);
    this.steps++;
  };
  /** The means, or undefined when nothing was measured. */
  means(): Record<string, number> | undefined {
    if (this.steps === 0) return undefined;
    return Object.fromEntries([...this.sums].map(([k, v]) => [k, v / this.steps]));
  }
}

export interface RlFlashKit<C extends RlFlashConfig, E extends PairEnv, X extends object> {
  /** The environment of pair `id` of the config. */
  envOf(cfg: C, id: string, seed: number): E;
  /** The RlTask: the task's own fields and the kit's. */
  task(own: OwnTaskFields<C>): RlTask<C> & { reference(...a: Parameters<RlTask<C>["reference"]>): Promise<ReferenceResult & X> };
}

/** Pairs, environments and the FLASH model plumbing every step of the kit shares. */
function kitBasics<C extends RlFlashConfig, E extends PairEnv, X extends object>(spec: RlFlashSpec<C, E, X>) {
  const name = spec.name;
  function pairOf(cfg: C, id: string): C["poolPairs"][number] {
    const p = cfg.poolPairs.find((x) => x.id === id) ?? cfg.testPairs.find((x) => x.id === id) ?? cfg.updatePairs?.find((x) => x.id === id);
    if (!p) throw new UnknownNameError("pair", id, [...cfg.poolPairs, ...cfg.testPairs, ...(cfg.updatePairs ?? [])].map((x) => x.id).slice(0, 12), name);
    return p;
  }

  const envOf = (cfg: C, id: string, seed: number): E => spec.env(cfg, pairOf(cfg, id), seed);

  /** A fresh FLASH model on its own buffer file under the task's name; `close` unregisters it. */
  function flashModel(cfg: C, bufferPath: string, seed: number): { model: RLModel; close(): void } {
    // One model per unit: drop any registration a failed unit in this process left behind
    // (the registry would otherwise hand back that model with its old buffer).
    FlashModel.unregister(name);
    const buffer = SqliteBuffer.open(bufferPath);
    const f = cfg.flash;
    const model = RLModel.register({
      task: name,
      stateDim: spec.stateDim,
      actionDim: spec.actionDim,
      buffer,
      encoder: encoderOptions(f),
      contextSize: f.contextSize,
      maxSteps: f.maxSteps,
      ...(f.selection ? { selection: f.selection } : {}),
      seed,
    });
    return {
      model,
      close() {
        FlashModel.unregister(name);
        buffer.close();
      },
    };
  }

  /** The oracle control's input: every pair's true parameters, standardised over the pool pairs. */
  function oracleInput(cfg: C): ConstantInput {
    const of = spec.oracle;
    if (!of) throw new StateError(`${name}: the oracle variant needs the task's oracle hook (RlFlashSpec.oracle), which this task does not define`);
    const all = [...cfg.poolPairs, ...cfg.testPairs, ...(cfg.updatePairs ?? [])];
    const raw = Object.fromEntries(all.map((p) => [p.id, of(cfg, p)]));
    return new ConstantInput(
      standardise(
        raw,
        cfg.poolPairs.map((p) => p.id),
      ),
    );
  }

  /** The pool pairs' embeddings a FLASH pretraining left in `dir`, and their average (the embedding of a pair with no context yet). */
  function poolFile(dir: string): { embeddings: Record<string, number[]>; mean: number[] } | undefined {
    const f = path.join(dir, CONTEXT.poolEmbeddingsFile);
    if (!existsSync(f)) return undefined;
    const embeddings = JSON.parse(readFileSync(f, "utf8")) as Record<string, number[]>;
    const rows = Object.values(embeddings);
    const mean = rows[0].map((_, j) => rows.reduce((a, r) => a + r[j], 0) / rows.length);
    return { embeddings, mean };
  }

  /** Loads the pretrained meta learner of `modelDir` into `model`, frozen (adaptation, serving, pool embeddings). */
  async function loadFrozen(model: RLModel, modelDir: string): Promise<void> {
    await model.load(path.join(modelDir, "meta"));
    model.toggleMetaModelUpdate(false);
  }

  /** The frozen conditioner of a pretrained FLASH model, on `pairs`, whose empty contexts read the pool average. */
  function frozenConditioner(model: RLModel, modelDir: string, pairs: string[], seed: number, emptyIsZero = false): FlashConditioner {
    const pool = emptyIsZero ? undefined : poolFile(modelDir);
    return new FlashConditioner(model, { pairs, seed, ...(pool ? { emptyContext: pool.mean } : {}) });
  }
  return { pairOf, envOf, flashModel, oracleInput, poolFile, loadFrozen, frozenConditioner };
}

type KitBasics<C extends RlFlashConfig, E extends PairEnv, X extends object> = ReturnType<typeof kitBasics<C, E, X>>;

/** Reference units: scratch training on one pair, its evaluation, random baseline and the task's extras. */
function kitReference<C extends RlFlashConfig, E extends PairEnv, X extends object>(spec: RlFlashSpec<C, E, X>, b: KitBasics<C, E, X>) {
  const name = spec.name;
  const digits = spec.progress.digits;
  const { envOf } = b;
  /**
   * Training options that report progress every `every` episodes and, for tasks judged on
   * evaluation curves, evaluate the policy after every episode on a separate env instance
   * (training's env, RNG and agent are untouched: the curve does not change training).
   */
  function curveHooks(cfg: C, pair: string, seed: number, n: number, every: number, agent: KitAgent, progress: (f: number, m?: string) => void, ctx = 0) {
    const steps = spec.episodeSteps(cfg);
    const evalCurve: number[] = [];
    const evalEnv = spec.curve === "evaluation" ? envOf(cfg, pair, seed) : undefined;
    return {
      evalCurve: evalEnv ? evalCurve : undefined,
      progressEvery: evalEnv ? steps : every * steps,
      onProgress: (p: { timesteps: number; episodes: number; recentMeanReturn: number }) => {
        if (evalEnv && p.timesteps % steps === 0) evalCurve.push(evaluatePolicy(agent, evalEnv, { episodes: 1, seed: EVAL_SEED, ctx }).mean);
        if (p.episodes % every === 0 || p.timesteps === n) {
          const ev = evalEnv ? `, deterministic ${evalCurve[evalCurve.length - 1].toFixed(digits)}` : "";
          progress(p.timesteps / n, `${p.episodes} episodes, recent ${p.recentMeanReturn.toFixed(digits)}${ev}`);
        }
      },
    };
  }

  async function reference(
    cfg: C,
    pair: string,
    seed: number,
    workDir: string,
    progress: (f: number, m?: string) => void,
    envSeed = seed,
  ): Promise<ReferenceResult & X> {
    const t0 = performance.now();
    const env = envOf(cfg, pair, envSeed);
    const steps = spec.episodeSteps(cfg);
    const b = cfg.budgets;
    const agent = spec.agent(cfg, env, { learningStarts: cfg.agent.learningStarts, seed, phase: "reference" });
    try {
      // The random policy's return first: a plateau is judged against it (its own env and RNG: training is unchanged).
      const rng = new Rng(seed).fork("baseline");
      const benv = envOf(cfg, pair, envSeed);
      let base = 0;
      for (let e = 0; e < b.evalEpisodes; e++) base += total(runEpisode(benv, EVAL_SEED + e, spec.randomAction(rng)).rewards);
      const baseline = base / b.evalEpisodes;
      // With a reference cap: at least referenceEpisodes, then until the curve plateaus (experiments/protocols/plateau.ts).
      const n = (b.referenceCap ?? b.referenceEpisodes) * steps;
      const hooks = curveHooks(cfg, pair, envSeed, n, spec.progress.referenceEvery, agent, progress);
      const plateau = { window: b.window, tolerance: b.tolerance, baseline };
      const stopWhen =
        b.referenceCap === undefined
          ? undefined
          : (p: { returns: readonly number[] }) => referenceDone(hooks.evalCurve ?? p.returns, b.referenceEpisodes, plateau);
      const r = train(agent, env, { totalTimesteps: n, seed: envSeed, progressEvery: hooks.progressEvery, onProgress: hooks.onProgress, stopWhen });
      await agent.save(path.join(workDir, "agent"), name);
      const ops = new StepMeans(spec.stepMetrics);
      const ev = evaluatePolicy(agent, envOf(cfg, pair, envSeed), { episodes: b.evalEpisodes, seed: EVAL_SEED, onStep: ops.add });
      const res: ReferenceResult = {
        returns: r.episodeReturns,
        ...(hooks.evalCurve ? { evalCurve: hooks.evalCurve } : {}),
        evalReturn: ev.mean,
        baseline,
        ...(b.referenceCap === undefined
          ? {}
          : { plateau: r.timesteps < n || referenceDone(hooks.evalCurve ?? r.episodeReturns, b.referenceEpisodes, plateau) }),
        seconds: (performance.now() - t0) / 1000,
      };
      const extras = spec.referenceExtras?.(cfg, pair, envSeed);
      const own = ops.means();
      // The reference agent's metrics join any the task's extras measured (its baselines').
      const metrics = own ? { ...(extras as ReferenceResult | undefined)?.metrics, reference: own } : (extras as ReferenceResult | undefined)?.metrics;
      return { ...res, ...extras, ...(metrics ? { metrics } : {}) } as ReferenceResult & X;
    } finally {
      agent.dispose();
    }
  }
  return { curveHooks, reference };
}

/** Pretraining units over the pool: FLASH (with its warm-up contexts), TL, the paper's TL and the oracle. */
function kitPretrain<C extends RlFlashConfig, E extends PairEnv, X extends object>(spec: RlFlashSpec<C, E, X>, b: KitBasics<C, E, X>) {
  const name = spec.name;
  const digits = spec.progress.digits;
  const { envOf, flashModel, oracleInput } = b;
  /** On-policy pretraining: every pool pair's env stepped together in one `train` call (each rollout holds every pair). */
  function trainOnPolicyPool(
    agent: KitAgent,
    envs: E[],
    n: number,
    seed: number,
    hooks: Partial<TrainOptions>,
    progress: (f: number, m?: string) => void,
  ): TrainResult {
    const onProgress = (p: { timesteps: number; episodes: number; recentMeanReturn: number }) =>
      progress(Math.min(1, p.timesteps / n), `${p.episodes} episodes, recent ${p.recentMeanReturn.toFixed(digits)}`);
    return train(agent, envs, { totalTimesteps: n, seed, onProgress, ...hooks });
  }

  /** FLASH's warm-up contexts: one uniform-random episode per pool pair, held by the conditioner (never in the buffer). */
  function warmUp(cond: FlashConditioner, envs: E[], seed: number): void {
    const rng = new Rng(seed).fork("warmup");
    const w = spec.stateDim + spec.actionDim + 1;
    for (const [i, env] of envs.entries()) {
      const ep = runEpisode(env, seed * 1000 + i, spec.randomAction(rng));
      const T = ep.rewards.length;
      const data = new Float32Array(T * w);
      for (let t = 0; t < T; t++) {
        data.set(ep.states.subarray(t * spec.stateDim, (t + 1) * spec.stateDim), t * w);
        data.set(ep.actions.subarray(t * spec.actionDim, (t + 1) * spec.actionDim), t * w + spec.stateDim);
        data[t * w + w - 1] = ep.rewards[t];
      }
      cond.setWarmup(env.pair, { steps: T, width: w, data });
    }
  }

  /**
   * A pretraining unit set up and warmed up (FLASH's warm-up contexts), to be run to the
   * end by `pretrain`, or stepped one episode at a time (the pretraining benchmark times
   * episodes of two runs interleaved). `close` frees it whatever happened.
   */
  async function openPretraining(cfg: C, variant: PretrainVariant, pool: string[], seed: number, workDir: string): Promise<PretrainRun> {
    const steps = spec.episodeSteps(cfg);
    const envs = pool.map((p, i) => envOf(cfg, p, seed + i));
    const fm = variant === "flash" ? flashModel(cfg, path.join(workDir, "buffer.sqlite"), seed) : undefined;
    const aux = auxLossOption(cfg.flash);
    const cond = fm
      ? new FlashConditioner(fm.model, { pairs: pool, contextSubsample: cfg.flash.contextSubsample, seed, ...(aux ? { auxLoss: aux } : {}) })
      : undefined;
    const oracle = variant === "oracle" ? oracleInput(cfg) : undefined;
    const rec = fm ? new EpisodeRecorder(fm.model) : undefined;
    const agent = spec.agent(cfg, envs[0], { learningStarts: 0, seed, extra: cond ?? oracle, phase: "pretrain" });
    const hooks = { contextId: cond?.contextId ?? oracle?.contextId, onTransition: rec?.onTransition, afterTrain: cond?.afterUpdate };
    const n = cfg.budgets.pretrainEpisodes;
    const close = () => {
      agent.dispose();
      cond?.dispose();
      fm?.close();
    };
    try {
      if (cond) warmUp(cond, envs, seed);
    } catch (e) {
      close();
      throw e;
    }
    return {
      offPolicy: agent.kind === "off-policy",
      async episode(e) {
        if (agent.kind !== "off-policy") throw new StateError(`${name}: episode-by-episode pretraining needs an off-policy agent; ${agent.algo} is on-policy`);
        const i = e % envs.length;
        const opts: TrainOptions = { totalTimesteps: steps, timestepOffset: e * steps, scheduleTimesteps: n * steps, progressEvery: steps, ...hooks };
        const r = train(agent, envs[i], { ...opts, seed: e < envs.length ? seed + 7919 * (i + 1) : undefined });
        if (rec) await rec.flush();
        return { ret: r.episodeReturns[0], pair: pool[i] };
      },
      async onPolicy(progress) {
        const r = trainOnPolicyPool(agent, envs, n * steps, seed, hooks, progress);
        if (rec) await rec.flush();
        return r.episodeReturns.map((ret, k) => ({ ret, pair: pool[r.episodeEnvs[k]] }));
      },
      async finish() {
        await agent.save(path.join(workDir, "agent"), name);
        if (!fm) return;
        await fm.model.save(path.join(workDir, "meta"));
        fm.model.toggleMetaModelUpdate(false);
        const emb = Object.fromEntries(pool.filter((p) => fm.model.buffer.count(fm.model.task, p) > 0).map((p) => [p, Array.from(fm.model.getEmbedding(p))]));
        writeFileSync(path.join(workDir, CONTEXT.poolEmbeddingsFile), JSON.stringify(emb));
      },
      close,
    };
  }

  async function pretrain(
    cfg: C,
    variant: PretrainVariant,
    pool: string[],
    seed: number,
    workDir: string,
    progress: (f: number, m?: string) => void,
  ): Promise<PretrainResult> {
    const t0 = performance.now();
    const run = await openPretraining(cfg, variant, pool, seed, workDir);
    const returns: number[] = [];
    const pairs: string[] = [];
    const n = cfg.budgets.pretrainEpisodes;
    try {
      if (run.offPolicy) {
        for (let e = 0; e < n; e++) {
          const { ret, pair } = await run.episode(e);
          returns.push(ret);
          pairs.push(pair);
          progress((e + 1) / n, `episode ${e + 1}/${n}, return ${ret.toFixed(digits)}`);
        }
      } else {
        for (const { ret, pair } of await run.onPolicy(progress)) {
          returns.push(ret);
          pairs.push(pair);
        }
      }
      await run.finish();
      return { returns, pairs, episodes: n, seconds: (performance.now() - t0) / 1000 };
    } finally {
      run.close();
    }
  }
  return { pretrain, openPretraining };
}

/** Adaptation units (fine-tuning a pretrained agent on a new pair) and the pool pairs' embeddings. */
function kitAdapt<C extends RlFlashConfig, E extends PairEnv, X extends object>(
  spec: RlFlashSpec<C, E, X>,
  b: KitBasics<C, E, X>,
  curveHooks: ReturnType<typeof kitReference<C, E, X>>["curveHooks"],
) {
  const name = spec.name;
  const { envOf, flashModel, oracleInput, poolFile, loadFrozen, frozenConditioner } = b;
  async function adapt(
    cfg: C,
    variant: PretrainVariant,
    pretrainDir: string,
    pair: string,
    seed: number,
    workDir: string,
    progress: (f: number, m?: string) => void,
    envSeed = seed,
  ): Promise<AdaptResult> {
    const t0 = performance.now();
    const steps = spec.episodeSteps(cfg);
    const env = envOf(cfg, pair, envSeed);
    const fm = variant === "flash" ? flashModel(cfg, path.join(workDir, "buffer.sqlite"), seed) : undefined;
    try {
      if (fm) await loadFrozen(fm.model, pretrainDir);
      const cond = fm ? frozenConditioner(fm.model, pretrainDir, [pair], seed) : undefined;
      const oracle = variant === "oracle" ? oracleInput(cfg) : undefined;
      const rec = fm ? new EpisodeRecorder(fm.model) : undefined;
      const agent = spec.agent(cfg, env, { learningStarts: 0, seed, extra: cond ?? oracle, phase: "adapt" });
      try {
        await agent.load(path.join(pretrainDir, "agent"), name);
        const n = cfg.budgets.adaptEpisodes * steps;
        const ctx = cond ? cond.ctxOf(pair) : oracle ? oracle.ctxOf(pair) : 0;
        const hooks = curveHooks(cfg, pair, envSeed, n, 5, agent, progress, ctx);
        const contextId = cond?.contextId ?? oracle?.contextId;
        const r = train(agent, env, {
          totalTimesteps: n,
          seed: envSeed,
          contextId,
          onTransition: rec?.onTransition,
          afterTrain: cond?.afterUpdate,
          progressEvery: hooks.progressEvery,
          onProgress: hooks.onProgress,
        });
        if (rec) await rec.flush();
        return { returns: r.episodeReturns, ...(hooks.evalCurve ? { evalCurve: hooks.evalCurve } : {}), seconds: (performance.now() - t0) / 1000 };
      } finally {
        agent.dispose();
      }
    } finally {
      fm?.close();
    }
  }

  async function poolEmbeddings(cfg: C, pretrainDir: string, workDir: string): Promise<Record<string, number[]>> {
    const saved = poolFile(pretrainDir);
    if (saved) return saved.embeddings;
    const src = path.join(pretrainDir, "buffer.sqlite");
    if (!existsSync(src))
      throw new MissingPathError(src, `${name}: no FLASH buffer in ${pretrainDir} (expected the buffer.sqlite of a FLASH pretraining unit)`);
    mkdirSync(workDir, { recursive: true });
    const copy = path.join(workDir, "pool-buffer.sqlite");
    copyFileSync(src, copy);
    const fm = flashModel(cfg, copy, 0);
    try {
      await loadFrozen(fm.model, pretrainDir);
      const out: Record<string, number[]> = {};
      for (const p of cfg.poolPairs.map((x) => x.id)) if (fm.model.buffer.count(fm.model.task, p) > 0) out[p] = Array.from(fm.model.getEmbedding(p));
      return out;
    } finally {
      fm.close();
    }
  }
  return { adapt, poolEmbeddings };
}

/** A/B serving without weight updates, with FLASH's context episodes and controls. */
function kitServe<C extends RlFlashConfig, E extends PairEnv, X extends object>(spec: RlFlashSpec<C, E, X>, b: KitBasics<C, E, X>) {
  const name = spec.name;
  const { envOf, flashModel, oracleInput, poolFile, loadFrozen, frozenConditioner } = b;
  /** The action of a context episode: the agent's training exploration (off-policy: at the end of pretraining's schedules). */
  function contextAction(cfg: C, agent: KitAgent, ctx: number): (o: Float32Array) => ArrayLike<number> {
    if (agent.kind === "off-policy") {
      const late = cfg.budgets.pretrainEpisodes * spec.episodeSteps(cfg);
      // A loaded agent's schedules start over (DQN: epsilon 1); set them to pretraining's end (no update runs here).
      agent.onStep(late, 0);
      return (o) => agent.collectAction(Float32Array.from(o), late, ctx).env;
    }
    return (o) => agent.predict(o, { deterministic: false, ctx });
  }

  /**
   * FLASH's embedding of `pair` for serving variant `v`: "flash" runs the context episodes
   * (training exploration), "flash-before" the earlier deterministic ones (the first with
   * the zero vector); "flash-zero" and "shuffled" pin a vector and run none.
   */
  async function serveEmbedding(cfg: C, req: ServeRequest, model: RLModel, cond: FlashConditioner, agent: KitAgent, env: E, pair: string): Promise<number[]> {
    const ctx = cond.ctxOf(pair);
    if (req.variant === "flash-zero") cond.pin(pair, new Array(cond.dim).fill(0));
    if (req.variant === "shuffled") {
      const pool = poolFile(req.modelDir);
      if (!pool)
        throw new MissingPathError(
          path.join(req.modelDir, CONTEXT.poolEmbeddingsFile),
          `${name}: the shuffled control needs ${CONTEXT.poolEmbeddingsFile} in ${req.modelDir} (re-run the FLASH pretraining)`,
        );
      // Another pool pair's: a pool pair served with this control never reads its own embedding.
      const ids = Object.keys(pool.embeddings)
        .sort()
        .filter((p) => p !== pair);
      cond.pin(pair, pool.embeddings[ids[new Rng(`shuffled/${req.seed}/${pair}`).int(0, ids.length)]]);
    }
    if (req.variant === "flash" || req.variant === "flash-before") {
      const act = req.variant === "flash" ? contextAction(cfg, agent, ctx) : (o: Float32Array) => agent.predict(o, { deterministic: true, ctx });
      for (let e = 0; e < cfg.budgets.embedEpisodes; e++) {
        const ep = runEpisode(env, req.seed * 31 + 17 * e + 5, act);
        await model.insertTrajSamples(pair, ep.states, ep.actions, ep.rewards);
      }
    }
    return Array.from(tf.tidy(() => cond.compute(tf.zeros([1, spec.stateDim]) as tf.Tensor2D, Int32Array.of(ctx)).dataSync() as Float32Array));
  }

  const FLASH_SERVED = new Set(["flash", "flash-before", "flash-zero", "shuffled"]);

  async function serve(cfg: C, req: ServeRequest): Promise<ServeResult[]> {
    const env0 = envOf(cfg, req.pairs[0], req.seed);
    const isFlash = FLASH_SERVED.has(req.variant);
    const fm = isFlash ? flashModel(cfg, path.join(req.workDir, `serve-${req.variant}.sqlite`), req.seed) : undefined;
    try {
      if (fm) await loadFrozen(fm.model, req.modelDir);
      const cond = fm ? frozenConditioner(fm.model, req.modelDir, req.pairs, req.seed, req.variant === "flash-before") : undefined;
      const oracle = req.variant === "oracle" ? oracleInput(cfg) : undefined;
      const agent = spec.agent(cfg, env0, { learningStarts: 0, seed: req.seed, extra: cond ?? oracle, phase: "serve" });
      try {
        await agent.load(path.join(req.modelDir, "agent"), name);
        const out: ServeResult[] = [];
        for (const pair of req.pairs) {
          const env = envOf(cfg, pair, req.seed);
          const ctx = cond ? cond.ctxOf(pair) : oracle ? oracle.ctxOf(pair) : 0;
          const embedding = fm && cond ? await serveEmbedding(cfg, req, fm.model, cond, agent, env, pair) : undefined;
          const ops = new StepMeans(spec.stepMetrics);
          const steps: ServedStep[] = [];
          const record = (r: StepResult) => {
            ops.add(r);
            // The first episode's steps (evaluation episodes have the env's fixed length).
            if (req.recordSteps && steps.length < spec.episodeSteps(cfg)) steps.push({ reward: r.reward, info: { ...(r.info ?? {}) } });
          };
          const ev = evaluatePolicy(agent, env, { episodes: cfg.budgets.evalEpisodes, seed: EVAL_SEED, ctx, onStep: record });
          const metrics = ops.means();
          out.push({ pair, reward: ev.mean, ...(embedding ? { embedding } : {}), ...(metrics ? { metrics } : {}), ...(req.recordSteps ? { steps } : {}) });
        }
        return out;
      } finally {
        agent.dispose();
      }
    } finally {
      fm?.close();
    }
  }
  return { serve };
}

export function rlFlashKit<C extends RlFlashConfig, E extends PairEnv, X extends object = object>(spec: RlFlashSpec<C, E, X>): RlFlashKit<C, E, X> {
  const name = spec.name;
  const b = kitBasics(spec);
  const { pairOf, envOf } = b;
  const { curveHooks, reference } = kitReference(spec, b);
  const { pretrain, openPretraining } = kitPretrain(spec, b);
  const { adapt, poolEmbeddings } = kitAdapt(spec, b, curveHooks);
  const { serve } = kitServe(spec, b);

  return {
    envOf,
    task: (own) => ({
      name,
      updates: (cfg) => (cfg.updatePairs ?? []).map((p) => ({ pair: p.id, from: p.from, scenario: p.scenario })),
      ...own,
      profiles: own.profiles ?? Object.keys(own.profileTable ?? {}),
      ...(spec.curve ? { convergenceCurve: spec.curve } : {}),
      budgets: (cfg) => cfg.budgets,
      withBudgets: (cfg, budgets) => ({ ...cfg, budgets: { ...budgets } }),
      pairs(cfg, poolSize) {
        const pool = cfg.poolPairs.map((p) => p.id);
        if (poolSize !== undefined && poolSize > pool.length)
          throw new OptionValueError("--pool-sizes", `at most the ${pool.length} pool pairs of ${name}'s config`, poolSize);
        return { pool: poolSize === undefined ? pool : pool.slice(0, poolSize), test: cfg.testPairs.map((p) => p.id) };
      },
      reference,
      pretrain,
      openPretraining,
      adapt,
      poolEmbeddings,
      serve,
      ...(spec.oracle ? { oracle: (cfg: C, pair: string) => (spec.oracle as NonNullable<typeof spec.oracle>)(cfg, pairOf(cfg, pair)) } : {}),
      ...(spec.fixedActions
        ? fixedActionHooks({
            candidates: spec.fixedActions,
            envOf,
            randomAction: spec.randomAction,
            fromOf: (cfg: C, id: string) => cfg.updatePairs?.find((p) => p.id === id)?.from,
            pairOf,
            ...(spec.application ? { application: spec.application } : {}),
            ...(spec.fixedActionRefinement ? { refinement: spec.fixedActionRefinement } : {}),
          })
        : {}),
    }),
  };
}
