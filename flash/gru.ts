/**
 * The paper's meta learner encoder (Table 4, Appendix A.1): a bidirectional GRU over
 * each sequence, per-sequence outputs averaged over the pair's M sequences, then two
 * fully connected layers to the embedding.
 *
 * Choices the paper leaves open, and why:
 *   - Per-sequence output: the top layer's forward state after the last real step
 *     concatenated with its backward state after step 0 ([2H]); both have read the
 *     whole sequence.
 *   - Head: Dense(2H -> fcHidden, ReLU) -> Dense(fcHidden -> embeddingDim), linear
 *     output. A ReLU on the output too would let embedding units die (stuck at 0 for
 *     every pair) and would forbid negative coordinates; "two FC layers with ReLU"
 *     is read as ReLU between them.
 *   - GRU cell: the reset-after form (as cuDNN, PyTorch and Keras' default):
 *     n = tanh(x W_in + b_in + r * (h W_hn + b_hn)). Gate order in the kernels: r, z, n.
 *   - Initialisation: Glorot-uniform kernels, zero biases, each seeded from `seed`.
 *   - A pair with no sequence gets exactly the zero vector.
 *
 * The fast formulation (ARCHITECTURE.md "Numerics": on WebAssembly an op costs tens of
 * microseconds, so op counts matter more than FLOPs for small models): all P*M
 * sequences are one batch; each layer's input projection for every time step and
 * both directions is one matMul; each layer's recurrence is one custom-gradient op
 * (`gru-fused.ts`: two [B, H] x [H, 3H] matMuls and ~15 element-wise ops per step for
 * both directions at once, the backward pass through time outside the tape, each
 * recurrent kernel's gradient one matMul over all steps). The op count is
 * O(T * layers), independent of P and M. Padding is masked by
 * h = h + m_t * (h_new - h): a padded step leaves the state unchanged, so the forward
 * direction carries its last real state to the end and the backward direction stays
 * at zero until it reaches the last real step. `encodeReference` runs the same cell
 * with every op on the gradient tape (the reference the fused op is tested against).
 *
 * On the WebAssembly backend `encode` runs the whole encoder as ONE op whose passes call
 * the backend's compiled kernels directly (`bigru-kernel.ts`): the same numbers, bit for
 * bit, as the TF.js formulation (`encodeFused`, still every other backend's path), without
 * the engine's per-op cost, which is all a small encoder costs (the quick experiments'
 * 1x16 BiGRU over 10 steps: ~800 engine ops per forward + backward -> 1 op).
 */
import * as tf from "@tensorflow/tfjs";
import type { ContextBatch, EncoderConfig, SequenceEncoder } from "./encoder.js";
import { EncoderBase } from "./encoder-base.js";
import { bigruKernels, encodeWithKernels } from "./bigru-kernel.js";
import { fusedBiGruLayer } from "./gru-fused.js";

export interface BiGruConfig extends EncoderConfig {
  type: "bigru";
  /** GRU units per direction (paper: 256). */
  hidden: number;
  /** Stacked bidirectional layers (paper: 2). */
  layers: number;
  /** Units of the first fully connected layer. */
  fcHidden: number;
  /** Seed of the initial weights. */
  seed: number;
}

/**
 * tf.unstack along axis 0, except for a single step: TF.js hands unstack's gradient a
 * lone tensor instead of a list when there is one output, and stacking it throws
 * ("must be a Tensor[]"). A reshape has a plain gradient.
 */
function unstackSteps(x: tf.Tensor): tf.Tensor[] {
  return x.shape[0] === 1 ? [tf.reshape(x, x.shape.slice(1))] : tf.unstack(x);
}

export const BIGRU_DEFAULTS = { hidden: 256, layers: 2, fcHidden: 64, embeddingDim: 32, seed: 0 } as const;

interface Layer {
  /** [inDim, 6H]: forward r,z,n then backward r,z,n. */
  wIn: tf.Variable;
  /** [6H] */
  bIn: tf.Variable;
  /** [H, 3H] each: recurrent kernels of the forward and backward directions. */
  wRecFw: tf.Variable;
  wRecBw: tf.Variable;
  /** [3H] each */
  bRecFw: tf.Variable;
  bRecBw: tf.Variable;
}

