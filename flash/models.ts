/**
 * The FLASH API (paper Listing 1): one meta learner per task, fed from the data buffer.
 *
 *     const flash = RLModel.register({task: "autoscaling", stateDim, actionDim, buffer});
 *     await flash.insertTrajSamples(pair, states, actions, rewards);  // after each episode
 *     const e = flash.getEmbedding(pair);                             // append to the state
 *     flash.toggleMetaModelUpdate(false);                             // pretraining -> serving
 *
 * and `SLModel` the same with `insertDataSamples(pair, features, labels)`.
 *
 * Two ways to read an embedding:
 *   - `getEmbedding(pair)` returns a Float32Array for acting/serving. It is cached per
 *     pair and recomputed only when that pair's data changes (buffer version) or, with
 *     meta updates on, after `markMetaUpdated()` says the meta learner's weights moved.
 *   - `embed(pairs)` returns a tf.Tensor2D [pairs.length, embeddingDim] for training.
 *     With meta updates on it is computed inside the caller's gradient tape (each
 *     distinct pair's context is encoded once, in one batched call), so the caller's
 *     loss trains the meta learner when it includes `trainableVariables()` in the
 *     optimiser's var list. With updates off it is a constant built from the cache.
 *
 * A pair with no data yet gets the zero vector (the encoder's output for an empty
 * context): well defined, and "no information" to the agent.
 */
import * as tf from "@tensorflow/tfjs";
import type { BufferBackend } from "./buffer/backend.js";
import { SqliteBuffer } from "./buffer/sqlite.js";
import { loadCheckpoint, readManifest, saveCheckpoint } from "./checkpoint.js";
import { buildContextBatch, selectRows } from "./context.js";
import type { SequenceEncoder } from "./encoder.js";
import { RegistrationConflictError, ShapeError, UnknownTaskError, ValueError, assertFinite } from "./errors.js";
import { BiGruEncoder, type BiGruConfig } from "./gru.js";
import { Rng } from "./rng.js";
import { checkSelection, pickContext, type ContextSelection } from "./selection.js";
import { TcnEncoder, type TcnConfig } from "./tcn.js";
import type { PairId, SequenceRecord, TaskKind, TaskSpec } from "./types.js";
import { rowWidth } from "./types.js";

/** Rows as nested arrays (one row per step or sample) or one flat row-major array. */
export type Rows = ReadonlyArray<ArrayLike<number>> | Float32Array | Float64Array;

/**
 * The meta learner's encoder and its sizes: the paper's BiGRU (`type` "bigru", the
 * default when `type` is absent) or the temporal convolution (`type` "tcn", `tcn.ts`).
 */
export type EncoderOptions =
  ({ type?: "bigru" } & Partial<Omit<BiGruConfig, "type" | "inputWidth">>) | ({ type: "tcn" } & Partial<Omit<TcnConfig, "type" | "inputWidth">>);

/** Options shared by RLModel.register and SLModel.register. */
export interface CommonOptions {
  task: string;
  /** A buffer backend, or the path of an SQLite buffer file to open or create. */
  buffer: BufferBackend | string;
  /** Encoder type and sizes; defaults are the paper's (2-layer BiGRU, hidden 256, embedding 32). */
  encoder?: EncoderOptions;
  /** M: sequences per pair fed to the meta learner (paper: M/2 best + M/2 earliest). */
  contextSize?: number;
  /** Steps kept per sequence (the first ones); bounds the GRU's cost. */
  maxSteps?: number;
  /** Which M sequences form a pair's context (selection.ts); default "paper" (M/2 best + M/2 earliest). */
  selection?: ContextSelection;
  /** Seed of the meta learner's initial weights. */
  seed?: number;
}

export interface RLOptions extends CommonOptions {
  stateDim: number;
  actionDim: number;
}

export interface SLOptions extends CommonOptions {
  featureDim: number;
  labelDim?: number;
}

