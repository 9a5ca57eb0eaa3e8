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
import type { HeapTensor, WasmKernels } from "./wasm-kernels.js";

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

/** Per step s, the mask of the [2B] rows (forward time s, backward time T-1-s), or null when every row is real. */
type StepMasks = (Float32Array | null)[];

/** What one layer's forward pass keeps for its backward pass. */
interface LayerState {
  /** The layer input, natural [T, B, inDim]. */
  x: Float32Array;
  inDim: number;
  /** Per step s at [s]: the state after the step [2B, H]; the gates [2B, 2H] (r then z); the candidate n and h W_hn + b_hn [2B, H]. */
  hs: Float32Array[];
  rz: Float32Array[];
  n: Float32Array[];
  ghN: Float32Array[];
  /** Every state, natural [T, B, 2H]: the next layer's input. */
  out: Float32Array;
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

/** Per-step row masks from the batch's step mask [B, T] (see `StepMasks`). */
function stepMasks(stepMask: Float32Array, B: number, T: number): StepMasks {
  const full = Array.from({ length: T }, (_, t) => {
    for (let b = 0; b < B; b++) if (stepMask[b * T + t] !== 1) return false;
    return true;
  });
  return full.map((ok, s) => {
    if (ok && full[T - 1 - s]) return null;
    const m = new Float32Array(2 * B);
    for (let b = 0; b < B; b++) {
      m[b] = stepMask[b * T + s];
      m[B + b] = stepMask[b * T + (T - 1 - s)];
    }
    return m;
  });
}

/** Scratch heap tensors of one layer's recurrence: the two directions' states and products, the gates' inputs and outputs. */
function recurrenceScratch(k: WasmKernels, B: number, H: number) {
  return {
    hF: k.scratch(B * H),
    hB: k.scratch(B * H),
    ghF: k.scratch(B * 3 * H),
    ghB: k.scratch(B * 3 * H),
    rzIn: k.scratch(2 * B * 2 * H),
    rzOut: k.scratch(2 * B * 2 * H),
    nIn: k.scratch(2 * B * H),
    nOut: k.scratch(2 * B * H),
  };
}

/**
 * A natural [T, B, 2 width] array in step layout: per step s, [2B, width] rows, the forward
 * half at time s over the backward half at time T-1-s; plus `bias` [2 width] (halves alike), if given.
 */
function stepLayout(x: Float32Array, T: number, B: number, width: number, bias?: Float32Array): Float32Array[] {
  const out = blocks(T, 2 * B * width);
  const W2 = 2 * width;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const src = (t * B + b) * W2;
      const [fw, fo] = [out[t], b * width];
      const [bw, bo] = [out[T - 1 - t], (B + b) * width];
      if (bias) {
        for (let j = 0; j < width; j++) fw[fo + j] = x[src + j] + bias[j];
        for (let j = 0; j < width; j++) bw[bo + j] = x[src + width + j] + bias[width + j];
      } else {
        fw.set(x.subarray(src, src + width), fo);
        bw.set(x.subarray(src + width, src + W2), bo);
      }
    }
  }
  return out;
}

/**
 * One recurrence step forward from state `h` [2B, H]: writes the new state, the gates and
 * h W_hn + b_hn of step s into `st`. `xs` is the step's x W_in + b_in [2B, 3H], `bRec` the
 * recurrent bias per row [2B, 3H], `gh` scratch [2B, 3H]. Stores into Float32Arrays round
 * to float32 as Math.fround does: only the inner operations need an explicit one.
 */