export class BiGruEncoder extends EncoderBase implements SequenceEncoder {
  readonly config: BiGruConfig;
  private readonly layers: Layer[] = [];
  private readonly fc1: { w: tf.Variable; b: tf.Variable };
  private readonly fc2: { w: tf.Variable; b: tf.Variable };

  constructor(opts: Partial<Omit<BiGruConfig, "type">> & { inputWidth: number }) {
    const c: BiGruConfig = { type: "bigru", ...BIGRU_DEFAULTS, ...opts, inputWidth: opts.inputWidth };
    super("BiGruEncoder", "bigru", c.seed);
    for (const k of ["inputWidth", "hidden", "layers", "fcHidden", "embeddingDim"] as const) this.positiveInt(k, c[k]);
    this.config = c;
    const H = c.hidden;
    const glorot = (shape: number[], fanIn: number, fanOut: number) => this.glorot(shape, fanIn, fanOut);
    const v = (name: string, init: tf.Tensor) => this.variable(name, init);
    for (let l = 0; l < c.layers; l++) {
      const inDim = l === 0 ? c.inputWidth : 2 * H;
      this.layers.push({
        wIn: v(`bigru/l${l}/input_kernel`, glorot([inDim, 6 * H], inDim, 3 * H)),
        bIn: v(`bigru/l${l}/input_bias`, tf.zeros([6 * H])),
        wRecFw: v(`bigru/l${l}/fw/recurrent_kernel`, glorot([H, 3 * H], H, 3 * H)),
        wRecBw: v(`bigru/l${l}/bw/recurrent_kernel`, glorot([H, 3 * H], H, 3 * H)),
        bRecFw: v(`bigru/l${l}/fw/recurrent_bias`, tf.zeros([3 * H])),
        bRecBw: v(`bigru/l${l}/bw/recurrent_bias`, tf.zeros([3 * H])),
      });
    }
    this.fc1 = { w: v("head/fc1/kernel", glorot([2 * H, c.fcHidden], 2 * H, c.fcHidden)), b: v("head/fc1/bias", tf.zeros([c.fcHidden])) };
    this.fc2 = { w: v("head/fc2/kernel", glorot([c.fcHidden, c.embeddingDim], c.fcHidden, c.embeddingDim)), b: v("head/fc2/bias", tf.zeros([c.embeddingDim])) };
  }

  /**
   * The embeddings. Each layer's recurrence runs as one custom-gradient op
   * (`gru-fused.ts`): same outputs as `encodeReference`, far fewer ops and tensors in the
   * backward pass.
   */
  encode(batch: ContextBatch): tf.Tensor2D {
    const kernels = bigruKernels();
    if (!kernels) return this.encodeWith(batch, true);
    this.checkBatch(batch, this.config.inputWidth);
    const fc = { fc1: this.fc1, fc2: this.fc2 };
    const layers = this.layers.map((L) => ({ wIn: L.wIn, bIn: L.bIn, wFw: L.wRecFw, wBw: L.wRecBw, bFw: L.bRecFw, bBw: L.bRecBw }));
    return encodeWithKernels(kernels, batch, { layers, ...fc }, this.config);
  }

  /** The TF.js formulation of `encode` (fused recurrence, the head as TF.js ops): what the kernel path is tested against, and other backends' path. */
  encodeFused(batch: ContextBatch): tf.Tensor2D {
    return this.encodeWith(batch, true);
  }

  /** The same function with every step's ops on the gradient tape: the reference the fused path is tested against. */
  encodeReference(batch: ContextBatch): tf.Tensor2D {
    return this.encodeWith(batch, false);
  }

