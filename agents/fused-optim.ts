/**
 * Adam and Polyak updates as one JavaScript loop over the WebAssembly heap.
 *
 * Why: tf.train.adam costs about 13 TF.js ops per variable (and Polyak 3), each paying the
 * engine's per-op overhead, which dwarfs the arithmetic for an agent's small networks: in a
 * DDPG update they were about half of all ops. On the wasm backend every float32 tensor
 * lives in the module's heap, so the update can read the gradients and variables through typed-array views
 * and write the new values straight into a fresh heap buffer (as `flash/wasm-slice.ts` does for Slice).
 *
 * Exactness: the loop repeats TF.js's Adam op for op in float32 (`Math.fround` after every
 * operation; rounding a double result of one float32 +, -, x, / or sqrt to float32 gives the
 * float32 result), so on wasm it is bit-identical to tf.train.adam and to the tensor Polyak
 * update. Other backends (cpu, tfjs-node) fall back to those tensor ops.
 */
import * as tf from "@tensorflow/tfjs";
import { ShapeError } from "../flash/errors.js";

const f = Math.fround;

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The wasm backend when it is active and has what we need, else undefined (use tensor ops). */
function wasmBackend(): WasmBackendLike | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const b = tf.backend() as unknown as Partial<WasmBackendLike>;
  return typeof b.typedArrayFromHeap === "function" && typeof b.makeOutput === "function" ? (b as WasmBackendLike) : undefined;
}