const DEFAULT_CONTEXT_SIZE = 32;
const DEFAULT_MAX_STEPS = 100;
const META_KIND = "flash-meta-learner";

function checkDim(what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new ShapeError(what, "a positive integer", String(v));
  }
  return v;
}

/** Flatten `rows` to steps x width, checking every shape; `what` names the argument. */
function toMatrix(what: string, rows: Rows, width: number, steps?: number): { data: Float32Array; steps: number } {
  let data: Float32Array;
  let n: number;
  if (rows instanceof Float32Array || rows instanceof Float64Array) {
    if (rows.length % width !== 0) throw new ShapeError(what, `a flat array whose length is a multiple of ${width}`, `length ${rows.length}`);
    n = rows.length / width;
    data = rows instanceof Float32Array ? rows : Float32Array.from(rows);
  } else {
    n = rows.length;
    data = new Float32Array(n * width);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (!r || r.length !== width) throw new ShapeError(`${what}[${i}]`, `${width} numbers`, r ? `${r.length}` : String(r));
      for (let j = 0; j < width; j++) data[i * width + j] = r[j];
    }
  }
  if (steps !== undefined && n !== steps) throw new ShapeError(what, `${steps} rows (one per step)`, `${n} rows`);
  assertFinite(what, data);
  return { data, steps: n };
}

/** The per-task meta learner with its buffer and embedding cache. */
export abstract class FlashModel {
  private static readonly registry = new Map<string, FlashModel>();

  readonly spec: TaskSpec;
  readonly encoder: SequenceEncoder & { getWeights(): Record<string, tf.Tensor>; setWeights(w: Record<string, tf.Tensor>): void };
  readonly buffer: BufferBackend;
  readonly contextSize: number;
  readonly maxSteps: number;
  readonly selection: ContextSelection;
  /** Seed of the "random" selection's draws (the model's seed). */
  private readonly selectionSeed: number;
  private metaUpdates = true;
  /** Bumped when the meta learner's weights change; part of the cache key. */
  private weightsEpoch = 0;
  private readonly cache = new Map<PairId, { version: number; epoch: number; embedding: Float32Array }>();
  private readonly contextCache = new Map<PairId, { version: number; records: SequenceRecord[] }>();

  protected constructor(spec: TaskSpec, opts: CommonOptions) {
    this.spec = spec;
    this.buffer = typeof opts.buffer === "string" ? SqliteBuffer.open(opts.buffer) : opts.buffer;
    this.buffer.registerTask(spec);
    this.contextSize = checkDim("contextSize", opts.contextSize ?? DEFAULT_CONTEXT_SIZE);
    this.maxSteps = checkDim("maxSteps", opts.maxSteps ?? DEFAULT_MAX_STEPS);
    this.selection = checkSelection(opts.selection ?? "paper", "selection");
    this.selectionSeed = opts.seed ?? 0;
    this.encoder = makeEncoder(opts.encoder ?? {}, rowWidth(spec), opts.seed ?? (opts.encoder?.seed as number | undefined) ?? 0);
  }

  /** Register (or find) the model of `spec.task`; a task has one meta learner per process. */
  protected static registerSpec<M extends FlashModel>(spec: TaskSpec, make: () => M): M {
    const existing = FlashModel.registry.get(spec.task);
    if (existing) {
      const a = existing.spec;
      if (a.kind !== spec.kind || a.dims[0] !== spec.dims[0] || a.dims[1] !== spec.dims[1]) {
        throw new RegistrationConflictError(spec.task, describeSpec(a), describeSpec(spec));
      }
      return existing as M;
    }
    const model = make();
    FlashModel.registry.set(spec.task, model);
    return model;
  }

  /** The registered model of a task; UnknownTaskError if there is none. */
  static get(task: string): FlashModel {
    const m = FlashModel.registry.get(task);
    if (!m) throw new UnknownTaskError(task, [...FlashModel.registry.keys()]);
    return m;
  }

