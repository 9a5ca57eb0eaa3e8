/**
 * FLASH for every agent: one mechanism that conditions DDPG, DQN, PPO (or any agent with
 * the `ExtraInput` hook of extra.ts) on a pair's embedding, with no change to the agent.
 *
 *     const flash = RLModel.register({ task, stateDim, actionDim, buffer });
 *     const cond = new FlashConditioner(flash);
 *     const agent = new DDPG(env, config, { extra: cond });
 *     const rec = new EpisodeRecorder(flash);
 *     train(agent, env, { totalTimesteps, contextId: cond.contextId, onTransition: rec.onTransition, afterTrain: cond.afterUpdate });
 *     await rec.flush();
 *     flash.toggleMetaModelUpdate(false);   // pretraining -> serving
 *
 * How it works:
 *   - Context bank. Each pair gets a small integer context id (`addPair`, `ctxOf`,
 *     `pairOf`); the training loop attaches it to every observation (`contextId` for
 *     `TrainOptions`, which reads `PairEnv.pair`) and the agents store it with each
 *     transition. The pair's trajectories live in FLASH's data buffer, never in the
 *     replay or rollout buffers.
 *   - `compute(obs, ctx)` maps the batch's context ids to their distinct pairs, encodes
 *     each distinct pair's context once (one batched encoder call for the whole batch),
 *     and expands the [pairs, D] embeddings to [B, D] rows with a one-hot product.
 *   - With meta updates on (pretraining) and inside a gradient tape (an agent's loss),
 *     the embedding is differentiable, so whichever of the agent's optimisers lists
 *     `trainableVariables()` trains the meta learner with its own loss. Outside a tape
 *     (target values, acting) no gradient can flow, so a constant is used: the last
 *     values computed for the pair, as long as the meta learner's weights and the pair's
 *     data have not changed since, else one forward pass. Weight changes are detected
 *     exactly: every optimiser step replaces a variable's data (its `dataId`).
 *   - With meta updates off (serving), `trainableVariables()` is [] and the embedding is
 *     the model's cached per-pair constant (`RLModel.getEmbedding`): one concatenation.
 *   - Acting embedding (meta updates on): the agents say when they read the extra input to
 *     act (`ExtraPurpose` "act"); by default that embedding is computed once per episode
 *     (when the pair's data changed), as PEARL fixes z per episode, while training
 *     batches follow the weights (`acting: "step"` restores a per-update recomputation).
 *   - Warm-up (`setWarmup`): a pair's context until it has an episode of its own in the
 *     buffer; the warm-up episode is never in the buffer, so never in the selected context.
 *   - Meta updates off: `pin` replaces a pair's embedding (controls), and `emptyContext`
 *     is the embedding of a pair with no data yet (the kit: the pool average).
 *   - Context subsampling (`contextSubsample: K`): during pretraining each pair's context
 *     in a batch is K trajectories drawn without replacement from its M selected ones,
 *     a fresh draw per batch (the encoder averages over trajectories, so this is an
 *     unbiased-in-spirit, cheaper estimate, as PEARL samples a context batch per update).
 *     Serving always reads the full context.
 *   - Cost per training update (meta updates on): DDPG runs two encoder passes, one with
 *     its backward (critic loss) and one forward (actor loss, after the critic step moved
 *     the meta learner); its target reuses the actor pass's values. DQN: one pass with
 *     backward per update. PPO: one per minibatch, plus one forward per rollout step only
 *     for pairs whose data or weights changed. bench/flash-overhead.ts measures the DDPG
 *     ratio against the vanilla update for several encoder sizes.
 *   - `afterUpdate`, the training loop's `afterTrain` hook (an explicit callback, as
 *     SB3's): after every training phase with meta updates on, `RLModel.markMetaUpdated()`
 *     invalidates the model's cached embeddings (acting and serving see the new weights).
 *   - `EpisodeRecorder` collects each env's steps through `TrainOptions.onTransition` and
 *     inserts every finished episode with `RLModel.insertTrajSamples` (states observed
 *     before each action, the action sent to the env, the raw reward).
 *
 * Which loss trains the meta learner (the hook's variables are appended to exactly one
 * optimiser's var list per agent; see extra.ts):
 *   - DDPG: the critic's TD (MSE) loss only. As PEARL (Rakelly et al. 2019), which
 *     trains its context encoder with the critic (Q) loss and feeds the actor a detached
 *     context: the critic's regression target is a dense, low-variance signal about the
 *     pair's dynamics and rewards, while the actor loss -Q(s, pi(s)) is only as good as
 *     the critic and would pull the embedding toward whatever makes the current critic
 *     optimistic. The actor still reads the embedding (its gradient flows through it to
 *     the actor's weights) but does not update the meta learner.
 *   - DQN: its Huber TD loss (the only loss).
 *   - PPO: the combined clipped-surrogate + value + entropy loss (one optimiser for pi,
 *     vf and log_std; SB3 has no separate value optimiser), with the same gradient clip.
 *   - Sizeless (supervised): the MAPE loss; use SLModel with its own hook.
 * test/agents/flash-conditioning.test.ts proves each of these, and that the DDPG actor
 * loss alone leaves the meta learner unchanged.
 *
 * Several environments with different pairs are stepped together for PPO (one context id
 * per env, per-row embeddings in one batch); off-policy agents run one env at a time, each
 * env (pair) in turn, sharing the replay buffer, the context bank and the meta learner.
 */
