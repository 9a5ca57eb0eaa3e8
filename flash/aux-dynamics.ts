/**
 * An auxiliary training signal for the meta learner: a small head that predicts a
 * transition's next state and reward from (state, action, embedding), as model-based
 * context encoders do (CaDM, Lee et al. 2020; the decoder of VariBAD, Zintgraf et al.
 * 2020). With the agent's loss alone (a critic's TD error) the embedding is pulled only
 * toward whatever helps that loss today and may carry little of the pair; predicting the
 * pair's dynamics makes it a fingerprint of the pair by construction.
 *
 * Task-agnostic: it reads RL sequences of rows [state, action, reward] (types.ts), and
 * the embedding of each transition's pair, differentiable, so the loss's gradient
 * reaches the encoder's variables. Targets are the state change s' - s and the reward,
 * each column divided by its spread over the batch (a constant), so no column's units
 * dominate the loss.
 */
import * as tf from "@tensorflow/tfjs";
import { EncoderBase } from "./encoder-base.js";
import { ShapeError } from "./errors.js";
import type { Rng } from "./rng.js";
import type { SequenceRecord } from "./types.js";

export interface DynamicsAuxOptions {
  /** Hidden units of the head's one hidden layer (default 64). */
  hidden?: number;
  /** Transitions per auxiliary step (default 64). */
  batch?: number;
  /** The loss's weight (default 1). */
  weight?: number;
  /** Seed of the head's initial weights (default 0). */
  seed?: number;
}

/** A batch of transitions: row i belongs to pair `rowPair[i]` (an index into the pairs given to `sample`). */
export interface TransitionBatch {
  rowPair: number[];
  /** [B, stateDim + actionDim] inputs. */
  x: Float32Array;
  /** [B, stateDim + 1] targets (state change, reward), divided by `scale`. */
  y: Float32Array;
}

type Seq = Pick<SequenceRecord, "steps" | "width" | "data">;

/** The head [state, action, embedding] -> [state change, reward] and its loss. */
export class DynamicsAux extends EncoderBase {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly embeddingDim: number;
  readonly batch: number;
  readonly weight: number;
  private readonly w1: tf.Variable;
  private readonly b1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly b2: tf.Variable;

  constructor(stateDim: number, actionDim: number, embeddingDim: number, opts: DynamicsAuxOptions = {}) {
    super("DynamicsAux", "aux-dynamics", opts.seed ?? 0);
    this.stateDim = this.positiveInt("stateDim", stateDim);
    this.actionDim = this.positiveInt("actionDim", actionDim);
    this.embeddingDim = this.positiveInt("embeddingDim", embeddingDim);
    const hidden = this.positiveInt("hidden", opts.hidden ?? 64);
    this.batch = this.positiveInt("batch", opts.batch ?? 64);
    const weight = opts.weight ?? 1;
    if (!(Number.isFinite(weight) && weight > 0)) throw new ShapeError("DynamicsAux weight", "a number > 0", String(weight));
    this.weight = weight;
    const inW = stateDim + actionDim + embeddingDim;
    const outW = stateDim + 1;
    this.w1 = this.variable("w1", this.glorot([inW, hidden], inW, hidden));
    this.b1 = this.variable("b1", tf.zeros([hidden]));
    this.w2 = this.variable("w2", this.glorot([hidden, outW], hidden, outW));
    this.b2 = this.variable("b2", tf.zeros([outW]));
  }

  /**
   * `batch` transitions drawn from `perPair` (pair uniformly, then one of its sequences,
   * then a step with a successor); null when no pair has a sequence of 2 or more steps.
   */
  sample(perPair: readonly (readonly Seq[])[], rng: Rng): TransitionBatch | null {
    const S = this.stateDim;
    const w = S + this.actionDim + 1;
    const usable = perPair.map((seqs) => seqs.filter((s) => s.steps >= 2));
    const pairs = usable.map((s, i) => (s.length > 0 ? i : -1)).filter((i) => i >= 0);
    if (pairs.length === 0) return null;
    for (const p of pairs)
      for (const s of usable[p]) if (s.width !== w) throw new ShapeError(`DynamicsAux sequence of pair ${p}`, `row width ${w}`, `${s.width}`);
    const B = this.batch;
    const xW = S + this.actionDim;
    const x = new Float32Array(B * xW);
    const y = new Float32Array(B * (S + 1));
    const rowPair: number[] = [];
    for (let i = 0; i < B; i++) {
      const p = rng.pick(pairs);
      const s = rng.pick(usable[p]);
      const t = rng.int(0, s.steps - 1);
      const row = s.data.subarray(t * w, (t + 1) * w);
      const next = s.data.subarray((t + 1) * w, (t + 1) * w + S);
      x.set(row.subarray(0, xW), i * xW);
      for (let j = 0; j < S; j++) y[i * (S + 1) + j] = next[j] - row[j];
      y[i * (S + 1) + S] = row[w - 1];
      rowPair.push(p);
    }
    scaleColumns(y, S + 1);
    return { rowPair, x, y };
  }

  /**
   * weight x the mean squared error of the head's prediction on `b`; `rows` [B, embeddingDim]
   * holds each transition's pair embedding (differentiable: the gradient reaches the encoder).
   */
  loss(rows: tf.Tensor2D, b: TransitionBatch): tf.Scalar {
    return tf.tidy(() => {
      const B = b.rowPair.length;
      if (rows.shape[0] !== B || rows.shape[1] !== this.embeddingDim)
        throw new ShapeError("DynamicsAux embeddings", `[${B}, ${this.embeddingDim}]`, `[${rows.shape.join(", ")}]`);
      const x = tf.concat([tf.tensor2d(b.x, [B, this.stateDim + this.actionDim]), rows], 1);
      const h = tf.relu(tf.add(tf.matMul(x, this.w1), this.b1));
      const pred = tf.add(tf.matMul(h, this.w2), this.b2);
      return tf.mul(tf.mean(tf.square(tf.sub(pred, tf.tensor2d(b.y, [B, this.stateDim + 1])))), this.weight) as tf.Scalar;
    });
  }
}

/** Divide each of the `cols` columns of row-major `y` by its standard deviation (floored at 1e-3), in place. */
function scaleColumns(y: Float32Array, cols: number): void {
  const n = y.length / cols;
  for (let j = 0; j < cols; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += y[i * cols + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (y[i * cols + j] - m) ** 2;
    const sd = Math.max(Math.sqrt(v / n), 1e-3);
    for (let i = 0; i < n; i++) y[i * cols + j] /= sd;
  }
}
