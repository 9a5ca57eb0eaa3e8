import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { FoldedFirstLayer } from "../../flash/serve-fold.js";
import { Rng } from "../../flash/rng.js";

await selectBackend();

const S = 10;
const E = 32;
const H = 64;

function policy(seed: number): tf.Variable[] {
  const dims = [S + E, H, H, 3];
  return [0, 1, 2].flatMap((i) => [
    tf.variable(tf.randomNormal([dims[i], dims[i + 1]], 0, 1 / Math.sqrt(dims[i]), "float32", seed + 2 * i)),
    tf.variable(tf.randomNormal([dims[i + 1]], 0, 0.1, "float32", seed + 2 * i + 1)),
  ]);
}

function forward(layers: tf.Tensor[], x: tf.Tensor2D): Float32Array {
  return tf.tidy(() => {
    let h: tf.Tensor = x;
    for (let i = 0; i < 3; i++) {
      h = tf.add(tf.matMul(h as tf.Tensor2D, layers[2 * i] as tf.Tensor2D), layers[2 * i + 1]);
      if (i < 2) h = tf.relu(h);
    }
    return h.dataSync() as Float32Array;
  });
}

/** Largest |a - b| relative to max |b|. */
function relDiff(a: Float32Array, b: Float32Array): number {
  const scale = Math.max(...Array.from(b, Math.abs));
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))) / scale;
}

t.test("the folded policy equals the policy on concat(state, embedding), for batches of states and several embeddings", async (t) => {
  const vars = policy(1);
  const fold = new FoldedFirstLayer(vars[0] as unknown as tf.Tensor2D, vars[1] as unknown as tf.Tensor1D, S);
  const rng = new Rng(2);
  for (const B of [1, 5]) {
    for (let k = 0; k < 3; k++) {
      const e = Float32Array.from({ length: E }, () => rng.normal());
      const states = Float32Array.from({ length: B * S }, () => rng.normal());
      const joined = new Float32Array(B * (S + E));
      for (let b = 0; b < B; b++) {
        joined.set(states.subarray(b * S, (b + 1) * S), b * (S + E));
        joined.set(e, b * (S + E) + S);
      }
      const x = tf.tensor2d(states, [B, S]);
      const xe = tf.tensor2d(joined, [B, S + E]);
      const first = fold.fold(e);
      const got = forward([first.kernel, first.bias, ...vars.slice(2)], x);
      const want = forward(vars, xe);
      const d = relDiff(got, want);
      t.ok(d <= 1e-5, `batch ${B}, embedding ${k}: relative difference ${d}`);
      tf.dispose([x, xe]);
    }
  }
  fold.dispose();
  tf.dispose(vars);
});

t.test("the fold is reused while nothing changed and redone when the embedding or the weights change", async (t) => {
  const vars = policy(7);
  const [k0, b0] = [vars[0] as unknown as tf.Tensor2D, vars[1] as unknown as tf.Tensor1D];
  const fold = new FoldedFirstLayer(k0, b0, S);
  const e = Float32Array.from({ length: E }, (_, i) => Math.sin(i));
  const first = fold.fold(e);
  t.equal(fold.fold(Float32Array.from(e)).bias, first.bias, "same values (another array): the same folded bias");
  const e2 = Float32Array.from(e);
  e2[3] += 1;
  const second = fold.fold(e2);
  t.not(second.bias, first.bias, "another embedding: refolded");
  const before = Array.from(second.bias.dataSync());
  vars[0].assign(tf.mul(vars[0], 2)); // what an optimiser step does: new data for the variable
  const third = fold.fold(e2);
  t.not(third.bias, second.bias, "new kernel data: refolded");
  t.notSame(Array.from(third.bias.dataSync()), before);
  const x = tf.tensor2d(
    Float32Array.from({ length: S }, (_, i) => i / S),
    [1, S],
  );
  const xe = tf.concat([x, tf.tensor2d(e2, [1, E])], 1) as tf.Tensor2D;
  t.ok(relDiff(forward([third.kernel, third.bias, ...vars.slice(2)], x), forward(vars, xe)) <= 1e-5, "equal to the unfolded policy with the new weights");
  t.throws(() => fold.fold(new Float32Array(E - 1)), /FoldedFirstLayer embedding/);
  t.throws(() => new FoldedFirstLayer(k0, b0, S + E), /FoldedFirstLayer stateDim/);
  t.throws(() => new FoldedFirstLayer(k0, vars[5] as unknown as tf.Tensor1D, S + 1), /FoldedFirstLayer bias/);
  const n = tf.memory().numTensors;
  fold.fold(e);
  fold.dispose();
  t.equal(tf.memory().numTensors, n - 2, "dispose releases the folded kernel and bias");
  tf.dispose([x, xe, ...vars]);
});
