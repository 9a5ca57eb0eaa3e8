/**
 * One bidirectional GRU layer (input projection and recurrence) as a single custom-gradient op, the way cuDNN
 * and PyTorch run it: the forward pass runs the time steps off the gradient tape and keeps
 * only the gate activations; the backward pass propagates through time with one
 * [B, 3H] x [3H, H] matMul per direction and step plus a few element-wise ops, then forms
 * each recurrent kernel's gradient as ONE matMul over all steps ([H, B·T] x [B·T, 3H]).
 *
 * Why: recorded by the tape, every one of the ~17 ops of a step keeps its inputs alive
 * until the backward pass and gets its own gradient kernels (two transposed matMuls per
 * step for the weights alone). For the paper's encoder that made forward + backward ~6x
 * the forward, and 256 sequences exhausted the WebAssembly heap.
 *
 * Inputs and outputs are time-major in natural time ([T, B, ...]). Inside, step s holds
 * both directions as one state [2B, H]: rows 0..B-1 the forward direction at time s,
 * B..2B-1 the backward one at time T-1-s, so their gates are one set of element-wise
 * ops. Gate order r, z, n, reset-after cell as `gru.ts`. The forward pass computes the
 * reference cell's expressions in the same order; the gradients' summation order differs
 * (tests: outputs and gradients equal to 1e-5 relative). Memory: every step runs in its
 * own scope, so only the state and r, z, n, h W_hn + b_hn of each step outlive it.
 */
import * as tf from "@tensorflow/tfjs";

/** A direction's recurrent kernel [H, 3H] and bias [3H]. */
export interface RecurrentWeights {
  wFw: tf.Tensor;
  wBw: tf.Tensor;
  bFw: tf.Tensor;
  bBw: tf.Tensor;
}

/** Per step: the step's mask [2B, 1], or null when every row of the step is real (no masking ops). */
type StepMasks = (tf.Tensor2D | null)[];

/** Rows `from`..`from + n` of a 2-D tensor. */
function rows(x: tf.Tensor2D, from: number, n: number): tf.Tensor2D {
  return tf.slice(x, [from, 0], [n, x.shape[1]]);
}

/** Columns `from`..`from + n` of a 2-D tensor. */
function cols(x: tf.Tensor2D, from: number, n: number): tf.Tensor2D {
  return tf.slice(x, [0, from], [x.shape[0], n]);
}

/** Direction d's half of time t of x [T, B, 2W] as [B, W]. */
function at(x: tf.Tensor3D, d: number, t: number): tf.Tensor2D {
  const [, B, W2] = x.shape;
  return tf.reshape(tf.slice(x, [t, 0, d * (W2 / 2)], [1, B, W2 / 2]), [B, W2 / 2]);
}

/**
 * Step s of x [T, B, 2W] (time-major, forward direction's W columns first) in the
 * recurrence's layout [2B, W]: the forward direction at time s over the backward one at
 * time T - 1 - s.
 */
function stepOf(x: tf.Tensor3D, s: number): tf.Tensor2D {
  const T = x.shape[0];
  return tf.concat([at(x, 0, s), at(x, 1, T - 1 - s)], 0);
}

/** The inverse of `stepOf` over all steps: per-step [2B, W] tensors back to [T, B, 2W] in natural time. */
function naturalOf(steps: tf.Tensor2D[]): tf.Tensor3D {
  const T = steps.length;
  const B = steps[0].shape[0] / 2;
  return tf.stack(steps.map((h, t) => tf.concat([rows(h, 0, B), rows(steps[T - 1 - t], B, B)], 1))) as tf.Tensor3D;
}

/** Per-step masks from m [T, B, 1], null on steps where both directions' rows are all real. */
function stepMasks(m: tf.Tensor3D, full: boolean[]): StepMasks {
  const T = full.length;
  const one = (t: number) => tf.reshape(tf.slice(m, [t, 0, 0], [1, m.shape[1], 1]), [m.shape[1], 1]);
  return full.map((f, s) => (f && full[T - 1 - s] ? null : (tf.concat([one(s), one(T - 1 - s)], 0) as tf.Tensor2D)));
}

