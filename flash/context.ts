/**
 * Builds the meta learner's padded input (`ContextBatch`) from stored sequences.
 *
 * All padding happens on the JavaScript side into one Float32Array per tensor, so a
 * batch of any number of pairs costs three tensor creations, not one op per sequence.
 */
import * as tf from "@tensorflow/tfjs";
import type { ContextBatch } from "./encoder.js";
import { ShapeError } from "./errors.js";
import type { SequenceRecord } from "./types.js";
import { WasmKernels } from "./wasm-kernels.js";

export interface ContextOptions {
  /** Keep at most this many steps of each sequence (its first ones). */
  maxSteps?: number;
}

/**
 * Pad `perPair` (P pairs, each a list of sequences) to [P, M, T, width], M the largest
 * number of sequences of any pair and T the longest sequence (after `maxSteps`), both at
 * least 1. The caller owns the returned tensors (create them inside `tf.tidy`).
 */
export function buildContextBatch(
  perPair: readonly (readonly Pick<SequenceRecord, "steps" | "width" | "data">[])[],
  width: number,
  opts: ContextOptions = {},
): ContextBatch {
  const cap = opts.maxSteps ?? Infinity;
  if (!(cap >= 1)) throw new ShapeError("maxSteps", "at least 1", String(opts.maxSteps));
  const P = perPair.length;
  if (P === 0) throw new ShapeError("context", "at least one pair", "none");
  let M = 1;
  let T = 1;
  perPair.forEach((seqs, p) => {
    M = Math.max(M, seqs.length);
    seqs.forEach((s, i) => {
      if (s.width !== width) throw new ShapeError(`context of pair ${p}, sequence ${i}`, `row width ${width}`, `width ${s.width}`);
      if (s.data.length !== s.steps * s.width)
        throw new ShapeError(`context of pair ${p}, sequence ${i}`, `${s.steps} x ${s.width} values`, `${s.data.length}`);
      T = Math.max(T, Math.min(s.steps, cap));
    });
  });
  const data = new Float32Array(P * M * T * width);
  const stepMask = new Float32Array(P * M * T);
  const seqMask = new Float32Array(P * M);
  perPair.forEach((seqs, p) => {
    seqs.forEach((s, i) => {
      const steps = Math.min(s.steps, cap);
      const base = (p * M + i) * T;
      data.set(s.data.subarray(0, steps * width), base * width);
      stepMask.fill(1, base, base + steps);
      seqMask[p * M + i] = 1;
    });
  });
  return {
    data: tf.tensor4d(data, [P, M, T, width]),
    stepMask: tf.tensor3d(stepMask, [P, M, T]),
    seqMask: tf.tensor2d(seqMask, [P, M]),
  };
}

/**
 * Rows `rowIdx` of `e` ([P, D] -> [B, D]), differentiable. A one-hot product rather than
 * tf.gather, whose gradient (UnsortedSegmentSum) has no WebAssembly kernel; the one-hot
 * matrix is built in JavaScript because tf.oneHot refuses depth 1 (one distinct pair).
 * Returns `e` itself when the rows are 0..P-1 in order. On the wasm backend the product is
 * one op of direct kernel calls (`selectRowsKernel`), with the same values and gradient.
 */
export function selectRows(e: tf.Tensor2D, rowIdx: readonly number[]): tf.Tensor2D {
  const P = e.shape[0];
  const B = rowIdx.length;
  if (P === B && rowIdx.every((r, i) => r === i)) return e;
  const hot = new Float32Array(B * P);
  rowIdx.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r >= P) throw new ShapeError(`selectRows row ${i}`, `an index in [0, ${P})`, String(r));
    hot[i * P + r] = 1;
  });
  const k = WasmKernels.get();
  if (k && e.dtype === "float32") return selectRowsKernel(k, e, rowIdx, hot);
  return tf.tidy(() => tf.matMul(tf.tensor2d(hot, [B, P]), e) as tf.Tensor2D);
}

/**
 * `selectRows` as one op over the wasm heap. Forward: each row copied (+ 0), which is what the
 * one-hot product gives (every other term is a zero product; 0 + -0 = +0); with a non-finite
 * embedding the product spreads NaN (0 x Inf), so then the op falls back to it. Backward:
 * the gradient the tape computes for the product, hot^T dy, by the same kernel call.
 */
function selectRowsKernel(k: WasmKernels, e: tf.Tensor2D, rowIdx: readonly number[], hot: Float32Array): tf.Tensor2D {
  const [P, D] = e.shape;
  const B = rowIdx.length;
  const ev = k.view(e);
  if (!ev.every(Number.isFinite)) return tf.tidy(() => tf.matMul(tf.tensor2d(hot, [B, P]), e) as tf.Tensor2D);
  const op = tf.customGrad((...args: unknown[]) => {
    const x = args[0] as tf.Tensor;
    const out = k.alloc([B, D]);
    const src = k.view(x);
    const dst = k.view(out);
    rowIdx.forEach((r, i) => {
      for (let j = 0; j < D; j++) dst[i * D + j] = src[r * D + j] + 0;
    });
    return {
      value: k.toTensor(out, [B, D]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const a = k.from([B, P], hot);
        const g = k.alloc([P, D]);
        try {
          k.matMul(a.id, [B, P], k.idOf(dy as tf.Tensor), [B, D], true, false, g.id);
        } finally {
          k.free(a);
        }
        return k.toTensor(g, [P, D]);
      },
    };
  });
  return op(e) as tf.Tensor2D;
}
