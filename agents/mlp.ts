/**
 * Seeded multi-layer perceptrons on raw `tf.Variable`s.
 *
 * Raw variables rather than `tf.layers` because the agents need four things layers
 * make awkward: target copies with Polyak updates, one optimizer over several nets
 * (plus a caller-owned module, see `extra.ts`), named tensors for checkpoints, and
 * a forward pass that is exactly `inputDim -> hidden... -> outputDim` with fused
 * matmul+bias+activation kernels. Variables are created without names so that many
 * agents can live in one process (TF.js registers variable names globally).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../flash/rng.js";
import { ShapeError } from "../flash/errors.js";
import { polyakUpdate } from "./fused-optim.js";

export type Activation = "relu" | "tanh" | "linear";

/**
 * dz @ w^T for dz [M, N] and w [K, N], as whichever of two plain products moves less data.
 * The wasm backend's matMul packs its second operand before multiplying (XNNPACK; once per
 * tensor, and this operand is always new) and that costs about as much as the product at an
 * agent's batch size, so packing the [N, M] transpose of dz instead of the [N, K] transpose
 * of w, and transposing the [K, M] result back, is about twice as fast for a 256 x 256 layer
 * at batch 64. Both sum each dot product in the same order: the results are bit-identical.
 */
export function inputGradient(dz: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const [m, n] = dz.shape;
  const k = w.shape[0];
  if (m * (n + k) < n * k) return tf.transpose(tf.matMul(w, tf.transpose(dz) as tf.Tensor2D)) as tf.Tensor2D;
  return tf.matMul(dz, tf.transpose(w));
}

/**
 * One dense layer, act(x @ w + b), with a hand-written gradient. TF.js's own matMul
 * gradient uses transposeA/transposeB products, which the WASM backend runs about an
 * order of magnitude slower than a plain product after an explicit transpose (at
 * 256x400x300, the size of a DDPG layer), and its bias-add and relu gradients go through
 * slow axis-0 reductions and casts; this keeps a backward pass to three plain
 * products and one elementwise op per layer.
 */
/** act(z) and, in the backward pass, dy * act'(z) from the saved output y. */
function activate(act: Activation, z: tf.Tensor): tf.Tensor {
  return act === "relu" ? tf.relu(z) : act === "tanh" ? tf.tanh(z) : z;
}
function activationGradient(act: Activation, dy: tf.Tensor, y: tf.Tensor): tf.Tensor2D {
  return (act === "relu" ? tf.mul(dy, tf.step(y)) : act === "tanh" ? tf.mul(dy, tf.sub(1, tf.square(y))) : dy) as tf.Tensor2D;
}

function makeDense(act: Activation): (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D {
  const fn = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = activate(act, tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b));
    save([x, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved as tf.Tensor2D[];
        const dz = activationGradient(act, dy as tf.Tensor, sy);
        const dx = inputGradient(dz, sw);
        const dw = tf.matMul(tf.transpose(sx), dz);
        const [rows, cols] = dz.shape as [number, number];
        const db = tf.reshape(tf.matMul(tf.ones([1, rows]), dz), [cols]);
        return [dx, dw, db];
      },
    };
  };
  const f = tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0]);
  return f as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
}

const DENSE: Record<Activation, (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D> = {
  relu: makeDense("relu"),
  tanh: makeDense("tanh"),
  linear: makeDense("linear"),
};

/** act(x @ w + b) with the fast gradient above. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: Activation): tf.Tensor2D {
  return DENSE[act](x, w, b);
}

/**
 * act(x @ w + b) whose gradient reaches x only: w and b are constants of the op. For a
 * loss that back-propagates through a network without training it (DDPG's actor loss
 * through the critic): a custom gradient computes every input's gradient, and those of
 * w and b (two products per layer) would be thrown away. dx is the same computation.
 */
export function denseInputOnly(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: Activation): tf.Tensor2D {
  const fn = (xIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = activate(act, tf.add(tf.matMul(xIn as tf.Tensor2D, w), b));
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => inputGradient(activationGradient(act, dy as tf.Tensor, saved[0]), w) };
  };
  return tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor2D;
}

/**
 * How weights start.
 * - "torch": PyTorch's nn.Linear default, U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for kernel and
 *   bias; what SB3's DQN, DDPG/TD3 networks use.
 * - "orthogonal": orthogonal kernels with a per-layer gain and zero biases; SB3's
 *   ActorCriticPolicy with ortho_init=True (PPO).
 */
export type Init = { kind: "torch" } | { kind: "orthogonal"; hiddenGain: number; outputGain: number };

export interface MlpSpec {
  inputDim: number;
  hidden: readonly number[];
  outputDim: number;
  activation: Activation;
  /** Activation of the last layer (tanh for a squashed actor); default linear. */
  outputActivation?: Activation;
  init?: Init;
}

function checkSize(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ShapeError(what, "a positive integer", String(n));
}

