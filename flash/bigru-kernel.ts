/**
 * The whole BiGRU encoder (every layer's input projection and recurrence, the average
 * over a pair's sequences, the two-layer head) as ONE custom-gradient op on the wasm
 * backend, its forward and backward passes run as direct kernel calls (wasm-kernels.ts)
 * and JavaScript loops instead of TF.js ops.
 *
 * Why: a small encoder's cost is the number of ops, not arithmetic. The 1x16 BiGRU of the
 * quick experiments over 10 steps is ~300 engine ops forward and ~500 backward (gru-fused.ts
 * plus the head and the tape's gradients), tens of microseconds each; its matrices are a
 * few thousand multiply-adds. Here a forward step is two matMul kernels, one sigmoid and
 * one tanh kernel, and loops over [2B, 3H] values; a backward step two matMul kernels and
 * loops; the engine sees one op.
 *
 * Exactness: bit-identical to `BiGruEncoder.encodeFused` (gru-fused.ts and the head's TF.js
 * ops, with the gradients the tape computes), by construction: every matrix product, sum,
 * sigmoid and tanh is the same compiled kernel on the same operands (matMul's rows are
 * independent, so operands are cut per direction exactly as there), and every element-wise
 * +, -, x, / is a float32 operation in the same order (`Math.fround` after each: a double
 * result of one float32 operation rounded to float32 is the float32 result). The one
 * reduction TF.js runs as a loop (Sum: sequential from 0) is repeated in the same order.
 * test/flash/bigru-kernel.test.ts compares embeddings and every gradient bit for bit.
 *
 * Layout as gru-fused.ts: time-major [T, B, ...] ("natural"), and inside the recurrence
 * step s holds both directions as [2B, ...] rows: forward at time s over backward at time
 * T - 1 - s. Gate order r, z, n; reset-after cell.
 */
import * as tf from "@tensorflow/tfjs";
import type { ContextBatch } from "./encoder.js";
import { recurrenceBackward, recurrenceForward, recurrenceLoops, stepMasks, type RecurrenceState, type StepMasks } from "./bigru-recurrence.js";
import { WasmKernels } from "./wasm-kernels.js";

/** The element-wise loops the recurrence runs (bigru-recurrence.ts). */
type Loops = NonNullable<ReturnType<typeof recurrenceLoops>>;

const f = Math.fround;

/** One layer's weights (as `BiGruEncoder` holds them) and the head's. */
export interface BiGruKernelWeights {
  layers: { wIn: tf.Tensor; bIn: tf.Tensor; wFw: tf.Tensor; wBw: tf.Tensor; bFw: tf.Tensor; bBw: tf.Tensor }[];
  fc1: { w: tf.Tensor; b: tf.Tensor };
  fc2: { w: tf.Tensor; b: tf.Tensor };
}

/** Sizes of one call: P pairs x M sequences (B = P M) x T steps of W values; H hidden, F head units, D embedding. */
interface Dims {
  P: number;
  M: number;
  T: number;
  W: number;
  B: number;
  H: number;
  F: number;
  D: number;
}

/** What one layer's forward pass keeps for its backward pass. */
interface LayerState {
  /** The layer input, natural [T, B, inDim]. */
  x: Float32Array;
  inDim: number;
  rec: RecurrenceState;
}

/** What the head's forward pass keeps. */
interface HeadState {
  seqMask: Float32Array;
  /** max(real sequences, 1) and whether the pair has any, per pair. */
  mx: Float32Array;
  any: Float32Array;
  mean: Float32Array;
  /** The first head layer before and after its ReLU [P, F]. */
  a1: Float32Array;
  hidden: Float32Array;
}

type MatOperand = Float32Array | { id: number };

/**
 * a x b as `tf.matMul(a, b, transposeA, transposeB)` of 2-D operands: JavaScript arrays are
 * copied into heap tensors (the second operand into a fresh one: XNNPACK caches it by id),
 * tensors (`{id}`: variables) are read in place. Returns the [rows, cols] product.
 */
function matMul(k: WasmKernels, a: MatOperand, aShape: [number, number], b: MatOperand, bShape: [number, number], ta = false, tb = false): Float32Array {
  const rows = ta ? aShape[1] : aShape[0];
  const cols = tb ? bShape[0] : bShape[1];
  const ah = a instanceof Float32Array ? k.scratch(a.length) : undefined;
  if (ah) k.view(ah).set(a as Float32Array);
  const bh = b instanceof Float32Array ? k.from(bShape, b) : undefined;
  const out = k.scratch(rows * cols);
  try {
    k.matMul(ah ? ah.id : (a as { id: number }).id, aShape, bh ? bh.id : (b as { id: number }).id, bShape, ta, tb, out.id);
    return k.view(out).slice();
  } finally {
    k.free(bh);
    k.release(out, ...(ah ? [ah] : []));
  }
}

