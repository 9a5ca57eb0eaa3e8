import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { Rng } from "../../flash/rng.js";
import { Mlp, dense, inputGradient } from "../../agents/mlp.js";
import { linear, linearToZero } from "../../agents/schedule.js";

await selectBackend();

t.test("dense's hand-written gradient equals TF.js autodiff of the same layer (both input-gradient products)", async (t) => {
  // [7, 5] x [5, 3]: dz @ w^T directly; [4, 64] x [64, 48]: through the transposed product.
  for (const [rows, k, n] of [
    [7, 5, 3],
    [4, 64, 48],
  ]) {
    denseGradientCase(t, rows, k, n);
  }
});

function denseGradientCase(t: { ok(v: boolean, m: string): void }, rows: number, k: number, n: number): void {
  const x = tf.randomNormal([rows, k], 0, 1, "float32", 1) as tf.Tensor2D;
  const w = tf.randomNormal([k, n], 0, 1, "float32", 2) as tf.Tensor2D;
  const b = tf.randomNormal([n], 0, 1, "float32", 3) as tf.Tensor1D;
  const up = tf.randomNormal([rows, n], 0, 1, "float32", 4);
  for (const act of ["relu", "tanh", "linear"] as const) {
    const ref = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
      const z = tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb);
      const y = act === "relu" ? tf.relu(z) : act === "tanh" ? tf.tanh(z) : z;
      return tf.sum(tf.mul(y, up));
    };
    const ours = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, act), up));
    const g1 = tf.grads(ref)([x, w, b]);
    const g2 = tf.grads(ours)([x, w, b]);
    for (let i = 0; i < 3; i++) {
      const diff = tf.max(tf.abs(tf.sub(g1[i], g2[i]))).dataSync()[0] / Math.max(1, tf.max(tf.abs(g1[i])).dataSync()[0]);
      t.ok(diff < 1e-5, `[${rows}, ${k}] x [${k}, ${n}] ${act} gradient ${["x", "w", "b"][i]} matches (max diff ${diff}, relative to the largest)`);
    }
    tf.dispose([...g1, ...g2]);
  }
  tf.dispose([x, w, b, up]);
}

t.test("a frozen forward pass gives the same values and the same input gradient, and no gradient to its weights", async (t) => {
  const m = new Mlp({ inputDim: 12, hidden: [64, 64], outputDim: 1, activation: "relu" }, new Rng(3));
  const x = tf.randomNormal([16, 12], 0, 1, "float32", 9) as tf.Tensor2D;
  const same = (a: tf.Tensor, b: tf.Tensor) => Array.from(a.dataSync()).every((v, i) => v === b.dataSync()[i]);
  t.ok(same(m.apply(x), m.apply(x, { frozen: true })), "values bit-identical");
  const gx = tf.grad((xx: tf.Tensor) => tf.sum(m.apply(xx as tf.Tensor2D)))(x);
  const gxFrozen = tf.grad((xx: tf.Tensor) => tf.sum(m.apply(xx as tf.Tensor2D, { frozen: true })))(x);
  t.ok(same(gx, gxFrozen), "input gradient bit-identical");
  const { grads } = tf.variableGrads(() => tf.sum(m.apply(x)) as tf.Scalar, m.variables);
  t.equal(Object.keys(grads).length, m.variables.length, "unfrozen: every weight has a gradient");
  t.throws(() => tf.variableGrads(() => tf.sum(m.apply(x, { frozen: true })) as tf.Scalar, m.variables), "frozen: no path to the weights");
  tf.dispose([x, gx, gxFrozen, ...Object.values(grads)]);
  m.dispose();
});

t.test("the transposed input-gradient product is bit-identical to dz @ w^T on wasm", async (t) => {
  const dz = tf.randomNormal([64, 256], 0, 1, "float32", 5) as tf.Tensor2D;
  const w = tf.randomNormal([256, 256], 0, 1, "float32", 6) as tf.Tensor2D;
  const direct = tf.matMul(dz, tf.transpose(w)).dataSync();
  const ours = inputGradient(dz, w).dataSync();
  let worst = 0;
  for (let i = 0; i < direct.length; i++) worst = Math.max(worst, Math.abs(direct[i] - ours[i]));
  if (tf.getBackend() === "wasm") t.equal(worst, 0, "bit-identical");
  else t.ok(worst < 1e-4, `within float rounding (${worst})`);
  tf.dispose([dz, w]);
});

t.test("same seed gives the same weights; polyak with tau 1 copies, tau 0.5 averages", async (t) => {
  const spec = { inputDim: 3, hidden: [8], outputDim: 2, activation: "relu" as const };
  const a = new Mlp(spec, new Rng(5));
  const b = new Mlp(spec, new Rng(5));
  const c = new Mlp(spec, new Rng(6));
  t.same(Array.from(a.variables[0].dataSync()), Array.from(b.variables[0].dataSync()));
  t.notSame(Array.from(a.variables[0].dataSync()), Array.from(c.variables[0].dataSync()));
  const before = Array.from(c.variables[0].dataSync());
  a.polyakInto(c, 0.5);
  const mid = c.variables[0].dataSync();
  const av = a.variables[0].dataSync();
  t.ok(Math.abs(mid[0] - 0.5 * (av[0] + before[0])) < 1e-6);
  a.polyakInto(c, 1);
  t.same(Array.from(c.variables[0].dataSync()), Array.from(av));
  t.throws(() => tf.tidy(() => a.apply(tf.zeros([2, 4]) as tf.Tensor2D)), /expected \[B, 3\]/);
  [a, b, c].forEach((m) => m.dispose());
});

t.test("orthogonal init gives orthonormal columns times the gain", async (t) => {
  const m = new Mlp({ inputDim: 16, hidden: [8], outputDim: 1, activation: "tanh", init: { kind: "orthogonal", hiddenGain: 2, outputGain: 1 } }, new Rng(1));
  const k = m.variables[0] as unknown as tf.Tensor2D;
  const g = tf.matMul(k, k, true, false).dataSync(); // 8x8 = gain^2 * I
  let err = 0;
  for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) err = Math.max(err, Math.abs(g[i * 8 + j] - (i === j ? 4 : 0)));
  t.ok(err < 1e-4, `K^T K = 4 I (max err ${err})`);
  t.same(Array.from(m.variables[1].dataSync()), new Array(8).fill(0), "biases start at zero");
  m.dispose();
});

t.test("schedules follow SB3", async (t) => {
  const eps = linear(1, 0.05, 0.1);
  t.equal(eps(1), 1);
  t.ok(Math.abs(eps(0.95) - 0.525) < 1e-12);
  t.equal(eps(0.5), 0.05);
  t.equal(linearToZero(0.2)(0.25), 0.05);
});