  private encodeWith(batch: ContextBatch, fused: boolean): tf.Tensor2D {
    const [P, M, T] = this.checkBatch(batch, this.config.inputWidth);
    return tf.tidy(() => {
      const B = P * M;
      const H = this.config.hidden;
      // Time-major throughout, [T, B, ...]: a time step is a contiguous slice, and each
      // layer's output [T, B, 2H] is the next layer's input without a transpose.
      let x: tf.Tensor3D = tf.transpose(tf.reshape(batch.data, [B, T, this.config.inputWidth]), [1, 0, 2]);
      const m = tf.reshape(tf.transpose(tf.reshape(batch.stepMask, [B, T])), [T, B, 1]) as tf.Tensor3D;
      // Which times have no padded row: read once, so the fused path skips masking ops there.
      const mk = fused ? m.dataSync() : new Float32Array(0);
      const full = fused ? Array.from({ length: T }, (_, t) => mk.subarray(t * B, (t + 1) * B).every((v) => v === 1)) : [];
      for (const L of this.layers) {
        const w = { wIn: L.wIn, bIn: L.bIn, wFw: L.wRecFw, wBw: L.wRecBw, bFw: L.bRecFw, bBw: L.bRecBw };
        x = fused ? fusedBiGruLayer(x, w, m, full) : this.recurReference(x, L, m); // [T, B, 2H], natural time
      }
      // Both directions' states after reading the whole sequence: forward at T-1, backward at 0.
      const last = [tf.slice(x, [T - 1, 0, 0], [1, B, H]), tf.slice(x, [0, 0, H], [1, B, H])];
      const seqOut = tf.reshape(tf.concat(last, 2), [P, M, 2 * H]);
      const w = tf.reshape(batch.seqMask, [P, M, 1]);
      const n = tf.sum(batch.seqMask, 1, true); // [P, 1]
      const mean = tf.div(tf.sum(tf.mul(seqOut, w), 1), tf.maximum(n, 1)); // [P, 2H]
      const hidden = tf.relu(tf.add(tf.matMul(mean, this.fc1.w), this.fc1.b));
      const out = tf.add(tf.matMul(hidden, this.fc2.w), this.fc2.b);
      // A pair with no sequence: exactly zero (the biases would otherwise leak through).
      return tf.mul(out, tf.cast(tf.greater(n, 0), "float32")) as tf.Tensor2D;
    });
  }