/** The [cols, rows] transpose of a row-major [rows, cols] array (TF.js's transpose: a copy). */
function transpose(x: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/** Column sums of a row-major [rows, cols] array, each summed from 0 over the rows in order (TF.js's Sum kernel over axis 0). */
function columnSums(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    let acc = 0;
    for (let i = 0; i < rows; i++) acc = f(acc + x[i * cols + j]);
    out[j] = acc;
  }
  return out;
}

/**
 * Steps [first, first + T) of a step-layout array (step s: [2B, width] rows, forward at time
 * s over backward at time T-1-s) as one natural [T, B, 2 width] array.
 */
function naturalOf(x: Float32Array, T: number, B: number, width: number, first = 0): Float32Array {
  const W2 = 2 * width;
  const step = 2 * B * width;
  const out = new Float32Array(T * B * W2);
  for (let t = 0; t < T; t++) {
    const [fw, bw] = [(first + t) * step, (first + T - 1 - t) * step];
    for (let b = 0; b < B; b++) {
      out.set(x.subarray(fw + b * width, fw + (b + 1) * width), (t * B + b) * W2);
      out.set(x.subarray(bw + (B + b) * width, bw + (B + b + 1) * width), (t * B + b) * W2 + width);
    }
  }
  return out;
}

/** One bidirectional layer forward: projection x W_in for every step (one product), then the recurrence. */
function layerForward(
  k: WasmKernels,
  loops: Loops,
  d: Dims,
  x: Float32Array,
  inDim: number,
  w: BiGruKernelWeights["layers"][number],
  masks: StepMasks,
): LayerState {
  const { T, B, H } = d;
  const xh = k.scratch(x.length);
  const proj = k.scratch(T * B * 6 * H);
  try {
    k.view(xh).set(x);
    k.matMul(xh.id, [T * B, inDim], k.idOf(w.wIn), [inDim, 6 * H], false, false, proj.id);
    return { x, inDim, rec: recurrenceForward(k, loops, d, k.address(proj), w, masks) };
  } finally {
    k.release(xh, proj);
  }
}

/** The head forward: per-sequence output, the average over each pair's real sequences, Dense-ReLU-Dense, zero for a pair without any. */
function headForward(k: WasmKernels, d: Dims, last: Float32Array, seqMask: Float32Array, fc: BiGruKernelWeights): { out: Float32Array; st: HeadState } {
  const { P, M, B, H, F, D } = d;
  const H2 = 2 * H;
  const mx = new Float32Array(P);
  const any = new Float32Array(P);
  const mean = new Float32Array(P * H2);
  for (let p = 0; p < P; p++) {
    let n = 0;
    for (let m = 0; m < M; m++) n = f(n + seqMask[p * M + m]);
    mx[p] = Math.max(n, 1);
    any[p] = n > 0 ? 1 : 0;
    for (let j = 0; j < H2; j++) {
      let acc = 0;
      for (let m = 0; m < M; m++) {
        const b = p * M + m;
        // The forward direction after time T-1 and the backward one after time 0: both the last step's state.
        const v = j < H ? last[b * H + j] : last[(B + b) * H + j - H];
        acc = f(acc + f(v * seqMask[b]));
      }
      mean[p * H2 + j] = f(acc / mx[p]);
    }
  }
  const a1 = matMul(k, mean, [P, H2], { id: k.idOf(fc.fc1.w) }, [H2, F]);
  const b1 = k.view(fc.fc1.b);
  const hidden = new Float32Array(P * F);
  for (let i = 0; i < a1.length; i++) {
    a1[i] = f(a1[i] + b1[i % F]);
    hidden[i] = a1[i] > 0 ? a1[i] : 0;
  }
  const out = matMul(k, hidden, [P, F], { id: k.idOf(fc.fc2.w) }, [F, D]);
  const b2 = k.view(fc.fc2.b);
  for (let i = 0; i < out.length; i++) out[i] = f(f(out[i] + b2[i % D]) * any[Math.floor(i / D)]);
  return { out, st: { seqMask, mx, any, mean, a1, hidden } };
}

