/**
 * The Sizeless regressor (Eismann et al., Middleware 2021; FLASH paper Table 6): a
 * fully connected ReLU network that predicts a serverless function's execution time
 * (one or several outputs, e.g. per memory size) from monitoring features.
 *
 * As in Table 6 / the Sizeless code (Keras): 4 hidden layers of 256 with ReLU, linear
 * output, Adam (lr 1e-3), MAPE loss, L2 0.01 on every kernel, 200 epochs of shuffled
 * minibatches (Keras default batch 32). Inputs are standardised with the training
 * set's mean and std, stored with the weights. Labels are divided by their mean
 * absolute value per output before training: MAPE is invariant to a common scale of
 * label and prediction, so this changes conditioning only, not the objective.
 * Differs: PyTorch-style uniform initialisation (Keras uses Glorot uniform).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../flash/rng.js";
import { ShapeError, ValueError, assertFinite } from "../flash/errors.js";
import { loadCheckpoint, saveCheckpoint } from "../flash/checkpoint.js";
import { checkPositiveInt } from "./checks.js";
import { type ExtraInput, extraDim, extraVariables, withExtra } from "./extra.js";
import { Mlp } from "./mlp.js";
import { type AgentOptimizer, adam, minimize } from "./optim.js";

/** Sizeless regressor hyper-parameters (FLASH paper Table 6; the Keras names in parentheses). */
export interface SizelessConfig {
  /** Hidden layer sizes, ReLU; the output layer is linear (Dense units). */
  hidden: number[];
  /** Adam learning rate (Adam learning_rate). */
  learningRate: number;
  /** L2 penalty on every kernel (not the biases), l2 * sum(w^2) added to the MAPE loss (kernel_regularizer l2). */
  l2: number;
  /** Passes over the training set per `fit` unless `FitOptions.epochs` overrides it (fit epochs). */
  epochs: number;
  /** Samples per shuffled minibatch (fit batch_size). */
  batchSize: number;
}

/** FLASH paper Table 6 (Sizeless). */
export const SIZELESS_DEFAULTS: SizelessConfig = { hidden: [256, 256, 256, 256], learningRate: 1e-3, l2: 0.01, epochs: 200, batchSize: 32 };

/** Rows as a flat row-major Float32Array or an array of rows. */
export type Rows = Float32Array | ArrayLike<number>[];

function toFlat(what: string, rows: Rows, width: number, n?: number): { data: Float32Array; n: number } {
  let data: Float32Array;
  if (rows instanceof Float32Array) {
    if (rows.length % width !== 0) throw new ShapeError(what, `a multiple of ${width} numbers`, String(rows.length));
    data = rows;
  } else {
    data = new Float32Array(rows.length * width);
    rows.forEach((r, i) => {
      if (r.length !== width) throw new ShapeError(`${what} row ${i}`, `${width} numbers`, String(r.length));
      data.set(r, i * width);
    });
  }
  const count = data.length / width;
  if (n !== undefined && count !== n) throw new ShapeError(what, `${n} rows`, String(count));
  assertFinite(what, data);
  return { data, n: count };
}

export interface FitOptions {
  /** Overrides config.epochs. */
  epochs?: number;
  /** Per-sample context ids for the extra-input hook. */
  ctx?: Int32Array;
  onEpoch?: (epoch: number, loss: number) => void;
}

export class SizelessRegressor {
  readonly config: SizelessConfig;
  readonly net: Mlp;
  private readonly extra: ExtraInput | undefined;
  private readonly rng: Rng;
  private readonly opt: AgentOptimizer;
  /** Standardisation and label scale; set by the first `fit` (or `load`). */
  private stats: { mean: Float32Array; std: Float32Array; labelScale: Float32Array } | undefined;

  constructor(
    readonly featureDim: number,
    readonly outputDim = 1,
    config: Partial<SizelessConfig> = {},
    opts: { seed?: number | string; extra?: ExtraInput } = {},
  ) {
    checkPositiveInt("Sizeless featureDim", featureDim);
    checkPositiveInt("Sizeless outputDim", outputDim);
    this.config = { ...SIZELESS_DEFAULTS, ...config };
    checkPositiveInt("Sizeless batchSize", this.config.batchSize);
    this.extra = opts.extra;
    this.rng = new Rng(opts.seed ?? 0);
    this.net = new Mlp({ inputDim: featureDim + extraDim(this.extra), hidden: this.config.hidden, outputDim, activation: "relu" }, this.rng.fork("init"));
    this.opt = adam(this.config.learningRate);
  }