function stepForward(
  k: WasmKernels,
  sc: ReturnType<typeof recurrenceScratch>,
  w: { fw: number; bw: number; bRec: Float32Array; gh: Float32Array },
  d: Dims,
  xs: Float32Array,
  s: number,
  h: Float32Array,
  mask: Float32Array | null,
  st: LayerState,
): void {
  const { B, H } = d;
  const [H2, H3, S] = [2 * H, 3 * H, 2 * B];
  k.view(sc.hF).set(h.subarray(0, B * H));
  k.view(sc.hB).set(h.subarray(B * H));
  k.matMul(sc.hF.id, [B, H], w.fw, [H, H3], false, false, sc.ghF.id);
  k.matMul(sc.hB.id, [B, H], w.bw, [H, H3], false, false, sc.ghB.id);
  // gh = h W_rec + b_rec; the gates r, z read x W_in + b_in + gh.
  const { gh, bRec } = w;
  const [gF, gB, rzIn] = [k.view(sc.ghF), k.view(sc.ghB), k.view(sc.rzIn)];
  const half = B * H3;
  for (let i = 0; i < half; i++) gh[i] = gF[i] + bRec[i];
  for (let i = 0; i < half; i++) gh[half + i] = gB[i] + bRec[half + i];
  const ghN = st.ghN[s];
  for (let r = 0; r < S; r++) {
    const [o, ro, no] = [r * H3, r * H2, r * H];
    for (let j = 0; j < H2; j++) rzIn[ro + j] = xs[o + j] + gh[o + j];
    for (let j = 0; j < H; j++) ghN[no + j] = gh[o + H2 + j];
  }
  k.sigmoid(sc.rzIn.id, sc.rzOut.id);
  const rz = st.rz[s];
  rz.set(k.view(sc.rzOut));
  const nIn = k.view(sc.nIn);
  for (let r = 0; r < S; r++) {
    const [o, ro, no] = [r * H3 + H2, r * H2, r * H];
    for (let j = 0; j < H; j++) nIn[no + j] = xs[o + j] + f(rz[ro + j] * ghN[no + j]);
  }
  k.tanh(sc.nIn.id, sc.nOut.id);
  const n = st.n[s];
  n.set(k.view(sc.nOut));
  const next = st.hs[s];
  for (let r = 0; r < S; r++) {
    const [no, zo] = [r * H, r * H2 + H];
    if (mask) {
      const m = mask[r];
      for (let j = 0; j < H; j++) {
        const i = no + j;
        const hNew = f(n[i] + f(rz[zo + j] * f(h[i] - n[i])));
        next[i] = h[i] + f(m * f(hNew - h[i]));
      }
    } else {
      for (let j = 0; j < H; j++) next[no + j] = n[no + j] + f(rz[zo + j] * f(h[no + j] - n[no + j]));
    }
  }
}

/** Per-step [2B, width] arrays into one natural [T, B, 2 width] array (forward rows at time t, backward rows at time T-1-t). */
function naturalOf(steps: Float32Array[], B: number, width: number): Float32Array {
  const T = steps.length;
  const W2 = 2 * width;
  const out = new Float32Array(T * B * W2);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      out.set(steps[t].subarray(b * width, (b + 1) * width), (t * B + b) * W2);
      out.set(steps[T - 1 - t].subarray((B + b) * width, (B + b + 1) * width), (t * B + b) * W2 + width);
    }
  }
  return out;
}

/** `count` arrays of `size` values, views of one allocation. */
function blocks(count: number, size: number): Float32Array[] {
  const all = new Float32Array(count * size);
  return Array.from({ length: count }, (_, i) => all.subarray(i * size, (i + 1) * size));
}

/** One bidirectional layer forward: projection x W_in + b_in for every step, then the recurrence. */
function layerForward(k: WasmKernels, d: Dims, x: Float32Array, inDim: number, w: BiGruKernelWeights["layers"][number], masks: StepMasks): LayerState {
  const { T, B, H } = d;
  const [H6, S] = [6 * H, 2 * B];
  const proj = matMul(k, x, [T * B, inDim], { id: k.idOf(w.wIn) }, [inDim, H6]);
  const xs = stepLayout(proj, T, B, 3 * H, k.view(w.bIn).slice());
  const bRec = new Float32Array(S * 3 * H);
  const [bFw, bBw] = [k.view(w.bFw).slice(), k.view(w.bBw).slice()];
  for (let r = 0; r < S; r++) bRec.set(r < B ? bFw : bBw, r * 3 * H);
  const ws = { fw: k.idOf(w.wFw), bw: k.idOf(w.wBw), bRec, gh: new Float32Array(S * 3 * H) };
  const st: LayerState = { x, inDim, hs: blocks(T, S * H), rz: blocks(T, S * 2 * H), n: blocks(T, S * H), ghN: blocks(T, S * H), out: new Float32Array(0) };
  const sc = recurrenceScratch(k, B, H);
  try {
    const zero = new Float32Array(S * H);
    for (let s = 0; s < T; s++) stepForward(k, sc, ws, d, xs[s], s, s > 0 ? st.hs[s - 1] : zero, masks[s], st);
  } finally {
    k.release(...Object.values(sc));
  }
  st.out = naturalOf(st.hs, B, H);
  return st;
}

