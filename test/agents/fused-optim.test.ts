import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { FusedAdam, polyakUpdate } from "../../agents/fused-optim.js";
import { minimize } from "../../agents/optim.js";

await selectBackend();

/** tf.train.adam's applyGradients with a NamedTensorMap (its typings want variables). */
const applyRef = (o: tf.AdamOptimizer, g: tf.NamedTensorMap) => (o as unknown as { applyGradients(m: tf.NamedTensorMap): void }).applyGradients(g);

const SHAPES = [[13, 7], [7], [64, 3], [1]];

/** Largest |a - b| / (max |b| of the tensor) over all tensors: error relative to each tensor's scale. */
function relDiff(a: tf.Tensor[], b: tf.Tensor[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    const [u, v] = [x.dataSync(), b[i].dataSync()];
    let scale = 1e-30;
    for (let k = 0; k < v.length; k++) scale = Math.max(scale, Math.abs(v[k]));
    for (let k = 0; k < v.length; k++) worst = Math.max(worst, Math.abs(u[k] - v[k]) / scale);
  });
  return worst;
}

function twins(seed: number): [tf.Variable[], tf.Variable[]] {
  const init = SHAPES.map((s, i) => tf.randomNormal(s, 0, 1, "float32", seed + i));
  const out: [tf.Variable[], tf.Variable[]] = [init.map((x) => tf.variable(x.clone())), init.map((x) => tf.variable(x.clone()))];
  tf.dispose(init);
  return out;
}

function gradsFor(vars: tf.Variable[], step: number): tf.NamedTensorMap {
  const g: tf.NamedTensorMap = {};
  // Gradients over several orders of magnitude, some exactly zero, like real ones.
  vars.forEach(
    (v, i) =>
      (g[v.name] = tf.tidy(() =>
        tf.mul(tf.randomNormal(v.shape, 0, 1, "float32", 100 * step + i), tf.relu(tf.randomNormal(v.shape, 0, 10 ** ((i % 3) - 1), "float32", 7 * step + i))),
      )),
  );
  return g;
}

/** Grads keyed by the twin variables' names, same values. */
function rekey(g: tf.NamedTensorMap, from: tf.Variable[], to: tf.Variable[]): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  from.forEach((v, i) => (out[to[i].name] = g[v.name]));
  return out;
}

t.test(`FusedAdam equals tf.train.adam over several steps (backend ${tf.getBackend()})`, async (t) => {
  for (const [eps, scaled] of [
    [1e-8, false],
    [1e-5, false],
    [1e-8, true],
  ] as const) {
    const [ours, ref] = twins(eps === 1e-5 ? 11 : 1);
    const fused = new FusedAdam(3e-3, 0.9, 0.999, eps);
    const adam = tf.train.adam(3e-3, 0.9, 0.999, eps);
    for (let step = 1; step <= 6; step++) {
      const lr = step < 4 ? 3e-3 : 1e-3; // a schedule changing the rate between steps
      fused.learningRate = lr;
      (adam as unknown as { learningRate: number }).learningRate = lr;
      const g = gradsFor(ours, step);
      const scale = scaled ? 0.37 + 0.1 * step : undefined;
      fused.applyGradients(g, scale);
      tf.tidy(() => {
        const r = rekey(g, ours, ref);
        if (scale !== undefined) for (const k of Object.keys(r)) r[k] = tf.mul(r[k], scale);
        applyRef(adam, r);
      });
      tf.dispose(g);
      const d = relDiff(ours, ref);
      t.ok(d <= 1e-6, `eps ${eps}${scaled ? ", scaled gradients" : ""}, step ${step}: relative difference ${d}`);
    }
    fused.dispose();
    adam.dispose();
    tf.dispose([...ours, ...ref]);
  }
});

t.test("minimize with gradient clipping equals clip-then-tf.train.adam", async (t) => {
  const [ours, ref] = twins(21);
  const fused = new FusedAdam(1e-2);
  const adam = tf.train.adam(1e-2, 0.9, 0.999, 1e-8);
  const x = tf.randomNormal([32, 13], 0, 3, "float32", 5) as tf.Tensor2D;
  const loss = (vs: tf.Variable[]) => () =>
    tf.tidy(() => tf.sum(tf.square(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, vs[0] as tf.Tensor2D), vs[1])), vs[0], false, true), 1)))) as tf.Scalar;
  for (let step = 0; step < 5; step++) {
    const lo = minimize(fused, loss(ours), ours.slice(0, 2), 0.5);
    const lr = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss(ref), ref.slice(0, 2));
      const names = Object.keys(grads);
      const sq = tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))));
      const s = tf.minimum(1, tf.div(0.5, tf.add(tf.sqrt(sq), 1e-6)));
      const clipped: tf.NamedTensorMap = {};
      for (const n of names) clipped[n] = tf.mul(grads[n], s);
      applyRef(adam, clipped);
      return value.dataSync()[0];
    });
    t.ok(Math.abs(lo - lr) <= 1e-6 * Math.abs(lr), `step ${step}: loss ${lo} vs ${lr}`);
    const d = relDiff(ours.slice(0, 2), ref.slice(0, 2));
    t.ok(d <= 1e-6, `step ${step}: weights differ by ${d} relative`);
  }
  fused.dispose();
  adam.dispose();
  tf.dispose([x, ...ours, ...ref]);
});