  /**
   * The taped reference recurrence: state [2B, H], rows 0..B-1 the forward direction,
   * B..2B-1 the backward one in reversed time, so the gates of both directions are one
   * set of element-wise ops. Same contract as `fusedBiGruLayer`.
   */
  private recurReference(x: tf.Tensor3D, L: Layer, m: tf.Tensor3D): tf.Tensor3D {
    const [T, B, inDim] = x.shape;
    const H = this.config.hidden;
    // One matMul for every time step and both directions: [T*B, 6H], forward 3H then backward 3H.
    const gx = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [T * B, inDim]), L.wIn), L.bIn), [T, B, 6 * H]);
    const [fwX, bwX] = tf.split(gx, 2, 2); // [T, B, 3H] each
    const xs = unstackSteps(tf.concat([fwX, tf.reverse(bwX, 0)], 1)) as tf.Tensor2D[];
    const masks = unstackSteps(tf.concat([m, tf.reverse(m, 0)], 1)) as tf.Tensor2D[];
    const bRec = tf.concat([tf.tile(tf.reshape(L.bRecFw, [1, 3 * H]), [B, 1]), tf.tile(tf.reshape(L.bRecBw, [1, 3 * H]), [B, 1])], 0);
    let h: tf.Tensor2D = tf.zeros([2 * B, H]);
    const outs: tf.Tensor2D[] = [];
    for (let s = 0; s < T; s++) {
      h = this.cell(xs[s], h, L, bRec, masks[s]);
      outs.push(h);
    }
    const [fw, bw] = tf.split(tf.stack(outs), 2, 1); // [T, B, H] each
    return tf.concat([fw, tf.reverse(bw, 0)], 2) as tf.Tensor3D;
  }

  /**
   * One GRU step for both directions. `gx` holds x W_in + b_in ([2B, 3H]). Two 2-D
   * matMuls, not one batched [2, B, H] x [2, H, 3H]: on WebAssembly the batched kernel
   * runs ~15x slower than two plain ones (measured).
   */
  private cell(gx: tf.Tensor2D, h: tf.Tensor2D, L: Layer, bRec: tf.Tensor, mask: tf.Tensor2D): tf.Tensor2D {
    const H = this.config.hidden;
    const [hf, hb] = tf.split(h, 2, 0);
    const gh = tf.add(tf.concat([tf.matMul(hf, L.wRecFw), tf.matMul(hb, L.wRecBw)], 0), bRec); // [2B, 3H]
    const [gxRz, gxN] = tf.split(gx, [2 * H, H], 1);
    const [ghRz, ghN] = tf.split(gh, [2 * H, H], 1);
    const [r, z] = tf.split(tf.sigmoid(tf.add(gxRz, ghRz)), 2, 1);
    const n = tf.tanh(tf.add(gxN, tf.mul(r, ghN)));
    const hNew = tf.add(n, tf.mul(z, tf.sub(h, n))); // (1 - z) n + z h
    return tf.add(h, tf.mul(mask, tf.sub(hNew, h)));
  }

  /**
   * The same function computed the slow, obvious way: each sequence on its own, each
   * direction on its own, one step at a time on [1, width] rows. For tests (it must
   * equal `encode`) and for the benchmark's comparison only.
   */
  encodeNaive(batch: ContextBatch): tf.Tensor2D {
    const [P, M] = this.checkBatch(batch, this.config.inputWidth);
    const H = this.config.hidden;
    return tf.tidy(() => {
      const data = batch.data.arraySync();
      const stepMask = batch.stepMask.arraySync();
      const seqMask = batch.seqMask.arraySync();
      const rows: tf.Tensor[] = [];
      for (let p = 0; p < P; p++) {
        const seqOuts: tf.Tensor[] = [];
        for (let mi = 0; mi < M; mi++) {
          if (!seqMask[p][mi]) continue;
          const len = stepMask[p][mi].reduce((a, b) => a + b, 0);
          let inputs: tf.Tensor[] = data[p][mi].slice(0, len).map((r) => tf.tensor2d([r]));
          let finals: tf.Tensor[] = [];
          for (const L of this.layers) {
            const dirOut: tf.Tensor[][] = [[], []];
            finals = [];
            for (let d = 0; d < 2; d++) {
              const wIn = tf.slice(L.wIn, [0, d * 3 * H], [-1, 3 * H]);
              const bIn = tf.slice(L.bIn, [d * 3 * H], [3 * H]);
              const wRec = d === 0 ? L.wRecFw : L.wRecBw;
              const bRec = d === 0 ? L.bRecFw : L.bRecBw;
              let h: tf.Tensor = tf.zeros([1, H]);
              const order = d === 0 ? [...inputs.keys()] : [...inputs.keys()].reverse();
              for (const t of order) {
                const gx = tf.add(tf.matMul(inputs[t], wIn), bIn);
                const gh = tf.add(tf.matMul(h, wRec), bRec);
                const r = tf.sigmoid(tf.add(tf.slice(gx, [0, 0], [1, H]), tf.slice(gh, [0, 0], [1, H])));
                const z = tf.sigmoid(tf.add(tf.slice(gx, [0, H], [1, H]), tf.slice(gh, [0, H], [1, H])));
                const n = tf.tanh(tf.add(tf.slice(gx, [0, 2 * H], [1, H]), tf.mul(r, tf.slice(gh, [0, 2 * H], [1, H]))));
                h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
                dirOut[d][t] = h;
              }
              finals.push(h);
            }
            inputs = inputs.map((_, t) => tf.concat([dirOut[0][t], dirOut[1][t]], 1));
          }
          seqOuts.push(finals.length ? tf.concat(finals, 1) : tf.zeros([1, 2 * H]));
        }
        if (seqOuts.length === 0) {
          rows.push(tf.zeros([1, this.config.embeddingDim]));
          continue;
        }
        const mean = tf.div(tf.addN(seqOuts), seqOuts.length);
        const hidden = tf.relu(tf.add(tf.matMul(mean, this.fc1.w), this.fc1.b));
        rows.push(tf.add(tf.matMul(hidden, this.fc2.w), this.fc2.b));
      }
      return tf.concat(rows, 0) as tf.Tensor2D;
    });
  }
}