/** The head backward, as the tape differentiates the head's TF.js ops: gradients of fc1, fc2 and of the top layer's output. */
function headBackward(k: WasmKernels, d: Dims, st: HeadState, dy: Float32Array, fc: BiGruKernelWeights): { dTop: Float32Array; grads: Float32Array[] } {
  const { P, M, T, B, H, F, D } = d;
  const H2 = 2 * H;
  const dOut = new Float32Array(P * D);
  for (let i = 0; i < dOut.length; i++) dOut[i] = f(dy[i] * st.any[Math.floor(i / D)]);
  const db2 = columnSums(dOut, P, D);
  const dHidden = matMul(k, dOut, [P, D], { id: k.idOf(fc.fc2.w) }, [F, D], false, true);
  const dW2 = matMul(k, st.hidden, [P, F], dOut, [P, D], true, false);
  const dA1 = new Float32Array(P * F);
  for (let i = 0; i < dA1.length; i++) dA1[i] = f(dHidden[i] * (st.a1[i] > 0 ? 1 : 0));
  const db1 = columnSums(dA1, P, F);
  const dMean = matMul(k, dA1, [P, F], { id: k.idOf(fc.fc1.w) }, [H2, F], false, true);
  const dW1 = matMul(k, st.mean, [P, H2], dA1, [P, F], true, false);
  // The two slices of the top layer's output get their gradients padded with zeros, then added (x + 0).
  const dTop = new Float32Array(T * B * H2);
  for (let p = 0; p < P; p++) {
    for (let m = 0; m < M; m++) {
      const b = p * M + m;
      for (let j = 0; j < H2; j++) {
        const g = f(f(f(dMean[p * H2 + j] / st.mx[p]) * 1) * st.seqMask[b]);
        dTop[(j < H ? (T - 1) * B + b : b) * H2 + j] = g + 0;
      }
    }
  }
  return { dTop, grads: [dW1, db1, dW2, db2] };
}

/**
 * x^T g [m, n] and 1^T g [n] for x [K, m] and g [K, n]: a kernel's and its bias's gradients,
 * which TF.js computes as matMul(transpose(x), g) and matMul(ones([1, K]), g). Here they are
 * g^T x (transposed back) and g^T 1: XNNPACK then packs x and a constant ones column instead
 * of g, the larger operand (packing a new operand is most of such a product's cost). Each dot
 * product is the same sum over k in the same order either way, so the results are
 * bit-identical (as agents/mlp.ts's inputGradient relies on; the tests compare them).
 */
function weightGrads(k: WasmKernels, x: Float32Array, m: number, g: Float32Array, n: number): [Float32Array, Float32Array] {
  const K = g.length / n;
  const [gh, gT, out] = [k.scratch(K * n), k.scratch(n * K), k.scratch(n * m)];
  const xh = k.from([K, m], x);
  try {
    k.view(gh).set(g);
    k.transpose(gh.id, K, n, gT.id);
    k.matMul(gT.id, [n, K], xh.id, [K, m], false, false, out.id);
    const dW = transpose(k.view(out).subarray(0, n * m), n, m);
    k.matMul(gT.id, [n, K], k.ones(K).id, [K, 1], false, false, out.id);
    return [dW, k.view(out).slice(0, n)];
  } finally {
    k.free(xh);
    k.release(gh, gT, out);
  }
}

/** A recurrent kernel's and bias's gradients of direction `dir` from every step's dgh ([T, 2B, 3H]): one product over all steps each. */
function recurrentGrads(k: WasmKernels, st: LayerState, dgh: Float32Array, dir: number, T: number, B: number, H: number): [Float32Array, Float32Array] {
  const H3 = 3 * H;
  const hd = new Float32Array(T * B * H); // the state before every step (zero before step 0)
  const gd = new Float32Array(T * B * H3);
  for (let s = 0; s < T; s++) {
    const [hAt, gAt] = [(s * 2 + dir) * B * H, (s * 2 + dir) * B * H3];
    hd.set(st.rec.hs.subarray(hAt, hAt + B * H), s * B * H);
    gd.set(dgh.subarray(gAt, gAt + B * H3), s * B * H3);
  }
  return weightGrads(k, hd, H, gd, H3);
}

/** One layer backward from dy (natural [T, B, 2H]): its six weights' gradients and, when asked, its input's. */
function layerBackward(
  k: WasmKernels,
  loops: Loops,
  d: Dims,
  st: LayerState,
  dy: Float32Array,
  w: BiGruKernelWeights["layers"][number],
  masks: StepMasks,
  inputGrad: boolean,
): { dx: Float32Array | undefined; grads: Float32Array[] } {
  const { T, B, H } = d;
  const [H3, H6] = [3 * H, 6 * H];
  // The recurrent kernels transposed [3H, H]: fresh tensors (second operands).
  const wT = { wTFw: k.from([H3, H], transpose(k.view(w.wFw), H, H3)), wTBw: k.from([H3, H], transpose(k.view(w.wBw), H, H3)) };
  let back: { dgx: Float32Array; dgh: Float32Array };
  try {
    back = recurrenceBackward(k, loops, d, st.rec, dy, wT, masks);
  } finally {
    k.free(wT.wTFw, wT.wTBw);
  }
  const [dWfw, dbFw] = recurrentGrads(k, st, back.dgh, 0, T, B, H);
  const [dWbw, dbBw] = recurrentGrads(k, st, back.dgh, 1, T, B, H);
  const g = naturalOf(back.dgx, T, B, H3);
  const [dWin, dbIn] = weightGrads(k, st.x, st.inDim, g, H6);
  // The layer input's gradient (not needed for the data under layer 0): g W_in^T, W_in^T a fresh tensor.
  let dx: Float32Array | undefined;
  if (inputGrad) {
    const wInT = k.from([H6, st.inDim], transpose(k.view(w.wIn), st.inDim, H6));
    try {
      dx = matMul(k, g, [T * B, H6], wInT, [H6, st.inDim]);
    } finally {
      k.free(wInT);
    }
  }
  return { dx, grads: [dWin, dbIn, dWfw, dWbw, dbFw, dbBw] };
}