  /** Forget a task's model (tests, long-lived processes); disposes its weights. */
  static unregister(task: string): void {
    const m = FlashModel.registry.get(task);
    if (m) {
      m.encoder.dispose();
      FlashModel.registry.delete(task);
    }
  }

  get task(): string {
    return this.spec.task;
  }

  get embeddingDim(): number {
    return this.encoder.config.embeddingDim;
  }

  /** Whether the caller's loss may update the meta learner. */
  get metaUpdatesEnabled(): boolean {
    return this.metaUpdates;
  }

  /** Pretraining (true) vs serving (false). Off: the meta learner is frozen and embeddings are cached. */
  toggleMetaModelUpdate(on: boolean): void {
    if (on !== this.metaUpdates) this.weightsEpoch++;
    this.metaUpdates = on;
  }

  /** Variables the caller's optimiser should update: the encoder's with updates on, none with updates off. */
  trainableVariables(): tf.Variable[] {
    return this.metaUpdates ? this.encoder.variables() : [];
  }

  /** Say that an optimiser step changed the meta learner (invalidates cached embeddings). */
  markMetaUpdated(): void {
    this.weightsEpoch++;
  }

  /** Pairs with data in the buffer, in order of first insertion. */
  pairs(): PairId[] {
    return this.buffer.pairs(this.task);
  }

  /** The selected context of a pair (cached until the pair's data changes). */
  context(pair: PairId): SequenceRecord[] {
    return this.contexts([pair]).records[0];
  }

  /**
   * The selected contexts of `pairs` and their buffer versions, as of one check of the
   * buffer (`BufferBackend.versions`); each context is cached until its pair's data changes.
   */
  contexts(pairs: readonly PairId[]): { records: SequenceRecord[][]; versions: number[] } {
    const versions = this.buffer.versions(this.task, pairs);
    const records = pairs.map((pair, i) => {
      const version = versions[i];
      const hit = this.contextCache.get(pair);
      if (hit && hit.version === version) return hit.records;
      const picked = version === 0 ? [] : this.selectContext(pair, version);
      this.contextCache.set(pair, { version, records: picked });
      return picked;
    });
    return { records, versions };
  }

  /** The policy's pick of the pair's stored sequences; "paper" reads only the chosen ones from the buffer. */
  private selectContext(pair: PairId, version: number): SequenceRecord[] {
    if (this.selection === "paper") return this.buffer.select(this.task, pair, this.contextSize);
    const rng = new Rng(this.selectionSeed).fork(`context/${pair}/${version}`);
    return pickContext(this.buffer.all(this.task, pair), this.contextSize, this.selection, rng);
  }

  /**
   * Embeddings [pairs.length, embeddingDim]. Differentiable with meta updates on: call
   * it inside the loss function given to the optimiser. Each distinct pair is encoded once.
   */
  embed(pairs: readonly PairId[]): tf.Tensor2D {
    if (pairs.length === 0) throw new ShapeError("embed(pairs)", "at least one pair", "none");
    if (!this.metaUpdates) {
      const flat = new Float32Array(pairs.length * this.embeddingDim);
      pairs.forEach((p, i) => flat.set(this.getEmbedding(p), i * this.embeddingDim));
      return tf.tensor2d(flat, [pairs.length, this.embeddingDim]);
    }
    const distinct = [...new Set(pairs)];
    const index = new Map(distinct.map((p, i) => [p, i]));
    return tf.tidy(() => {
      const batch = buildContextBatch(this.contexts(distinct).records, rowWidth(this.spec), { maxSteps: this.maxSteps });
      return selectRows(
        this.encoder.encode(batch),
        pairs.map((p) => index.get(p) as number),
      );
    });
  }