interface Forward {
  /** [T, 2B, H]: the state after every step, in step layout. */
  hs: tf.Tensor3D;
  /** Per step: sigmoid gates [2B, 2H] (r then z), candidate n [2B, H], h W_hn + b_hn [2B, H]. */
  rz: tf.Tensor2D[];
  n: tf.Tensor2D[];
  ghN: tf.Tensor2D[];
}

function forwardSteps(gx: tf.Tensor3D, w: RecurrentWeights, masks: StepMasks): { f: Forward; natural: tf.Tensor3D } {
  const [T, B, H6] = gx.shape;
  const H3 = H6 / 2;
  const H = H3 / 3;
  const bRec = tf.concat([tf.tile(tf.reshape(w.bFw, [1, H3]), [B, 1]), tf.tile(tf.reshape(w.bBw, [1, H3]), [B, 1])], 0);
  let h: tf.Tensor2D = tf.zeros([2 * B, H]);
  const f: Forward = { hs: null as unknown as tf.Tensor3D, rz: [], n: [], ghN: [] };
  const hs: tf.Tensor2D[] = [];
  for (let s = 0; s < T; s++) {
    const hPrev = h;
    // Each step in its own scope: only the state and the three gate tensors the backward pass needs outlive it.
    const kept = tf.tidy(() => {
      const x = stepOf(gx, s);
      const gh: tf.Tensor2D = tf.add(tf.concat([tf.matMul(rows(hPrev, 0, B), w.wFw), tf.matMul(rows(hPrev, B, B), w.wBw)], 0), bRec);
      const ghN = cols(gh, 2 * H, H);
      const rz = tf.sigmoid(tf.add(cols(x, 0, 2 * H), cols(gh, 0, 2 * H))) as tf.Tensor2D;
      const n = tf.tanh(tf.add(cols(x, 2 * H, H), tf.mul(cols(rz, 0, H), ghN))) as tf.Tensor2D;
      const hNew = tf.add(n, tf.mul(cols(rz, H, H), tf.sub(hPrev, n))) as tf.Tensor2D;
      const m = masks[s];
      return [m ? tf.add(hPrev, tf.mul(m, tf.sub(hNew, hPrev))) : hNew, rz, n, ghN] as tf.Tensor2D[];
    });
    [h] = kept;
    hs.push(h);
    f.rz.push(kept[1]);
    f.n.push(kept[2]);
    f.ghN.push(kept[3]);
  }
  f.hs = tf.stack(hs) as tf.Tensor3D;
  const natural = tf.tidy(() => naturalOf(hs));
  tf.dispose(hs); // their copies live on in f.hs and `natural`
  return { f, natural };
}

interface StepGrad {
  /** d loss / d (x W_in + b_in) of the step [2B, 3H]. */
  dgx: tf.Tensor2D;
  /** d loss / d (h W_rec + b_rec) of the step [2B, 3H]. */
  dgh: tf.Tensor2D;
  /** d loss / d h of the previous step [2B, H]. */
  dhPrev: tf.Tensor2D;
}

