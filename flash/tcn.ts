/**
 * A temporal-convolution encoder (TCN): the cheap alternative to the paper's BiGRU
 * (`gru.ts`) behind the same `SequenceEncoder` interface (ARCHITECTURE.md "Meta learner").
 *
 * Architecture, per sequence:
 *   - Optionally (`patch` > 1) the steps are first grouped into non-overlapping patches
 *     of `patch` consecutive steps (step 0 starts the first), each patch one row of
 *     patch x inputWidth values, padded steps zeroed; a patch is real when its first
 *     step is. This divides every later layer's rows (and cost) by `patch`.
 *   - `layers` causal dilated 1-D convolutions, kernel `kernelSize`, dilation
 *     `dilationBase^l` in layer l (1, 2, 4, ... by default), `channels` output channels,
 *     ReLU after each. Causal: the output at step t reads steps t, t-d, ..., t-(k-1)d
 *     only, positions before step 0 read zeros. Receptive field
 *     1 + (k-1) * sum_l dilationBase^l rows (15 for the defaults), times `patch` steps.
 *   - A masked pooling over the sequence's real steps: their mean, or their mean and
 *     max concatenated (`pooling: "meanmax"`).
 * Then, as in `gru.ts`: the mean over the pair's real sequences, Dense(-> fcHidden, ReLU),
 * Dense(-> embeddingDim) (linear), and exactly zero for a pair with no sequence.
 *
 * Padding is provably inert: a sequence's real steps come first (ContextBatch), a causal
 * convolution's output at a real step reads only real steps (and the fixed zeros before
 * step 0), so whatever a padded step holds cannot reach a real step's output; the
 * pooling then reads real steps only (the mean weights steps by the step mask; the max
 * is taken over ReLU outputs times the mask, and since ReLU outputs are >= 0, a zeroed
 * padded step never exceeds the real maximum of a sequence with at least one real
 * step). Padded sequence slots are dropped by the sequence mask. With patches, padded
 * steps are multiplied by zero before grouping, so a sequence's last, partly real patch
 * holds the same values however far the batch is padded.
 *
 * Cost (ARCHITECTURE.md "Numerics"): every layer is one unfold (a pad, k slices, a concat) and
 * one matMul over all P*M*T steps at once, so the op count is O(layers * kernelSize),
 * independent of T, M and P; FLOPs are P*M*T * k * channels^2 per layer.
 *
 * Why not tf.conv1d: on WebAssembly, Conv2D and Conv2DBackpropInput have kernels but
 * Conv2DBackpropFilter does not, so conv1d cannot be trained there. The unfolded form
 * uses Pad, Slice, Concat and MatMul, whose forward and backward kernels all exist.
 *
 * Two gradients are written by hand because TF.js's own are slow on WebAssembly
 * (measured, [6400, 192] x [192, 64]): a matMul with transposeA or transposeB runs
 * 5-12x slower than transposing first and multiplying plainly, and the max's gradient
 * goes through Equal, ~50x slower there than a subtraction and a Step. `dense` and
 * `maxOverSteps` compute the same gradients with explicit transposes and a Step; a
 * DDPG update with this encoder runs ~2.5-4x faster for it.
 *
 * Initialisation: Glorot-uniform kernels, zero biases, seeded from `seed` as in gru.ts.
 */
import * as tf from "@tensorflow/tfjs";
import type { ContextBatch, EncoderConfig, SequenceEncoder } from "./encoder.js";
import { ShapeError } from "./errors.js";
import { EncoderBase } from "./encoder-base.js";

export type TcnPooling = "mean" | "meanmax";