import * as tf from "@tensorflow/tfjs";
import type { Env, PairEnv } from "../envs/env.js";
import { DynamicsAux, type DynamicsAuxOptions } from "../flash/aux-dynamics.js";
import { buildContextBatch, selectRows } from "../flash/context.js";
import type { ContextBatch } from "../flash/encoder.js";
import { ShapeError, ValueError } from "../flash/errors.js";
import type { RLModel } from "../flash/models.js";
import { Rng } from "../flash/rng.js";
import type { PairId, SequenceRecord } from "../flash/types.js";
import type { ExtraInput, ExtraPurpose } from "./extra.js";
import type { Transition } from "./train.js";

export interface FlashConditionerOptions {
  /** Pairs to register up front, getting context ids 0, 1, ... in this order. */
  pairs?: readonly PairId[];
  /**
   * K: with meta updates on, encode at most K trajectories per pair per training batch,
   * drawn without replacement from the pair's selected context (default: all of them).
   */
  contextSubsample?: number;
  /** Seed of the subsampling draws (default 0). */
  seed?: number | string;
  /**
   * With meta updates on, how often the embedding the agent *acts* with is recomputed:
   * "episode" (default) only when the pair's data changed (a finished episode was
   * inserted), so it is fixed for a whole episode, as PEARL samples z once per episode;
   * "step" whenever the meta learner's weights moved (after every update). Training
   * batches always read the current weights.
   */
  acting?: "episode" | "step";
  /**
   * The embedding for a pair whose context is still empty, with meta updates off
   * (adaptation's first episode, serving's first context episode). Default: the encoder's
   * empty-context zero vector, which pretraining never produced; the task kit passes the
   * pool-average embedding so no context is ever gathered with the zero vector.
   */
  emptyContext?: ArrayLike<number>;
  /**
   * An auxiliary loss for the meta learner (flash/aux-dynamics.ts), off by default:
   * "dynamics" predicts each transition's state change and reward from (state, action,
   * embedding). With meta updates on, `afterUpdate` (every training phase's hook) takes
   * one step of its own Adam optimiser on weight x that loss over the encoder's and the
   * head's variables, on transitions of the registered pairs' stored episodes; the agent's
   * optimiser and loss are untouched, so DDPG, DQN and PPO get it alike.
   */
  auxLoss?: { kind: "dynamics"; learningRate?: number } & DynamicsAuxOptions;
}

/** A pair's context as the encoder reads it: its sequences. */
type Context = Pick<SequenceRecord, "steps" | "width" | "data">[];

interface CachedEmbedding {
  /** The conditioner's weights epoch when computed. */
  epoch: number;
  /** The pair's buffer version when computed. */
  version: number;
  values: Float32Array;
}