  /** A pair's embedding for acting and serving (cached; see the class comment). */
  getEmbedding(pair: PairId): Float32Array {
    const version = this.buffer.version(this.task, pair);
    const hit = this.cache.get(pair);
    if (hit && hit.version === version && hit.epoch === this.weightsEpoch) return hit.embedding;
    let embedding: Float32Array;
    if (version === 0) {
      embedding = new Float32Array(this.embeddingDim);
    } else {
      embedding = tf.tidy(() => {
        const batch = buildContextBatch([this.context(pair)], rowWidth(this.spec), { maxSteps: this.maxSteps });
        return this.encoder.encode(batch).dataSync() as Float32Array;
      });
    }
    this.cache.set(pair, { version, epoch: this.weightsEpoch, embedding });
    return embedding;
  }

  /** Save the meta learner (weights, sizes, task spec) as a checkpoint directory. */
  async save(dir: string): Promise<void> {
    await saveCheckpoint(dir, {
      kind: META_KIND,
      task: this.task,
      dims: {
        kind: this.spec.kind === "rl" ? 1 : 0,
        dim0: this.spec.dims[0],
        dim1: this.spec.dims[1],
        inputWidth: rowWidth(this.spec),
        embeddingDim: this.embeddingDim,
      },
      config: { spec: this.spec, encoder: this.encoder.config, contextSize: this.contextSize, maxSteps: this.maxSteps },
      tensors: this.encoder.getWeights(),
    });
  }

  /** Load weights saved by `save` into this model; refuses another task, kind or size. */
  async load(dir: string): Promise<void> {
    const m = await readManifest(dir, { kind: META_KIND, task: this.task });
    const want = {
      kind: this.spec.kind === "rl" ? 1 : 0,
      dim0: this.spec.dims[0],
      dim1: this.spec.dims[1],
      inputWidth: rowWidth(this.spec),
      embeddingDim: this.embeddingDim,
    };
    const { tensors } = await loadCheckpoint(dir, { kind: META_KIND, task: this.task, dims: want });
    const enc = (m.config as { encoder?: Record<string, unknown> }).encoder ?? {};
    // Type first, then every size either side has (the seed only chose the initial weights).
    const keys = [...new Set(["type", ...Object.keys(this.encoder.config), ...Object.keys(enc)])].filter((k) => k !== "seed");
    for (const k of keys) {
      if (enc[k] !== this.encoder.config[k]) {
        Object.values(tensors).forEach((t) => t.dispose());
        throw new ShapeError(`checkpoint ${dir} encoder.${k}`, String(this.encoder.config[k]), String(enc[k]));
      }
    }
    try {
      this.encoder.setWeights(tensors);
    } finally {
      Object.values(tensors).forEach((t) => t.dispose());
    }
    this.weightsEpoch++;
  }

  protected insert(pair: PairId, data: Float32Array, steps: number, reward: number | null): number {
    if (typeof pair !== "string" || pair.length === 0) throw new ValueError(`pair: expected a non-empty string, got ${JSON.stringify(pair)}`);
    const [id] = this.buffer.insert(this.task, pair, [{ steps, width: rowWidth(this.spec), data, reward }]);
    return id;
  }
}

function makeEncoder(o: EncoderOptions, inputWidth: number, seed: number): FlashModel["encoder"] {
  const { type, ...sizes } = o;
  if (type === undefined || type === "bigru") return new BiGruEncoder({ ...(sizes as Partial<BiGruConfig>), inputWidth, seed });
  if (type === "tcn") return new TcnEncoder({ ...(sizes as Partial<TcnConfig>), inputWidth, seed });
  throw new ShapeError("encoder.type", `"bigru" or "tcn"`, JSON.stringify(type));
}

function describeSpec(s: TaskSpec): string {
  return s.kind === "rl" ? `RL with stateDim ${s.dims[0]}, actionDim ${s.dims[1]}` : `SL with featureDim ${s.dims[0]}, labelDim ${s.dims[1]}`;
}