  /** Labels as N x outputDim; with one output, a plain list of N numbers is accepted too. */
  private labels(labels: Rows | ArrayLike<number>, n: number): { data: Float32Array; n: number } {
    const plain = !(labels instanceof Float32Array) && typeof (labels as ArrayLike<unknown>)[0] === "number";
    const rows = plain ? Float32Array.from(labels as ArrayLike<number>) : (labels as Rows);
    return toFlat("Sizeless labels", rows, this.outputDim, n);
  }

  private standardise(data: Float32Array, n: number): Float32Array {
    const { mean, std } = this.stats!;
    const d = this.featureDim;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (data[i * d + j] - mean[j]) / std[j];
    return out;
  }

  /**
   * Train for `epochs` epochs of shuffled minibatches; returns the mean MAPE (percent,
   * plus the L2 term) per epoch. The first call fixes the standardisation; later calls
   * (fine-tuning) keep it.
   */
  fit(features: Rows, labels: Rows | ArrayLike<number>, opts: FitOptions = {}): number[] {
    const x = toFlat("Sizeless features", features, this.featureDim);
    if (x.n === 0) throw new ValueError("Sizeless fit: no samples");
    const y = this.labels(labels, x.n);
    for (let i = 0; i < y.data.length; i++)
      if (y.data[i] === 0) throw new ValueError(`Sizeless labels: MAPE is undefined for a zero label (row ${Math.floor(i / this.outputDim)})`);
    const ctxAll = opts.ctx ?? new Int32Array(x.n);
    if (ctxAll.length !== x.n) throw new ShapeError("Sizeless ctx", `${x.n} ids`, String(ctxAll.length));
    const n = x.n;
    const d = this.featureDim;
    const o = this.outputDim;
    if (!this.stats) {
      const mean = new Float32Array(d);
      const std = new Float32Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x.data[i * d + j] / n;
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) std[j] += (x.data[i * d + j] - mean[j]) ** 2 / n;
      for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) || 1; // a constant feature stays at 0
      const labelScale = new Float32Array(o);
      for (let i = 0; i < n; i++) for (let k = 0; k < o; k++) labelScale[k] += Math.abs(y.data[i * o + k]) / n;
      this.stats = { mean, std, labelScale };
    }
    const xs = this.standardise(x.data, n);
    const ys = y.data.map((v, i) => v / this.stats!.labelScale[i % o]);
    const epochs = opts.epochs ?? this.config.epochs;
    const B = Math.min(this.config.batchSize, n);
    const idx = Array.from({ length: n }, (_, i) => i);
    const bx = new Float32Array(B * d);
    const by = new Float32Array(B * o);
    const bc = new Int32Array(B);
    const kernels = this.net.variables.filter((_, i) => i % 2 === 0);
    const vars = [...this.net.variables, ...extraVariables(this.extra)];
    const history: number[] = [];
    for (let e = 0; e < epochs; e++) {
      this.rng.shuffle(idx);
      let sum = 0;
      let batches = 0;
      for (let s = 0; s < n; s += B) {
        const m = Math.min(B, n - s);
        for (let k = 0; k < m; k++) {
          const i = idx[s + k];
          bx.set(xs.subarray(i * d, (i + 1) * d), k * d);
          by.set(ys.subarray(i * o, (i + 1) * o), k * o);
          bc[k] = ctxAll[i];
        }
        sum += tf.tidy(() => {
          const xt = tf.tensor2d(bx.subarray(0, m * d), [m, d]);
          const yt = tf.tensor2d(by.subarray(0, m * o), [m, o]);
          const ctx = bc.subarray(0, m);
          return minimize(
            this.opt,
            () => {
              const pred = this.net.apply(withExtra(xt, ctx, this.extra));
              // Keras MAPE: 100 * mean(|y - p| / max(|y|, 1e-7)).
              const mape = tf.mul(100, tf.mean(tf.div(tf.abs(tf.sub(yt, pred)), tf.maximum(tf.abs(yt), 1e-7))));
              const l2 = tf.mul(this.config.l2, tf.addN(kernels.map((k) => tf.sum(tf.square(k)))));
              return tf.add(mape, l2) as tf.Scalar;
            },
            vars,
          );
        });
        batches++;
      }
      history.push(sum / batches);
      opts.onEpoch?.(e, sum / batches);
    }
    return history;
  }

  /** Predictions, N x outputDim row-major, in the labels' units. */
  predict(features: Rows, opts: { ctx?: Int32Array } = {}): Float32Array {
    if (!this.stats) throw new ValueError("Sizeless predict: the model has not been fitted or loaded");
    const x = toFlat("Sizeless features", features, this.featureDim);
    const ctx = opts.ctx ?? new Int32Array(x.n);
    const xs = this.standardise(x.data, x.n);
    const out = tf.tidy(() => this.net.apply(withExtra(tf.tensor2d(xs, [x.n, this.featureDim]), ctx, this.extra)).dataSync() as Float32Array);
    const o = this.outputDim;
    return out.map((v, i) => v * this.stats!.labelScale[i % o]);
  }

  /** Mean absolute percentage error (percent) of the predictions on (features, labels). */
  mape(features: Rows, labels: Rows | ArrayLike<number>): number {
    const p = this.predict(features);
    const y = this.labels(labels, p.length / this.outputDim).data;
    let s = 0;
    for (let i = 0; i < p.length; i++) s += Math.abs(y[i] - p[i]) / Math.max(Math.abs(y[i]), 1e-7);
    return (100 * s) / p.length;
  }

  /**
   * A copy with this model's configuration, weights and standardisation and a fresh
   * optimiser, to fine-tune without touching this model (transfer learning per new
   * workload). `extra` defaults to this model's hook (shared, not copied).
   */
  clone(opts: { seed?: number | string; extra?: ExtraInput } = {}): SizelessRegressor {
    const c = new SizelessRegressor(this.featureDim, this.outputDim, this.config, { seed: opts.seed ?? 0, extra: opts.extra ?? this.extra });
    c.net.assignNamed("net", this.net.namedTensors("net"));
    if (this.stats)
      c.stats = { mean: Float32Array.from(this.stats.mean), std: Float32Array.from(this.stats.std), labelScale: Float32Array.from(this.stats.labelScale) };
    return c;
  }

  private dims(): Record<string, number> {
    return { featureDim: this.featureDim, outputDim: this.outputDim, extraDim: extraDim(this.extra) };
  }

  async save(dir: string, task: string): Promise<void> {
    if (!this.stats) throw new ValueError("Sizeless save: nothing to save before fit");
    const s = this.stats;
    const statTensors = { "stats/mean": tf.tensor1d(s.mean), "stats/std": tf.tensor1d(s.std), "stats/label_scale": tf.tensor1d(s.labelScale) };
    try {
      await saveCheckpoint(dir, {
        kind: "sizeless",
        task,
        dims: this.dims(),
        config: this.config,
        tensors: { ...this.net.namedTensors("net"), ...statTensors },
      });
    } finally {
      Object.values(statTensors).forEach((t) => t.dispose());
    }
  }

  async load(dir: string, task?: string): Promise<void> {
    const { tensors } = await loadCheckpoint(dir, { kind: "sizeless", task, dims: this.dims() });
    try {
      this.net.assignNamed("net", tensors);
      const get = (k: string) => {
        const t = tensors[k];
        if (!t) throw new ShapeError(`checkpoint tensor ${k}`, "present", "missing");
        return t.dataSync() as Float32Array;
      };
      this.stats = {
        mean: Float32Array.from(get("stats/mean")),
        std: Float32Array.from(get("stats/std")),
        labelScale: Float32Array.from(get("stats/label_scale")),
      };
    } finally {
      Object.values(tensors).forEach((t) => t.dispose());
    }
  }

  dispose(): void {
    this.net.dispose();
    this.opt.dispose();
  }
}