/** One step back through the cell; `wT` the transposed kernels [3H, H]. */
function backwardStep(dh: tf.Tensor2D, hPrev: tf.Tensor2D, f: Forward, s: number, m: tf.Tensor2D | null, wTFw: tf.Tensor2D, wTBw: tf.Tensor2D): StepGrad {
  const rz = f.rz[s];
  const n = f.n[s];
  const [B2, H] = n.shape;
  const B = B2 / 2;
  const dhNew = m ? tf.mul(dh, m) : dh;
  const dhNewZ = tf.mul(dhNew, cols(rz, H, H));
  const dn = tf.sub(dhNew, dhNewZ); // dhNew (1 - z)
  const dz = tf.mul(dhNew, tf.sub(hPrev, n));
  const daN = tf.sub(dn, tf.mul(tf.mul(dn, n), n)); // dn (1 - n^2)
  const dr = tf.mul(daN, f.ghN[s]);
  const daRz = tf.mul(tf.concat([dr, dz], 1), tf.sub(rz, tf.square(rz))); // sigmoid' = s (1 - s)
  const dgx = tf.concat([daRz, daN], 1) as tf.Tensor2D;
  const dgh = tf.concat([daRz, tf.mul(daN, cols(rz, 0, H))], 1) as tf.Tensor2D;
  const through = tf.concat([tf.matMul(rows(dgh, 0, B), wTFw), tf.matMul(rows(dgh, B, B), wTBw)], 0);
  // A masked step passes dh straight to the previous state: dh (1 - m) + dhNew z.
  const direct = m ? tf.add(tf.sub(dh, dhNew), dhNewZ) : dhNewZ;
  return { dgx, dgh, dhPrev: tf.add(direct, through) as tf.Tensor2D };
}

/** Gradients of the recurrent kernels and biases from all steps at once. */
function weightGrads(hs: tf.Tensor3D, dgh: tf.Tensor2D[]): tf.Tensor[] {
  const [T, B2, H] = hs.shape;
  const B = B2 / 2;
  const out: tf.Tensor[] = [];
  for (let d = 0; d < 2; d++) {
    // One direction at a time in its own scope, gathered straight from the per-step
    // tensors (no [T, 2B, 3H] stack): the 8-pair training step stays under 2 GB.
    out.push(
      ...tf.tidy(() => {
        const hd = tf.concat([tf.zeros([B, H]), tf.reshape(tf.slice(hs, [0, d * B, 0], [T - 1, B, H]), [(T - 1) * B, H])], 0);
        const gd = tf.concat(
          dgh.map((g) => rows(g, d * B, B)),
          0,
        ); // [T*B, 3H]
        // An explicit transpose and a plain matMul: the wasm matMul with a transposed operand is several times slower.
        // Bias: a ones-row product, not tf.sum over axis 0 (a slow reduction on wasm).
        return [tf.matMul(tf.transpose(hd), gd), tf.reshape(tf.matMul(tf.ones([1, T * B]), gd), [3 * H])];
      }),
    );
  }
  return [out[0], out[2], out[1], out[3]]; // wFw, wBw, bFw, bBw
}

function backward(dy: tf.Tensor3D, f: Forward, w: RecurrentWeights, masks: StepMasks): { dgx: tf.Tensor3D; dW: tf.Tensor[] } {
  const [T, B2, H] = f.hs.shape;
  const wTFw = tf.transpose(w.wFw) as tf.Tensor2D;
  const wTBw = tf.transpose(w.wBw) as tf.Tensor2D;
  const zero = tf.zeros([B2, H]) as tf.Tensor2D;
  const dgx: tf.Tensor2D[] = new Array(T);
  const dgh: tf.Tensor2D[] = new Array(T);
  let carry: tf.Tensor2D | null = null;
  for (let s = T - 1; s >= 0; s--) {
    const prev = carry;
    // Each step in its own scope: only its two gate gradients and the carried dh outlive it.
    const g = tf.tidy(() => {
      const dyStep = stepOf(dy, s);
      const dh = prev ? (tf.add(dyStep, prev) as tf.Tensor2D) : dyStep;
      const hPrev = s > 0 ? (tf.reshape(tf.slice(f.hs, [s - 1, 0, 0], [1, B2, H]), [B2, H]) as tf.Tensor2D) : zero;
      const r = backwardStep(dh, hPrev, f, s, masks[s], wTFw, wTBw);
      return [r.dgx, r.dgh, r.dhPrev];
    });
    prev?.dispose();
    [dgx[s], dgh[s], carry] = g as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  }
  carry?.dispose();
  const dW = weightGrads(f.hs, dgh);
  tf.dispose(dgh);
  const natural = tf.tidy(() => naturalOf(dgx));
  tf.dispose(dgx);
  return { dgx: natural, dW };
}

