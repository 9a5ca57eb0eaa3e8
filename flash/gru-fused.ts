/**
 * One bidirectional GRU layer's recurrence as a single custom-gradient op, the way cuDNN
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
 * Layout as in `gru.ts`: state [2B, H], rows 0..B-1 the forward direction, B..2B-1 the
 * backward one (its inputs already in reversed time), gate order r, z, n, reset-after
 * cell. The forward pass computes exactly the reference cell's expressions in the same
 * order (same outputs bit for bit); only the gradients' summation order differs.
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

function splitSteps(x: tf.Tensor, T: number): tf.Tensor[] {
  return T === 1 ? [tf.reshape(x, x.shape.slice(1))] : tf.unstack(x);
}

/** The per-step masks, null on steps where `full[s]`. */
function stepMasks(mask: tf.Tensor, full: boolean[]): StepMasks {
  const all = splitSteps(mask, full.length) as tf.Tensor2D[];
  return all.map((m, s) => (full[s] ? null : m));
}

interface Forward {
  /** [T, 2B, H]: the state after every step. */
  hs: tf.Tensor3D;
  /** Per step: sigmoid gates [2B, 2H] (r then z), candidate n [2B, H], h W_hn + b_hn [2B, H]. */
  rz: tf.Tensor2D[];
  n: tf.Tensor2D[];
  ghN: tf.Tensor2D[];
}

function forwardSteps(gx: tf.Tensor3D, w: RecurrentWeights, masks: StepMasks): Forward {
  const [T, B2, H3] = gx.shape;
  const B = B2 / 2;
  const H = H3 / 3;
  const xs = splitSteps(gx, T) as tf.Tensor2D[];
  const bRec = tf.concat([tf.tile(tf.reshape(w.bFw, [1, H3]), [B, 1]), tf.tile(tf.reshape(w.bBw, [1, H3]), [B, 1])], 0);
  let h: tf.Tensor2D = tf.zeros([B2, H]);
  const out: Forward = { hs: null as unknown as tf.Tensor3D, rz: [], n: [], ghN: [] };
  const hs: tf.Tensor2D[] = [];
  for (let s = 0; s < T; s++) {
    const [hf, hb] = tf.split(h, 2, 0);
    const gh = tf.add(tf.concat([tf.matMul(hf, w.wFw), tf.matMul(hb, w.wBw)], 0), bRec);
    const [gxRz, gxN] = tf.split(xs[s], [2 * H, H], 1);
    const [ghRz, ghN] = tf.split(gh, [2 * H, H], 1);
    const rz = tf.sigmoid(tf.add(gxRz, ghRz)) as tf.Tensor2D;
    const [r, z] = tf.split(rz, 2, 1);
    const n = tf.tanh(tf.add(gxN, tf.mul(r, ghN))) as tf.Tensor2D;
    const hNew = tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
    const m = masks[s];
    h = m ? tf.add(h, tf.mul(m, tf.sub(hNew, h))) : hNew;
    hs.push(h);
    out.rz.push(rz);
    out.n.push(n);
    out.ghN.push(ghN as tf.Tensor2D);
  }
  out.hs = tf.stack(hs) as tf.Tensor3D;
  return out;
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
  const dhNew = m ? tf.mul(dh, m) : dh;
  const [r, z] = tf.split(rz, 2, 1);
  const dhNewZ = tf.mul(dhNew, z);
  const dn = tf.sub(dhNew, dhNewZ); // dhNew (1 - z)
  const dz = tf.mul(dhNew, tf.sub(hPrev, n));
  const daN = tf.sub(dn, tf.mul(tf.mul(dn, n), n)); // dn (1 - n^2)
  const dr = tf.mul(daN, f.ghN[s]);
  const daRz = tf.mul(tf.concat([dr, dz], 1), tf.sub(rz, tf.square(rz))); // sigmoid' = s (1 - s)
  const dgx = tf.concat([daRz, daN], 1) as tf.Tensor2D;
  const dgh = tf.concat([daRz, tf.mul(daN, r)], 1) as tf.Tensor2D;
  const [dghF, dghB] = tf.split(dgh, 2, 0);
  const through = tf.concat([tf.matMul(dghF, wTFw), tf.matMul(dghB, wTBw)], 0);
  // A masked step passes dh straight to the previous state: dh (1 - m) + dhNew z.
  const direct = m ? tf.add(tf.sub(dh, dhNew), dhNewZ) : dhNewZ;
  return { dgx, dgh, dhPrev: tf.add(direct, through) as tf.Tensor2D };
}