/** A float32 heap view of `t` (take views after every allocation: a growing heap detaches older ones). */
function heapOf(backend: WasmBackendLike, t: tf.TensorInfo): Float32Array {
  if (t.dtype !== "float32") throw new ShapeError("fused update tensor", "dtype float32", t.dtype);
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/**
 * Give `v` a new value written by `fill(out, old)` into a fresh heap buffer, then assign it.
 * Not in place, for two reasons: other tensors may share v's buffer (TF.js `assign` and
 * `reshape` share it), and the wasm backend caches XNNPACK matMul operators with the
 * weights packed, keyed by tensor id: a weight changed in place would be multiplied
 * stale. A new buffer is a new id, and disposing the old one drops its cached operators.
 * `fill` may take heap views of other tensors (the allocation has happened).
 */
function replaceValue(backend: WasmBackendLike, v: tf.Variable, fill: (out: Float32Array, old: Float32Array) => void): void {
  const info = backend.makeOutput(v.shape, "float32");
  fill(heapOf(backend, info), heapOf(backend, v));
  const t = tf.engine().makeTensorFromTensorInfo(info, backend as unknown as tf.KernelBackend);
  v.assign(t);
  t.dispose();
}

/** The optimizer interface the agents use (agents/optim.ts). */
export interface AgentOptimizer {
  /** Read on every step; SB3 schedules change it between steps. */
  learningRate: number;
  /**
   * One step on the variables named in `grads` (TF.js variable names). `scale`, when
   * given, multiplies every gradient first (in float32, as `tf.mul(grad, scale)`): how
   * gradient clipping reaches the optimizer without a tensor op per variable.
   */
  applyGradients(grads: tf.NamedTensorMap, scale?: number): void;
  dispose(): void;
}

/** Per-variable Adam state, keyed by the variable's name. */
interface Moments {
  m: Float32Array;
  v: Float32Array;
}

/**
 * Adam equal to `tf.train.adam(lr, beta1, beta2, eps)`: moments
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, bias correction by 1 - b^t (b^t kept as a
 * float32 product, as TF.js does), update -lr * m_hat / (sqrt(v_hat) + eps): the same
 * epsilon placement as PyTorch's Adam, which SB3 uses.
 */
export class FusedAdam implements AgentOptimizer {
  learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private accBeta1: number;
  private accBeta2: number;
  private readonly moments = new Map<string, Moments>();
  private fallback: tf.AdamOptimizer | undefined;

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8) {
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.accBeta1 = f(beta1);
    this.accBeta2 = f(beta2);
  }

  applyGradients(grads: tf.NamedTensorMap, scale?: number): void {
    const backend = wasmBackend();
    if (!backend) return this.applyWithTensors(grads, scale);
    const names = Object.keys(grads).filter((n) => grads[n] != null);
    const [b1, b2] = [f(this.beta1), f(this.beta2)];
    const [c1, c2] = [f(1 - this.beta1), f(1 - this.beta2)];
    const [oma1, oma2] = [f(1 - this.accBeta1), f(1 - this.accBeta2)];
    const [eps, negLr, s] = [f(this.eps), f(-this.learningRate), scale === undefined ? undefined : f(scale)];
    for (const name of names) {
      const variable = tf.engine().registeredVariables[name];
      let st = this.moments.get(name);
      if (!st || st.m.length !== variable.size) this.moments.set(name, (st = { m: new Float32Array(variable.size), v: new Float32Array(variable.size) }));
      const { m, v } = st;
      replaceValue(backend, variable, (out, p) => {
        const g = heapOf(backend, grads[name]);
        if (g.length !== p.length) throw new ShapeError(`fused Adam gradient of ${name}`, `${p.length} values`, String(g.length));
        for (let i = 0; i < p.length; i++) {
          const gi = s === undefined ? g[i] : f(g[i] * s);
          const mi = f(f(m[i] * b1) + f(gi * c1));
          const vi = f(f(v[i] * b2) + f(f(gi * gi) * c2));
          m[i] = mi;
          v[i] = vi;
          const denom = f(f(Math.sqrt(f(vi / oma2))) + eps);
          out[i] = f(f(f(f(mi / oma1) / denom) * negLr) + p[i]);
        }
      });
    }
    this.accBeta1 = f(this.accBeta1 * b1);
    this.accBeta2 = f(this.accBeta2 * b2);
  }

  /** Other backends: TF.js's own Adam (kept for the life of this optimizer once used). */
  private applyWithTensors(grads: tf.NamedTensorMap, scale?: number): void {
    this.fallback ??= tf.train.adam(this.learningRate, this.beta1, this.beta2, this.eps);
    (this.fallback as unknown as { learningRate: number }).learningRate = this.learningRate;
    const opt = this.fallback as unknown as { applyGradients(g: tf.NamedTensorMap): void };
    if (scale === undefined) return opt.applyGradients(grads);
    tf.tidy(() => {
      const scaled: tf.NamedTensorMap = {};
      for (const [n, g] of Object.entries(grads)) scaled[n] = tf.mul(g, scale);
      opt.applyGradients(scaled);
    });
  }

  dispose(): void {
    this.moments.clear();
    this.fallback?.dispose();
  }
}

/**
 * target <- tau * source + (1 - tau) * target for each pair (SB3 polyak_update), tau 1
 * copies. On wasm one loop per pair in place, bit-identical to
 * `tf.add(tf.mul(source, tau), tf.mul(target, 1 - tau))`; elsewhere those ops.
 */
export function polyakUpdate(sources: readonly tf.Variable[], targets: readonly tf.Variable[], tau: number): void {
  const backend = wasmBackend();
  if (!backend) {
    tf.tidy(() => sources.forEach((v, i) => targets[i].assign(tau === 1 ? v : tf.add(tf.mul(v, tau), tf.mul(targets[i], 1 - tau)))));
    return;
  }
  const [a, c] = [f(tau), f(1 - tau)];
  sources.forEach((src, k) => {
    if (src.size !== targets[k].size) throw new ShapeError("polyak target", `${src.size} values`, String(targets[k].size));
    replaceValue(backend, targets[k], (out, t) => {
      const s = heapOf(backend, src);
      if (tau === 1) out.set(s);
      else for (let i = 0; i < t.length; i++) out[i] = f(f(s[i] * a) + f(t[i] * c));
    });
  });
}