/** The encoder's sizes the op needs. */
export interface BiGruKernelSizes {
  hidden: number;
  fcHidden: number;
  embeddingDim: number;
}

/** The batch's data time-major ([B, T, W] -> natural [T, B, W]), as the encoder's first transpose. */
function timeMajor(data: Float32Array, B: number, T: number, W: number): Float32Array {
  const out = new Float32Array(B * T * W);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(data.subarray((b * T + t) * W, (b * T + t + 1) * W), (t * B + b) * W);
  return out;
}

/** What the op needs of the wasm backend: its kernels and the compiled element-wise loops; undefined elsewhere (use TF.js ops). */
export function bigruKernels(): { k: WasmKernels; loops: Loops } | undefined {
  const k = WasmKernels.get();
  const loops = k && recurrenceLoops(k);
  return k && loops ? { k, loops } : undefined;
}

/**
 * The embeddings [P, embeddingDim] of `batch`: one op, differentiable with respect to every
 * weight in `w` (the same values and gradients as `BiGruEncoder`'s TF.js formulation).
 * Call inside `tf.tidy` or a gradient tape, as `SequenceEncoder.encode`.
 */
export function encodeWithKernels(
  { k, loops }: NonNullable<ReturnType<typeof bigruKernels>>,
  batch: ContextBatch,
  w: BiGruKernelWeights,
  sizes: BiGruKernelSizes,
): tf.Tensor2D {
  const [P, M, T, W] = batch.data.shape;
  const d: Dims = { P, M, T, W, B: P * M, H: sizes.hidden, F: sizes.fcHidden, D: sizes.embeddingDim };
  const x0 = timeMajor(k.view(batch.data), d.B, T, W);
  const masks = stepMasks(k.view(batch.stepMask).slice(), d.B, T);
  const seqMask = k.view(batch.seqMask).slice();
  const vars = [...w.layers.flatMap((L) => [L.wIn, L.bIn, L.wFw, L.wBw, L.bFw, L.bBw]), w.fc1.w, w.fc1.b, w.fc2.w, w.fc2.b];
  const op = tf.customGrad((...args: unknown[]) => {
    // The weights are read in place in both passes: note their data, to refuse a backward pass after one changed.
    const dataIds = vars.map((v) => v.dataId);
    const layers: LayerState[] = [];
    let x = x0;
    for (const [l, L] of w.layers.entries()) {
      layers.push(layerForward(k, loops, d, x, l === 0 ? W : 2 * d.H, L, masks));
      // Every state, natural [T, B, 2H]: the next layer's input (the head reads the last step's only).
      if (l < w.layers.length - 1) x = naturalOf(layers[l].rec.hs, T, d.B, d.H, 1);
    }
    const last = layers[layers.length - 1].rec.hs;
    const head = headForward(k, d, last.subarray(T * 2 * d.B * d.H), seqMask, w);
    const value = k.toTensor(k.from([P, d.D], head.out), [P, d.D]);
    void args;
    const gradFunc = (dy: tf.Tensor | tf.Tensor[]) => {
      if (vars.some((v, i) => v.dataId !== dataIds[i])) throw new Error("encodeWithKernels: a weight changed between the forward and the backward pass");
      const hb = headBackward(k, d, head.st, k.view(dy as tf.Tensor).slice(), w);
      const grads: Float32Array[][] = [];
      let dx = hb.dTop;
      for (let l = w.layers.length - 1; l >= 0; l--) {
        const r = layerBackward(k, loops, d, layers[l], dx, w.layers[l], masks, l > 0);
        grads.unshift(r.grads);
        dx = r.dx as Float32Array;
      }
      return [...grads.flat(), ...hb.grads].map((g, i) => k.toTensor(k.from(vars[i].shape, g), vars[i].shape));
    };
    return { value, gradFunc };
  });
  return op(...vars) as tf.Tensor2D;
}