/** Gradients of the recurrent kernels and biases from all steps at once. */
function weightGrads(hs: tf.Tensor3D, dghAll: tf.Tensor3D): tf.Tensor[] {
  const [T, B2, H] = hs.shape;
  const B = B2 / 2;
  const hPrev = tf.concat([tf.zeros([1, B2, H]), tf.slice(hs, [0, 0, 0], [T - 1, B2, H])], 0); // [T, 2B, H]
  const out: tf.Tensor[] = [];
  for (let d = 0; d < 2; d++) {
    const hd = tf.reshape(tf.slice(hPrev, [0, d * B, 0], [T, B, H]), [T * B, H]);
    const gd = tf.reshape(tf.slice(dghAll, [0, d * B, 0], [T, B, 3 * H]), [T * B, 3 * H]);
    out.push(tf.matMul(tf.transpose(hd), gd), tf.sum(gd, 0));
  }
  return [out[0], out[2], out[1], out[3]]; // wFw, wBw, bFw, bBw
}

function backward(dy: tf.Tensor3D, f: Forward, w: RecurrentWeights, masks: StepMasks): { dgx: tf.Tensor3D; dW: tf.Tensor[] } {
  const [T, B2, H] = f.hs.shape;
  const dys = splitSteps(dy, T) as tf.Tensor2D[];
  const hsSteps = splitSteps(f.hs, T) as tf.Tensor2D[];
  const wTFw = tf.transpose(w.wFw);
  const wTBw = tf.transpose(w.wBw);
  const zero = tf.zeros([B2, H]) as tf.Tensor2D;
  const dgx: tf.Tensor2D[] = new Array(T);
  const dgh: tf.Tensor2D[] = new Array(T);
  let carry: tf.Tensor2D | null = null;
  for (let s = T - 1; s >= 0; s--) {
    const prev = carry;
    // Each step in its own scope: only its two gate gradients and the carried dh outlive it.
    const g = tf.tidy(() => {
      const dh = prev ? (tf.add(dys[s], prev) as tf.Tensor2D) : dys[s];
      const r = backwardStep(dh, s > 0 ? hsSteps[s - 1] : zero, f, s, masks[s], wTFw as tf.Tensor2D, wTBw as tf.Tensor2D);
      return [r.dgx, r.dgh, r.dhPrev];
    });
    prev?.dispose();
    [dgx[s], dgh[s], carry] = g as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  }
  carry?.dispose();
  const dghAll = tf.stack(dgh) as tf.Tensor3D;
  const dW = weightGrads(f.hs, dghAll);
  return { dgx: tf.stack(dgx) as tf.Tensor3D, dW };
}

/**
 * The recurrence of one bidirectional layer. `gx` [T, 2B, 3H] holds x W_in + b_in for
 * every step (backward half in reversed time); `mask` [T, 2B, 1] the step masks and
 * `full[s]` whether step s has no padded row (read once by the caller, so full steps
 * skip the masking ops). Returns every step's state [T, 2B, H]; differentiable with
 * respect to `gx` and the four weights (not the mask).
 */
export function fusedBiGruLayer(gx: tf.Tensor3D, w: RecurrentWeights, mask: tf.Tensor3D, full: boolean[]): tf.Tensor3D {
  const op = tf.customGrad((gxIn, wFw, wBw, bFw, bBw, maskIn, save) => {
    const ws = { wFw, wBw, bFw, bBw } as RecurrentWeights;
    const masks = stepMasks(maskIn as tf.Tensor, full);
    const f = forwardSteps(gxIn as tf.Tensor3D, ws, masks);
    const T = f.rz.length;
    (save as tf.GradSaveFunc)([f.hs, ...f.rz, ...f.n, ...f.ghN, wFw as tf.Tensor, wBw as tf.Tensor, maskIn as tf.Tensor]);
    return {
      value: f.hs,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const sf: Forward = { hs: saved[0] as tf.Tensor3D, rz: saved.slice(1, 1 + T) as tf.Tensor2D[], n: saved.slice(1 + T, 1 + 2 * T) as tf.Tensor2D[], ghN: saved.slice(1 + 2 * T, 1 + 3 * T) as tf.Tensor2D[] };
        const [sw, sb, sm] = saved.slice(1 + 3 * T);
        const { dgx, dW } = backward(dy as tf.Tensor3D, sf, { wFw: sw, wBw: sb, bFw: bFw as tf.Tensor, bBw: bBw as tf.Tensor }, stepMasks(sm, full));
        return [dgx, ...dW, tf.zerosLike(sm)];
      },
    };
  });
  return op(gx, w.wFw, w.wBw, w.bFw, w.bBw, mask) as tf.Tensor3D;
}