/** The `ExtraInput` that appends a pair's FLASH embedding to every observation. */
export class FlashConditioner implements ExtraInput {
  readonly model: RLModel;
  readonly dim: number;
  readonly contextSubsample: number | undefined;
  private readonly ids = new Map<PairId, number>();
  private readonly names: PairId[] = [];
  private readonly rng: Rng;
  private readonly cache = new Map<PairId, CachedEmbedding>();
  /** Identity of the meta learner's weights: bumped when any variable's data changes. */
  private epoch = 0;
  private dataIds: object[] = [];
  private readonly acting: "episode" | "step";
  /** Per-episode acting embeddings (meta updates on, acting "episode"): by pair, with the buffer version they were computed at. */
  private readonly actingCache = new Map<PairId, { version: number; values: Float32Array }>();
  private readonly emptyContext: Float32Array | undefined;
  /** Fixed embeddings that replace a pair's own (controls: another pair's embedding, the zero vector). */
  private readonly pins = new Map<PairId, Float32Array>();
  /** A pair's context until its first own episode is in the buffer (pretraining's random warm-up episode). */
  private readonly warmups = new Map<PairId, Context>();
  /** The auxiliary dynamics head, its optimiser and sampling stream (option `auxLoss`). */
  private readonly aux: { head: DynamicsAux; optimizer: tf.Optimizer; rng: Rng } | undefined;
  /** The auxiliary loss of the last step (weighted), for diagnostics; NaN before any. */
  lastAuxLoss = NaN;
  private readonly episodes = new Map<PairId, { version: number; records: SequenceRecord[] }>();

  constructor(model: RLModel, opts: FlashConditionerOptions = {}) {
    this.model = model;
    this.dim = model.embeddingDim;
    const k = opts.contextSubsample;
    if (k !== undefined && !(Number.isInteger(k) && k >= 1)) throw new ShapeError("FlashConditioner contextSubsample", "a positive integer", String(k));
    this.contextSubsample = k;
    this.rng = new Rng(opts.seed ?? 0).fork("flash-context-subsample");
    this.acting = opts.acting ?? "episode";
    if (opts.emptyContext !== undefined) this.emptyContext = this.checkVector("emptyContext", opts.emptyContext);
    const a = opts.auxLoss;
    if (a !== undefined) {
      if (a.kind !== "dynamics") throw new ValueError(`FlashConditioner auxLoss.kind: expected "dynamics", got ${JSON.stringify(a.kind)}`);
      const lr = a.learningRate ?? 1e-3;
      if (!(Number.isFinite(lr) && lr > 0)) throw new ShapeError("FlashConditioner auxLoss.learningRate", "a number > 0", String(lr));
      const seed = typeof opts.seed === "number" ? opts.seed : 0;
      const head = new DynamicsAux(model.stateDim, model.actionDim, this.dim, { seed, ...a });
      this.aux = { head, optimizer: tf.train.adam(lr), rng: this.rng.fork("aux-dynamics") };
    }
    for (const p of opts.pairs ?? []) this.addPair(p);
  }

  /** The auxiliary head's variables (none without `auxLoss`): they are trained by `afterUpdate`, not by the agent. */
  auxVariables(): tf.Variable[] {
    return this.aux?.head.variables() ?? [];
  }

  /** Frees the auxiliary head (the meta learner belongs to the model). */
  dispose(): void {
    this.aux?.head.dispose();
    this.aux?.optimizer.dispose();
  }

  /**
   * Serve `pair` with `values` instead of its own embedding (meta updates off only: the
   * shuffled-embedding and zero-vector controls); `undefined` removes the pin.
   */
  pin(pair: PairId, values: ArrayLike<number> | undefined): void {
    if (values === undefined) this.pins.delete(pair);
    else this.pins.set(this.ids.has(pair) ? pair : this.pairOf(this.addPair(pair)), this.checkVector(`pin(${pair})`, values));
  }

  /**
   * A context for `pair` used only while the pair has no episode of its own in the buffer:
   * an empty context gives the meta learner no gradient, so pretraining starts each pool
   * pair from one random episode, which then never enters the pair's selected context.
   */
  setWarmup(pair: PairId, episode: Pick<SequenceRecord, "steps" | "width" | "data">): void {
    const width = this.model.stateDim + this.model.actionDim + 1;
    if (episode.width !== width || episode.data.length !== episode.steps * width)
      throw new ShapeError(
        `FlashConditioner warm-up of ${pair}`,
        `${episode.steps} x ${width} values`,
        `width ${episode.width}, ${episode.data.length} values`,
      );
    this.addPair(pair);
    this.warmups.set(pair, [episode]);
  }

  /** The pair's context as the conditioner encodes it: its selected context, or its warm-up while that is empty. */
  contextOf(pair: PairId): Context {
    return this.gather([pair]).contexts[0];
  }

  /** `contextOf` each of `pairs` and their buffer versions, from one look at the buffer (a batch's pairs). */
  private gather(pairs: readonly PairId[]): { contexts: Context[]; versions: number[] } {
    const { records, versions } = this.model.contexts(pairs);
    return { contexts: records.map((c, i) => (c.length > 0 ? c : (this.warmups.get(pairs[i]) ?? []))), versions };
  }