export interface TcnConfig extends EncoderConfig {
  type: "tcn";
  /** Output channels of every convolution layer. */
  channels: number;
  /** Stacked convolution layers. */
  layers: number;
  /** Steps per patch, grouped before the first convolution (1: none). */
  patch: number;
  /** Taps per convolution. */
  kernelSize: number;
  /** Layer l has dilation dilationBase^l (1: no dilation). */
  dilationBase: number;
  /** Pooling over a sequence's real steps: mean, or mean and max concatenated. */
  pooling: TcnPooling;
  /** Units of the first fully connected layer. */
  fcHidden: number;
  /** Seed of the initial weights. */
  seed: number;
}

export const TCN_DEFAULTS = {
  channels: 64,
  layers: 3,
  patch: 1,
  kernelSize: 3,
  dilationBase: 2,
  pooling: "meanmax",
  fcHidden: 64,
  embeddingDim: 32,
  seed: 0,
} as const;

type GradFunc = Parameters<typeof tf.customGrad>[0];

/** x W + b for x [N, in], W [in, out], b [out]; gradient by plain matMuls of explicit transposes. Exported for tests. */
export const dense = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor[]) => [
      tf.matMul(dy, tf.transpose(ws as tf.Tensor2D)),
      tf.matMul(tf.transpose(xs as tf.Tensor2D), dy),
      tf.sum(dy, 0),
    ],
  };
}) as unknown as GradFunc) as unknown as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/**
 * max over axis 1 of h [B, T, C] -> [B, C]. Gradient: dy to every step that attains the
 * max (ties share it, as tf.max's own gradient does), found as 1 - step(max - h).
 * Exported for tests.
 */
export const maxOverSteps = tf.customGrad(((h: tf.Tensor3D, save: tf.GradSaveFunc) => {
  const m = tf.max(h, 1) as tf.Tensor2D;
  save([h, m]);
  return {
    value: m,
    gradFunc: (dy: tf.Tensor2D, [hs, ms]: tf.Tensor[]) => {
      const [B, , C] = hs.shape;
      const atMax = tf.sub(1, tf.step(tf.sub(tf.reshape(ms, [B, 1, C]), hs)));
      return [tf.mul(atMax, tf.reshape(dy, [B, 1, C]))];
    },
  };
}) as unknown as GradFunc) as unknown as (h: tf.Tensor) => tf.Tensor2D;

export class TcnEncoder extends EncoderBase implements SequenceEncoder {
  readonly config: TcnConfig;
  private readonly convs: { w: tf.Variable; b: tf.Variable; dilation: number }[] = [];
  private readonly fc1: { w: tf.Variable; b: tf.Variable };
  private readonly fc2: { w: tf.Variable; b: tf.Variable };

  constructor(opts: Partial<Omit<TcnConfig, "type">> & { inputWidth: number }) {
    const c: TcnConfig = { type: "tcn", ...TCN_DEFAULTS, ...opts, inputWidth: opts.inputWidth };
    super("TcnEncoder", "tcn", c.seed);
    for (const k of ["inputWidth", "channels", "layers", "patch", "kernelSize", "dilationBase", "fcHidden", "embeddingDim"] as const) this.positiveInt(k, c[k]);
    if (c.pooling !== "mean" && c.pooling !== "meanmax") throw new ShapeError("TcnEncoder pooling", `"mean" or "meanmax"`, JSON.stringify(c.pooling));
    this.config = c;
    const glorot = (shape: number[], fanIn: number, fanOut: number) => this.glorot(shape, fanIn, fanOut);
    const v = (name: string, init: tf.Tensor) => this.variable(name, init);
    const C = c.channels;
    for (let l = 0; l < c.layers; l++) {
      const inDim = l === 0 ? c.patch * c.inputWidth : C;
      const fanIn = c.kernelSize * inDim;
      // Rows: tap j (0 = oldest step t-(k-1)d, k-1 = step t) times input channel.
      this.convs.push({
        w: v(`tcn/l${l}/kernel`, glorot([fanIn, C], fanIn, C)),
        b: v(`tcn/l${l}/bias`, tf.zeros([C])),
        dilation: c.dilationBase ** l,
      });
    }
    const pooled = c.pooling === "meanmax" ? 2 * C : C;
    this.fc1 = { w: v("head/fc1/kernel", glorot([pooled, c.fcHidden], pooled, c.fcHidden)), b: v("head/fc1/bias", tf.zeros([c.fcHidden])) };
    this.fc2 = { w: v("head/fc2/kernel", glorot([c.fcHidden, c.embeddingDim], c.fcHidden, c.embeddingDim)), b: v("head/fc2/bias", tf.zeros([c.embeddingDim])) };
  }