t.test("a matMul after a step multiplies the new weights (the wasm backend caches packed weights per tensor)", async (t) => {
  const x = tf.randomNormal([4, 3], 0, 1, "float32", 1) as tf.Tensor2D;
  const w = tf.variable(tf.randomNormal([3, 2], 0, 1, "float32", 2));
  const fused = new FusedAdam(0.5);
  tf.matMul(x, w as tf.Tensor2D).dispose(); // caches an operator for w where the backend does
  const g = tf.ones([3, 2]);
  fused.applyGradients({ [w.name]: g });
  const z = tf.variable(tf.zeros([3, 2]));
  polyakUpdate([z], [w], 0.5);
  const got = tf.matMul(x, w as tf.Tensor2D).dataSync();
  const fresh = tf.tensor(w.dataSync().slice(), [3, 2]) as tf.Tensor2D;
  t.same(Array.from(got), Array.from(tf.matMul(x, fresh).dataSync()));
  tf.dispose([x, w, z, g, fresh]);
  fused.dispose();
});

t.test("a step changes no tensor that shared the variable's buffer", async (t) => {
  const a = tf.variable(tf.ones([5]));
  const b = tf.variable(tf.zeros([5]));
  b.assign(a); // TF.js shares a's buffer with b
  const view = tf.reshape(a, [5, 1]); // and a reshape shares it too
  const fused = new FusedAdam(0.1);
  const g = tf.fill([5], 2);
  fused.applyGradients({ [a.name]: g });
  t.same(Array.from(b.dataSync()), [1, 1, 1, 1, 1], "the variable assigned from a is unchanged");
  t.same(Array.from(view.dataSync()), [1, 1, 1, 1, 1], "a reshape of a taken before the step is unchanged");
  t.ok(a.dataSync()[0] < 1, "a moved");
  polyakUpdate([b], [a], 1);
  t.same(Array.from(a.dataSync()), [1, 1, 1, 1, 1], "tau 1 copies");
  polyakUpdate([a], [b], 0.5);
  fused.applyGradients({ [a.name]: g });
  t.same(Array.from(b.dataSync()), [1, 1, 1, 1, 1], "after a copy, stepping the source leaves the target alone");
  tf.dispose([a, b, view, g]);
  fused.dispose();
});

t.test("polyakUpdate equals the tensor form tau * source + (1 - tau) * target", async (t) => {
  const [src, tgt] = twins(31);
  const [, ref] = twins(31);
  tgt.forEach((v, i) => v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 1, "float32", 50 + i))));
  ref.forEach((v, i) => v.assign(tgt[i].clone()));
  for (const tau of [0.005, 0.3, 1]) {
    polyakUpdate(src, tgt, tau);
    tf.tidy(() => src.forEach((v, i) => ref[i].assign(tau === 1 ? v.clone() : tf.add(tf.mul(v, tau), tf.mul(ref[i], 1 - tau)))));
    const d = relDiff(tgt, ref);
    t.ok(d <= 1e-7, `tau ${tau}: relative difference ${d}`);
  }
  t.throws(() => polyakUpdate(src.slice(0, 1), tgt.slice(1, 2), 0.5), /polyak target/);
  tf.dispose([...src, ...tgt, ...ref]);
});

t.test("on the cpu backend FusedAdam falls back to tf.train.adam", async (t) => {
  const before = tf.getBackend();
  await tf.setBackend("cpu");
  t.teardown(async () => void (await tf.setBackend(before)));
  const [ours, ref] = twins(41);
  const fused = new FusedAdam(1e-2);
  const adam = tf.train.adam(1e-2, 0.9, 0.999, 1e-8);
  for (let step = 1; step <= 3; step++) {
    const g = gradsFor(ours, step);
    fused.applyGradients(g, 0.5);
    tf.tidy(() => {
      const r = rekey(g, ours, ref);
      for (const k of Object.keys(r)) r[k] = tf.mul(r[k], 0.5);
      applyRef(adam, r);
    });
    tf.dispose(g);
  }
  t.ok(relDiff(ours, ref) <= 1e-6);
  fused.dispose();
  adam.dispose();
  tf.dispose([...ours, ...ref]);
});