  private checkVector(what: string, v: ArrayLike<number>): Float32Array {
    if (v.length !== this.dim || !Array.from(v).every(Number.isFinite))
      throw new ShapeError(`FlashConditioner ${what}`, `${this.dim} finite numbers (the embedding dimension)`, `${v.length} values`);
    return Float32Array.from(v);
  }

  /** Register `pair` (idempotent) and return its context id. */
  addPair(pair: PairId): number {
    if (typeof pair !== "string" || pair.length === 0) throw new ValueError(`FlashConditioner pair: expected a non-empty string, got ${JSON.stringify(pair)}`);
    let id = this.ids.get(pair);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(pair, id);
      this.names.push(pair);
    }
    return id;
  }

  /** The context id of a registered pair; a clear error for an unknown one. */
  ctxOf(pair: PairId): number {
    const id = this.ids.get(pair);
    if (id === undefined)
      throw new ValueError(`FlashConditioner: unknown pair ${JSON.stringify(pair)}; registered pairs are ${this.describePairs()} (register with addPair)`);
    return id;
  }

  /** The pair of a context id; a clear error for an unknown one. */
  pairOf(ctx: number): PairId {
    const p = Number.isInteger(ctx) && ctx >= 0 ? this.names[ctx] : undefined;
    if (p === undefined) {
      throw new ValueError(
        `FlashConditioner: unknown context id ${ctx}; ` +
          `${this.names.length ? `ids 0..${this.names.length - 1} are registered` : "no pair is registered"} (register pairs with addPair)`,
      );
    }
    return p;
  }

  /** Registered pairs in context-id order. */
  pairs(): readonly PairId[] {
    return this.names;
  }

  /**
   * For `TrainOptions.contextId`: registers the env's pair and returns its id. The env
   * must be a `PairEnv` (carry `pair`).
   */
  readonly contextId = (env: Env, index = 0): number => {
    const pair = (env as Partial<PairEnv>).pair;
    if (typeof pair !== "string")
      throw new ValueError(`FlashConditioner.contextId: env ${index} (${env.id}) has no pair; FLASH needs a PairEnv (an env with a .pair id)`);
    return this.addPair(pair);
  };

  trainableVariables(): tf.Variable[] {
    return this.model.trainableVariables();
  }

  compute(obs: tf.Tensor2D, ctx: Int32Array, purpose: ExtraPurpose = "learn"): tf.Tensor2D {
    const B = obs.shape[0];
    if (obs.shape[1] !== this.model.stateDim)
      throw new ShapeError("FlashConditioner observations", `[B, ${this.model.stateDim}] (the FLASH model's stateDim)`, `[${obs.shape.join(", ")}]`);
    if (ctx.length !== B) throw new ShapeError("FlashConditioner context ids", `${B} (one per observation)`, `${ctx.length}`);
    const rowPairs: PairId[] = new Array(B);
    for (let i = 0; i < B; i++) rowPairs[i] = this.pairOf(ctx[i]);
    if (!this.model.metaUpdatesEnabled) return this.frozen(rowPairs);
    if (this.pins.size > 0) throw new ValueError("FlashConditioner: pinned embeddings are for serving (meta updates off); unpin before pretraining");
    this.checkWeights();
    const distinct = [...new Set(rowPairs)];
    if (purpose === "act" && this.acting === "episode") return this.perEpisode(rowPairs, distinct);
    const index = new Map(distinct.map((p, i) => [p, i]));
    const rowIdx = rowPairs.map((p) => index.get(p) as number);
    const { contexts, versions } = this.gather(distinct);
    if (tf.engine().isTapeOn()) {
      const e = this.encodeContexts(contexts);
      const values = e.dataSync() as Float32Array;
      distinct.forEach((p, i) => this.remember(p, versions[i], values.slice(i * this.dim, (i + 1) * this.dim)));
      return selectRows(e, rowIdx);
    }
    // No gradient can flow here: constants, recomputing only stale pairs.
    const stale = distinct.map((_, i) => i).filter((i) => !this.fresh(distinct[i], versions[i]));
    if (stale.length > 0) {
      const values = tf.tidy(() => this.encodeContexts(stale.map((i) => contexts[i])).dataSync() as Float32Array);
      stale.forEach((i, j) => this.remember(distinct[i], versions[i], values.slice(j * this.dim, (j + 1) * this.dim)));
    }
    const flat = new Float32Array(B * this.dim);
    for (let i = 0; i < B; i++) flat.set(this.cache.get(rowPairs[i])!.values, i * this.dim);
    return tf.tensor2d(flat, [B, this.dim]);
  }

  /**
   * Pass as `TrainOptions.afterTrain` (or call after optimiser steps of your own): when the
   * meta learner's weights moved, invalidates the model's cached embeddings
   * (`RLModel.markMetaUpdated`), so acting and `getEmbedding` see the new weights.
   */
  readonly afterUpdate = (): void => {
    if (!this.model.metaUpdatesEnabled) return;
    this.auxStep();
    if (this.checkWeights()) this.model.markMetaUpdated();
  };

  /** One step of the auxiliary loss (option `auxLoss`) on the registered pairs' stored episodes. */
  private auxStep(): void {
    if (!this.aux) return;
    const { head, optimizer, rng } = this.aux;
    const pairs = this.names.filter((p) => this.model.buffer.count(this.model.task, p) > 0);
    if (pairs.length === 0) return;
    const batch = head.sample(
      pairs.map((p) => this.episodesOf(p)),
      rng,
    );
    if (!batch) return;
    const used = [...new Set(batch.rowPair)].sort((x, y) => x - y);
    const at = new Map(used.map((p, i) => [p, i]));
    const vars = [...this.model.encoder.variables(), ...head.variables()];
    const loss = optimizer.minimize(
      () =>
        head.loss(
          selectRows(
            this.encode(used.map((i) => pairs[i])),
            batch.rowPair.map((p) => at.get(p) as number),
          ),
          batch,
        ),
      true,
      vars,
    );
    this.lastAuxLoss = loss ? (loss.dataSync()[0] as number) : NaN;
    loss?.dispose();
  }

  /** Every stored episode of `pair` (the auxiliary loss's transitions), re-read when its data changed. */
  private episodesOf(pair: PairId): SequenceRecord[] {
    const version = this.model.buffer.version(this.model.task, pair);
    const hit = this.episodes.get(pair);
    if (hit && hit.version === version) return hit.records;
    const records = this.model.buffer.all(this.model.task, pair);
    this.episodes.set(pair, { version, records });
    return records;
  }

  /** Meta updates off: pinned values, the empty-context embedding, else the model's cached embedding. */
  private frozen(rowPairs: readonly PairId[]): tf.Tensor2D {
    if (this.pins.size === 0 && this.emptyContext === undefined) return this.model.embed(rowPairs);
    const flat = new Float32Array(rowPairs.length * this.dim);
    const of = new Map<PairId, Float32Array>();
    rowPairs.forEach((p, i) => {
      let v = of.get(p);
      if (!v) {
        v = this.pins.get(p) ?? (this.emptyContext && this.model.buffer.count(this.model.task, p) === 0 ? this.emptyContext : this.model.getEmbedding(p));
        of.set(p, v);
      }
      flat.set(v, i * this.dim);
    });
    return tf.tensor2d(flat, [rowPairs.length, this.dim]);
  }

  /** Acting embeddings fixed per episode: recomputed only when the pair's buffer version changed. */
  private perEpisode(rowPairs: readonly PairId[], distinct: readonly PairId[]): tf.Tensor2D {
    const versions = this.model.buffer.versions(this.model.task, distinct);
    const of = new Map<PairId, Float32Array>();
    distinct.forEach((p, i) => {
      let hit = this.actingCache.get(p);
      if (!hit || hit.version !== versions[i]) {
        hit = { version: versions[i], values: tf.tidy(() => this.encode([p]).dataSync() as Float32Array).slice() };
        this.actingCache.set(p, hit);
      }
      of.set(p, hit.values);
    });
    const flat = new Float32Array(rowPairs.length * this.dim);
    rowPairs.forEach((p, i) => flat.set(of.get(p) as Float32Array, i * this.dim));
    return tf.tensor2d(flat, [rowPairs.length, this.dim]);
  }

  /**
   * The padded context the encoder reads for `pairs` in a training batch: each pair's
   * selected context (its warm-up while that is empty), K trajectories drawn per pair
   * when subsampling (a fresh draw per call). The caller owns the tensors (call inside tf.tidy).
   */
  contextBatch(pairs: readonly PairId[]): ContextBatch {
    return this.batchOf(this.gather(pairs).contexts);
  }

  /** The padded batch of `contexts`, subsampled to K trajectories each when configured (a fresh draw per call). */
  private batchOf(contexts: readonly Context[]): ContextBatch {
    const k = this.contextSubsample;
    const picked = contexts.map((c) => (k === undefined || c.length <= k ? c : this.rng.shuffle([...c]).slice(0, k)));
    return buildContextBatch(picked, this.model.stateDim + this.model.actionDim + 1, { maxSteps: this.model.maxSteps });
  }

  /** [pairs.length, dim] embeddings of `pairs` (differentiable), with subsampling when configured. */
  private encode(pairs: readonly PairId[]): tf.Tensor2D {
    return this.encodeContexts(this.gather(pairs).contexts);
  }

  /** [contexts.length, dim] embeddings of gathered contexts (differentiable). */
  private encodeContexts(contexts: readonly Context[]): tf.Tensor2D {
    return tf.tidy(() => this.model.encoder.encode(this.batchOf(contexts)));
  }

  private remember(pair: PairId, version: number, values: Float32Array): void {
    this.cache.set(pair, { epoch: this.epoch, version, values });
  }

  private fresh(pair: PairId, version: number): boolean {
    const c = this.cache.get(pair);
    return c !== undefined && c.epoch === this.epoch && c.version === version;
  }

  /** Bump the epoch if any meta-learner variable's data changed since the last check; true if it did. */
  private checkWeights(): boolean {
    const vars = this.model.encoder.variables();
    const changed = vars.length !== this.dataIds.length || vars.some((v, i) => v.dataId !== this.dataIds[i]);
    if (changed) {
      this.epoch++;
      this.dataIds = vars.map((v) => v.dataId);
    }
    return changed;
  }

  private describePairs(): string {
    if (this.names.length === 0) return "(none)";
    const shown = this.names.slice(0, 8).map((p) => JSON.stringify(p));
    return shown.join(", ") + (this.names.length > 8 ? `, ... (${this.names.length} in all)` : "");
  }
}