  /** Steps one output reads: (1 + (k-1) * sum of the dilations) * patch. */
  get receptiveField(): number {
    return (1 + (this.config.kernelSize - 1) * this.convs.reduce((s, c) => s + c.dilation, 0)) * this.config.patch;
  }

  encode(batch: ContextBatch): tf.Tensor2D {
    const [P, M, steps] = this.checkBatch(batch, this.config.inputWidth);
    const { kernelSize: k, channels: C, patch: p, inputWidth: W } = this.config;
    return tf.tidy(() => {
      const B = P * M;
      let x: tf.Tensor3D = tf.reshape(batch.data, [B, steps, W]);
      let mask: tf.Tensor = batch.stepMask; // one entry per row of x
      let T = steps;
      if (p > 1) {
        T = Math.ceil(steps / p);
        const pad: [number, number][] = [
          [0, 0],
          [0, T * p - steps],
        ];
        const stepMask = tf.pad(tf.reshape(batch.stepMask, [B, steps]), pad);
        x = tf.reshape(tf.mul(tf.pad(x, [...pad, [0, 0]]), tf.reshape(stepMask, [B, T * p, 1])), [B, T, p * W]);
        // Real steps come first, so a patch is real when its first step is.
        mask = tf.slice(tf.reshape(stepMask, [B, T, p]), [0, 0, 0], [B, T, 1]);
      }
      for (const conv of this.convs) {
        const inDim = x.shape[2];
        const d = conv.dilation;
        // Unfold causally: tap j reads step t - (k-1-j) d, zeros before step 0.
        const xp = tf.pad(x, [
          [0, 0],
          [(k - 1) * d, 0],
          [0, 0],
        ]);
        const taps = Array.from({ length: k }, (_, j) => tf.slice(xp, [0, j * d, 0], [B, T, inDim]));
        const u = k === 1 ? taps[0] : tf.concat(taps, 2); // [B, T, k*inDim]
        const y = tf.relu(dense(tf.reshape(u, [B * T, k * inDim]), conv.w, conv.b));
        x = tf.reshape(y, [B, T, C]);
      }
      const m = tf.reshape(mask, [B, T, 1]);
      const hm = tf.mul(x, m); // padded steps -> 0
      const len = tf.maximum(tf.sum(m, 1), 1); // [B, 1]
      let seqOut: tf.Tensor2D = tf.div(tf.sum(hm, 1), len); // [B, C]
      // Max over ReLU outputs (>= 0) with padded steps zeroed: the max over real steps.
      if (this.config.pooling === "meanmax") seqOut = tf.concat([seqOut, maxOverSteps(hm)], 1);
      const F = seqOut.shape[1];
      const w = tf.reshape(batch.seqMask, [P, M, 1]);
      const n = tf.sum(batch.seqMask, 1, true); // [P, 1]
      const mean = tf.div(tf.sum(tf.mul(tf.reshape(seqOut, [P, M, F]), w), 1), tf.maximum(n, 1)); // [P, F]
      const hidden = tf.relu(dense(mean, this.fc1.w, this.fc1.b));
      const out = dense(hidden, this.fc2.w, this.fc2.b);
      // A pair with no sequence: exactly zero (the biases would otherwise leak through).
      return tf.mul(out, tf.cast(tf.greater(n, 0), "float32")) as tf.Tensor2D;
    });
  }
}