/** FLASH for reinforcement-learning agents: the meta learner reads trajectories [s, a, r]. */
export class RLModel extends FlashModel {
  static register(opts: RLOptions): RLModel {
    const spec: TaskSpec = {
      task: opts.task,
      kind: "rl" satisfies TaskKind,
      dims: [checkDim("stateDim", opts.stateDim), checkDim("actionDim", opts.actionDim)],
    };
    if (typeof opts.task !== "string" || !opts.task) throw new ValueError(`task: expected a non-empty string, got ${JSON.stringify(opts.task)}`);
    return FlashModel.registerSpec(spec, () => new RLModel(spec, opts));
  }

  get stateDim(): number {
    return this.spec.dims[0];
  }

  get actionDim(): number {
    return this.spec.dims[1];
  }

  /**
   * Store one finished episode of `pair`: T states, T actions and T rewards (states as
   * observed before each action). Returns the stored trajectory's id. A wrong shape, a
   * NaN or an empty trajectory throws before anything is written.
   */
  async insertTrajSamples(pair: PairId, states: Rows, actions: Rows, rewards: ArrayLike<number>): Promise<number> {
    const T = rewards.length;
    if (T === 0) throw new ValueError(`insertTrajSamples(${pair}): empty trajectory (no rewards); expected at least one step`);
    assertFinite("rewards", rewards);
    const s = toMatrix("states", states, this.stateDim, T);
    const a = toMatrix("actions", actions, this.actionDim, T);
    const w = this.stateDim + this.actionDim + 1;
    const data = new Float32Array(T * w);
    let total = 0;
    for (let t = 0; t < T; t++) {
      data.set(s.data.subarray(t * this.stateDim, (t + 1) * this.stateDim), t * w);
      data.set(a.data.subarray(t * this.actionDim, (t + 1) * this.actionDim), t * w + this.stateDim);
      data[t * w + w - 1] = rewards[t];
      total += rewards[t];
    }
    return this.insert(pair, data, T, total);
  }
}

/** FLASH for supervised models: the meta learner reads samples [x, y]. */
export class SLModel extends FlashModel {
  static register(opts: SLOptions): SLModel {
    if (typeof opts.task !== "string" || !opts.task) throw new ValueError(`task: expected a non-empty string, got ${JSON.stringify(opts.task)}`);
    const spec: TaskSpec = { task: opts.task, kind: "sl", dims: [checkDim("featureDim", opts.featureDim), checkDim("labelDim", opts.labelDim ?? 1)] };
    return FlashModel.registerSpec(spec, () => new SLModel(spec, opts));
  }

  get featureDim(): number {
    return this.spec.dims[0];
  }

  get labelDim(): number {
    return this.spec.dims[1];
  }

  /**
   * Store N labelled samples of `pair` as one sequence. `labels` is N numbers (labelDim 1)
   * or N rows of labelDim. Returns the stored sequence's id.
   */
  async insertDataSamples(pair: PairId, features: Rows, labels: Rows | ArrayLike<number>): Promise<number> {
    const x = toMatrix("features", features, this.featureDim);
    if (x.steps === 0) throw new ValueError(`insertDataSamples(${pair}): no samples; expected at least one`);
    const labelRows: Rows =
      this.labelDim === 1 && !(labels instanceof Float32Array || labels instanceof Float64Array) && typeof (labels as ArrayLike<unknown>)[0] === "number"
        ? Float32Array.from(labels as ArrayLike<number>)
        : (labels as Rows);
    const y = toMatrix("labels", labelRows, this.labelDim, x.steps);
    const w = this.featureDim + this.labelDim;
    const data = new Float32Array(x.steps * w);
    for (let i = 0; i < x.steps; i++) {
      data.set(x.data.subarray(i * this.featureDim, (i + 1) * this.featureDim), i * w);
      data.set(y.data.subarray(i * this.labelDim, (i + 1) * this.labelDim), i * w + this.featureDim);
    }
    return this.insert(pair, data, x.steps, null);
  }
}