/** The head forward: per-sequence output, the average over each pair's real sequences, Dense-ReLU-Dense, zero for a pair without any. */
function headForward(k: WasmKernels, d: Dims, top: Float32Array, seqMask: Float32Array, fc: BiGruKernelWeights): { out: Float32Array; st: HeadState } {
  const { P, M, T, B, H, F, D } = d;
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
        // Forward direction after the last step, backward direction after step 0.
        const v = j < H ? top[((T - 1) * B + b) * H2 + j] : top[b * H2 + j];
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
 * One recurrence step backward from dh (d loss / d state after step s, [2B, H]): writes the
 * step's input-projection and recurrent-product gradients [2B, 3H] into `out.dgx` and
 * `out.dgh`, and d loss / d state before the step into `out.dhPrev`.
 */
function stepBackward(
  k: WasmKernels,
  sc: { dF: HeapTensor; dB: HeapTensor; tF: HeapTensor; tB: HeapTensor },
  wT: { fw: HeapTensor; bw: HeapTensor },
  d: { B: number; H: number },
  st: LayerState,
  s: number,
  dh: Float32Array,
  mask: Float32Array | null,
  out: { dgx: Float32Array; dgh: Float32Array; dhPrev: Float32Array; direct: Float32Array },
): void {
  const { B, H } = d;
  const [H2, H3, S] = [2 * H, 3 * H, 2 * B];
  const [rz, n, ghN] = [st.rz[s], st.n[s], st.ghN[s]];
  const hPrev = s > 0 ? st.hs[s - 1] : undefined;
  const { dgx, dgh, direct } = out;
  for (let r = 0; r < S; r++) {
    const m = mask ? mask[r] : 1;
    for (let j = 0; j < H; j++) {
      const i = r * H + j;
      const dhNew = mask ? f(dh[i] * m) : dh[i];
      const z = rz[r * H2 + H + j];
      const rr = rz[r * H2 + j];
      const dhNewZ = f(dhNew * z);
      const dn = f(dhNew - dhNewZ); // dhNew (1 - z)
      const dz = f(dhNew * f((hPrev ? hPrev[i] : 0) - n[i]));
      const daN = f(dn - f(f(dn * n[i]) * n[i])); // dn (1 - n^2)
      const daR = f(f(daN * ghN[i]) * f(rr - f(rr * rr))); // sigmoid' = s (1 - s)
      const daZ = f(dz * f(z - f(z * z)));
      dgx[r * H3 + j] = dgh[r * H3 + j] = daR;
      dgx[r * H3 + H + j] = dgh[r * H3 + H + j] = daZ;
      dgx[r * H3 + H2 + j] = daN;
      dgh[r * H3 + H2 + j] = f(daN * rr);
      // A masked step passes dh straight to the previous state: dh (1 - m) + dhNew z.
      direct[i] = mask ? f(f(dh[i] - dhNew) + dhNewZ) : dhNewZ;
    }
  }
  k.view(sc.dF).set(dgh.subarray(0, B * H3));
  k.view(sc.dB).set(dgh.subarray(B * H3));
  k.matMul(sc.dF.id, [B, H3], wT.fw.id, [H3, H], false, false, sc.tF.id);
  k.matMul(sc.dB.id, [B, H3], wT.bw.id, [H3, H], false, false, sc.tB.id);
  const [tF, tB] = [k.view(sc.tF), k.view(sc.tB)];
  const { dhPrev } = out;
  for (let i = 0; i < B * H; i++) {
    dhPrev[i] = f(direct[i] + tF[i]);
    dhPrev[B * H + i] = f(direct[B * H + i] + tB[i]);
  }
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
  const gT = k.scratch(n * K);
  const xh = k.from([K, m], x);
  const out = k.scratch(n * m);
  try {
    const v = k.view(gT);
    for (let i = 0; i < K; i++) for (let j = 0; j < n; j++) v[j * K + i] = g[i * n + j];
    k.matMul(gT.id, [n, K], xh.id, [K, m], false, false, out.id);
    const dW = transpose(k.view(out).subarray(0, n * m), n, m);
    k.matMul(gT.id, [n, K], k.ones(K).id, [K, 1], false, false, out.id);
    return [dW, k.view(out).slice(0, n)];
  } finally {
    k.free(xh);
    k.release(gT, out);
  }
}

/** A recurrent kernel's and bias's gradients of direction `dir` from every step's dgh: one product over all steps each. */
function recurrentGrads(k: WasmKernels, st: LayerState, dgh: Float32Array[], dir: number, B: number, H: number): [Float32Array, Float32Array] {
  const T = dgh.length;
  const H3 = 3 * H;
  const hd = new Float32Array(T * B * H); // the previous state of every step (zero before step 0)
  const gd = new Float32Array(T * B * H3);
  for (let s = 0; s < T; s++) {
    if (s > 0) hd.set(st.hs[s - 1].subarray(dir * B * H, (dir + 1) * B * H), s * B * H);
    gd.set(dgh[s].subarray(dir * B * H3, (dir + 1) * B * H3), s * B * H3);
  }
  return weightGrads(k, hd, H, gd, H3);
}

/** One layer backward from dy (natural [T, B, 2H]): its six weights' gradients and, when asked, its input's. */
function layerBackward(
  k: WasmKernels,
  d: Dims,
  st: LayerState,
  dy: Float32Array,
  w: BiGruKernelWeights["layers"][number],
  masks: StepMasks,
  inputGrad: boolean,
): { dx: Float32Array | undefined; grads: Float32Array[] } {
  const { T, B, H } = d;
  const [H3, H6, S] = [3 * H, 6 * H, 2 * B];
  // The recurrent kernels transposed [3H, H]: fresh tensors (second operands).
  const wT = { fw: k.from([H3, H], transpose(k.view(w.wFw), H, H3)), bw: k.from([H3, H], transpose(k.view(w.wBw), H, H3)) };
  const sc = { dF: k.scratch(B * H3), dB: k.scratch(B * H3), tF: k.scratch(B * H), tB: k.scratch(B * H) };
  const dgx = blocks(T, S * H3);
  const dgh = blocks(T, S * H3);
  const tmp = { dh: new Float32Array(S * H), dhPrev: new Float32Array(S * H), direct: new Float32Array(S * H) };
  try {
    const dyS = stepLayout(dy, T, B, H);
    for (let s = T - 1; s >= 0; s--) {
      // dh: the output's gradient at step s, plus what step s + 1 passed back.
      const dh = s < T - 1 ? tmp.dh : dyS[s];
      if (s < T - 1) for (let i = 0; i < S * H; i++) dh[i] = dyS[s][i] + tmp.dhPrev[i];
      stepBackward(k, sc, wT, d, st, s, dh, masks[s], { dgx: dgx[s], dgh: dgh[s], dhPrev: tmp.dhPrev, direct: tmp.direct });
    }
  } finally {
    k.free(wT.fw, wT.bw);
    k.release(...Object.values(sc));
  }
  const [dWfw, dbFw] = recurrentGrads(k, st, dgh, 0, B, H);
  const [dWbw, dbBw] = recurrentGrads(k, st, dgh, 1, B, H);
  const g = naturalOf(dgx, B, H3);
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

/**
 * The embeddings [P, embeddingDim] of `batch`: one op, differentiable with respect to every
 * weight in `w` (the same values and gradients as `BiGruEncoder`'s TF.js formulation).
 * Call inside `tf.tidy` or a gradient tape, as `SequenceEncoder.encode`.
 */
export function encodeWithKernels(k: WasmKernels, batch: ContextBatch, w: BiGruKernelWeights, sizes: BiGruKernelSizes): tf.Tensor2D {
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
      layers.push(layerForward(k, d, x, l === 0 ? W : 2 * d.H, L, masks));
      x = layers[l].out;
    }
    const head = headForward(k, d, x, seqMask, w);
    const value = k.toTensor(k.from([P, d.D], head.out), [P, d.D]);
    void args;
    const gradFunc = (dy: tf.Tensor | tf.Tensor[]) => {
      if (vars.some((v, i) => v.dataId !== dataIds[i])) throw new Error("encodeWithKernels: a weight changed between the forward and the backward pass");
      const hb = headBackward(k, d, head.st, k.view(dy as tf.Tensor).slice(), w);
      const grads: Float32Array[][] = [];
      let dx = hb.dTop;
      for (let l = w.layers.length - 1; l >= 0; l--) {
        const r = layerBackward(k, d, layers[l], dx, w.layers[l], masks, l > 0);
        grads.unshift(r.grads);
        dx = r.dx as Float32Array;
      }
      return [...grads.flat(), ...hb.grads].map((g, i) => k.toTensor(k.from(vars[i].shape, g), vars[i].shape));
    };
    return { value, gradFunc };
  });
  return op(...vars) as tf.Tensor2D;
}