/**
 * Inserts every finished episode of each env into FLASH's buffer. Pass `onTransition` to
 * `TrainOptions` and call `flush()` after each `train` call; envs must be `PairEnv`s. Inserts run synchronously into the buffer (the
 * data is there when the step returns); errors are kept and rethrown by the next
 * `onTransition` and by `flush()`.
 */
export class EpisodeRecorder {
  readonly model: RLModel;
  /** Episodes inserted so far. */
  inserted = 0;
  private readonly open = new Map<number, { pair: PairId; states: number[]; actions: number[]; rewards: number[] }>();
  private readonly pending: Promise<unknown>[] = [];
  private error: unknown;

  constructor(model: RLModel) {
    this.model = model;
  }

  readonly onTransition = (t: Transition): void => {
    if (this.error !== undefined) throw this.error;
    const pair = (t.env as Partial<PairEnv>).pair;
    if (typeof pair !== "string")
      throw new ValueError(`EpisodeRecorder: env ${t.index} (${t.env.id}) has no pair; FLASH needs a PairEnv (an env with a .pair id)`);
    const { stateDim, actionDim } = this.model;
    if (t.obs.length !== stateDim)
      throw new ShapeError(`EpisodeRecorder observation of env ${t.index}`, `${stateDim} numbers (the FLASH model's stateDim)`, `${t.obs.length}`);
    if (t.action.length !== actionDim)
      throw new ShapeError(`EpisodeRecorder action of env ${t.index}`, `${actionDim} numbers (the FLASH model's actionDim)`, `${t.action.length}`);
    let ep = this.open.get(t.index);
    if (!ep || ep.pair !== pair) {
      ep = { pair, states: [], actions: [], rewards: [] };
      this.open.set(t.index, ep);
    }
    for (let i = 0; i < stateDim; i++) ep.states.push(t.obs[i]);
    for (let i = 0; i < actionDim; i++) ep.actions.push(t.action[i]);
    ep.rewards.push(t.reward);
    if (t.terminated || t.truncated) {
      this.open.delete(t.index);
      const p = this.model.insertTrajSamples(ep.pair, Float32Array.from(ep.states), Float32Array.from(ep.actions), ep.rewards).then(
        () => void this.inserted++,
        (e: unknown) => void (this.error ??= e),
      );
      this.pending.push(p);
    }
  };

  /**
   * Wait for every insert and drop unfinished episodes (`train` resets every env when it
   * starts, so they can never continue): call after each `train` call. Rethrows the first
   * insert error.
   */
  async flush(): Promise<void> {
    this.open.clear();
    await Promise.all(this.pending.splice(0));
    if (this.error !== undefined) throw this.error;
  }
}