/** An orthogonal [rows, cols] matrix scaled by gain, from a seeded normal draw (Saxe et al. 2014). */
function orthogonal(rows: number, cols: number, gain: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const big = Math.max(rows, cols);
    const small = Math.min(rows, cols);
    const a = tf.randomNormal([big, small], 0, 1, "float32", seed);
    const [q, r] = tf.linalg.qr(a);
    // Sign correction makes the draw uniform over orthogonal matrices.
    const d = tf.sign(tf.sum(tf.mul(r, tf.eye(small)), 0));
    let m = tf.mul(q, d) as tf.Tensor2D;
    if (rows < cols) m = m.transpose();
    return tf.mul(m, gain);
  });
}

export class Mlp {
  readonly spec: Required<MlpSpec>;
  /** kernel, bias per layer, in order: [k0, b0, k1, b1, ...]. */
  readonly variables: tf.Variable[];

  constructor(spec: MlpSpec, rng: Rng) {
    checkSize("Mlp inputDim", spec.inputDim);
    checkSize("Mlp outputDim", spec.outputDim);
    spec.hidden.forEach((h, i) => checkSize(`Mlp hidden[${i}]`, h));
    this.spec = { outputActivation: "linear", init: { kind: "torch" }, ...spec, hidden: [...spec.hidden] };
    const sizes = [spec.inputDim, ...spec.hidden, spec.outputDim];
    this.variables = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const [fanIn, fanOut] = [sizes[i], sizes[i + 1]];
      const last = i + 2 === sizes.length;
      const init = this.spec.init;
      let kernel: tf.Tensor;
      let bias: tf.Tensor;
      if (init.kind === "torch") {
        const b = 1 / Math.sqrt(fanIn);
        kernel = tf.randomUniform([fanIn, fanOut], -b, b, "float32", rng.tfSeed());
        bias = tf.randomUniform([fanOut], -b, b, "float32", rng.tfSeed());
      } else {
        kernel = orthogonal(fanIn, fanOut, last ? init.outputGain : init.hiddenGain, rng.tfSeed());
        bias = tf.zeros([fanOut]);
      }
      this.variables.push(tf.variable(kernel, true), tf.variable(bias, true));
      kernel.dispose();
      bias.dispose();
    }
  }

  get inputDim(): number {
    return this.spec.inputDim;
  }

  get outputDim(): number {
    return this.spec.outputDim;
  }

  /**
   * Forward pass: [B, inputDim] -> [B, outputDim]. Call inside tf.tidy. `frozen`: no
   * gradient for this net's own variables (only through its input), e.g. DDPG's critic in
   * the actor loss; the values are the same.
   */
  apply(x: tf.Tensor2D, opts: { frozen?: boolean } = {}): tf.Tensor2D {
    if (x.shape[1] !== this.spec.inputDim) throw new ShapeError("Mlp input", `[B, ${this.spec.inputDim}]`, `[${x.shape.join(", ")}]`);
    const n = this.variables.length / 2;
    const layer = opts.frozen ? denseInputOnly : dense;
    let h = x;
    for (let i = 0; i < n; i++) {
      const act = i + 1 === n ? this.spec.outputActivation : this.spec.activation;
      const k = this.variables[2 * i] as tf.Tensor2D;
      const b = this.variables[2 * i + 1];
      h = layer(h, k, b as tf.Tensor1D, act);
    }
    return h;
  }

  /** target <- tau * this + (1 - tau) * target (SB3 polyak_update); tau 1 copies. */
  polyakInto(target: Mlp, tau: number): void {
    if (target.variables.length !== this.variables.length)
      throw new ShapeError("polyak target", `${this.variables.length} variables`, String(target.variables.length));
    polyakUpdate(this.variables, target.variables, tau);
  }

  /** A structurally identical net with copied weights (a target network). */
  clone(rng: Rng): Mlp {
    const m = new Mlp(this.spec, rng);
    this.polyakInto(m, 1);
    return m;
  }

  /** Named views for checkpoints: `${prefix}/${layer}/kernel|bias`. */
  namedTensors(prefix: string): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    this.variables.forEach((v, i) => (out[`${prefix}/${i >> 1}/${i % 2 === 0 ? "kernel" : "bias"}`] = v));
    return out;
  }

  /** Assign from tensors named as `namedTensors(prefix)` makes them; shapes must match. */
  assignNamed(prefix: string, tensors: Record<string, tf.Tensor>): void {
    const named = this.namedTensors(prefix);
    for (const [name, v] of Object.entries(named)) {
      const t = tensors[name];
      if (!t) throw new ShapeError(`checkpoint tensor ${name}`, "present", "missing");
      if (t.shape.join(",") !== v.shape.join(",")) throw new ShapeError(`checkpoint tensor ${name}`, `[${v.shape.join(", ")}]`, `[${t.shape.join(", ")}]`);
    }
    for (const [name, v] of Object.entries(named)) (v as tf.Variable).assign(tensors[name]);
  }

  dispose(): void {
    this.variables.forEach((v) => v.dispose());
  }
}