/** A layer's weights: input kernel [inDim, 6H] and bias [6H] (forward 3H then backward 3H), and the recurrent ones. */
export interface LayerWeights extends RecurrentWeights {
  wIn: tf.Tensor;
  bIn: tf.Tensor;
}

/** Gradients of the layer input, input kernel and bias from dgx [T, B, 6H]: plain matMuls of explicit transposes. */
function inputGrads(dgx: tf.Tensor3D, x: tf.Tensor3D, wIn: tf.Tensor2D): tf.Tensor[] {
  const [T, B, inDim] = x.shape;
  const g = tf.reshape(dgx, [T * B, dgx.shape[2]]) as tf.Tensor2D;
  const xf = tf.reshape(x, [T * B, inDim]) as tf.Tensor2D;
  // Plain products after explicit transposes (the wasm matMul with a transposed operand runs
  // 10-40x slower on these shapes); the bias as a ones-row product, not an axis-0 reduction.
  const dx = tf.reshape(tf.matMul(g, tf.transpose(wIn)), [T, B, inDim]);
  return [dx, tf.matMul(tf.transpose(xf), g), tf.reshape(tf.matMul(tf.ones([1, T * B]), g), [g.shape[1]])];
}

/**
 * One bidirectional layer: input projection and recurrence. `x` [T, B, inDim] is the
 * layer input, time-major; the projection x W_in + b_in of every time and both directions
 * is one matMul inside the op (so its [T·B, 6H] result is freed after the forward pass);
 * `mask` [T, B, 1] the step masks and `full[t]` whether time t has no padded row (read
 * once by the caller, so full steps skip the masking ops). Returns every state
 * [T, B, 2H] in natural time: columns 0..H-1 the forward state after reading 0..t,
 * H..2H-1 the backward one after reading T-1..t (the next layer's input as it is).
 * Differentiable with respect to `x` and the six weights (not the mask).
 */
export function fusedBiGruLayer(x: tf.Tensor3D, w: LayerWeights, mask: tf.Tensor3D, full: boolean[]): tf.Tensor3D {
  const op = tf.customGrad((xIn, wIn, bIn, wFw, wBw, bFw, bBw, maskIn, save) => {
    const [T, B, inDim] = (xIn as tf.Tensor3D).shape;
    // The same ops as the reference path (matMul, then the bias add): bit-identical projections.
    const gx = tf.reshape(tf.add(tf.matMul(tf.reshape(xIn as tf.Tensor, [T * B, inDim]) as tf.Tensor2D, wIn as tf.Tensor2D), bIn as tf.Tensor), [T, B, -1]);
    const ws = { wFw, wBw, bFw, bBw } as RecurrentWeights;
    const { f, natural } = forwardSteps(gx as tf.Tensor3D, ws, stepMasks(maskIn as tf.Tensor3D, full));
    (save as tf.GradSaveFunc)([f.hs, ...f.rz, ...f.n, ...f.ghN, wFw, wBw, maskIn, xIn, wIn] as tf.Tensor[]);
    return {
      value: natural,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const sf: Forward = {
            hs: saved[0] as tf.Tensor3D,
            rz: saved.slice(1, 1 + T) as tf.Tensor2D[],
            n: saved.slice(1 + T, 1 + 2 * T) as tf.Tensor2D[],
            ghN: saved.slice(1 + 2 * T, 1 + 3 * T) as tf.Tensor2D[],
          };
          const [sw, sb, sm, sx, swIn] = saved.slice(1 + 3 * T);
          const { dgx, dW } = backward(
            dy as tf.Tensor3D,
            sf,
            { wFw: sw, wBw: sb, bFw: bFw as tf.Tensor, bBw: bBw as tf.Tensor },
            stepMasks(sm as tf.Tensor3D, full),
          );
          return [...inputGrads(dgx, sx as tf.Tensor3D, swIn as tf.Tensor2D), ...dW, tf.zerosLike(sm)];
        }),
    };
  });
  return op(x, w.wIn, w.bIn, w.wFw, w.wBw, w.bFw, w.bBw, mask) as tf.Tensor3D;
}
