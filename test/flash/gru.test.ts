import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { buildContextBatch } from "../../flash/context.js";
import { BiGruEncoder } from "../../flash/gru.js";
import { Rng } from "../../flash/rng.js";

await selectBackend();
const W = 5;
const small = { inputWidth: W, hidden: 8, fcHidden: 8, embeddingDim: 4 };

function seqs(rng: Rng, lengths: number[]) {
  return lengths.map((steps) => ({ steps, width: W, data: Float32Array.from({ length: steps * W }, () => rng.normal()) }));
}

function embed(enc: BiGruEncoder, perPair: ReturnType<typeof seqs>[], opts = {}): number[][] {
  return tf.tidy(() => enc.encode(buildContextBatch(perPair, W, opts)).arraySync());
}

function close(t: { ok(v: boolean, m: string): void }, a: number[][], b: number[][], tol: number, msg: string) {
  const diff = Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
  t.ok(diff < tol, `${msg} (max diff ${diff.toExponential(2)})`);
}

const rng = new Rng(1);
const pairA = seqs(rng, [6, 3, 9]);
const pairB = seqs(rng, [4, 4]);

t.test("padding never changes an embedding", async (t) => {
  const enc = new BiGruEncoder({ ...small, seed: 1 });
  const alone = embed(enc, [pairA]);
  // Pairing with pairB pads A's sequences to more steps (9 -> 9 here) and adds masked sequence slots to B.
  const longer = seqs(new Rng(9), [20]);
  const together = embed(enc, [pairA, [...pairB], longer]);
  close(t, [together[0]], alone, 1e-5, "extra time steps and extra masked sequences");
  close(t, [together[1]], embed(enc, [pairB]), 1e-5, "several pairs in one batch equal each pair alone");
  enc.dispose();
});

t.test("the order of a pair's sequences does not matter", async (t) => {
  const enc = new BiGruEncoder({ ...small, seed: 2 });
  close(t, embed(enc, [[pairA[2], pairA[0], pairA[1]]]), embed(enc, [pairA]), 1e-5, "permuted");
  enc.dispose();
});

t.test("the fast formulation equals the step-by-step reference", async (t) => {
  const enc = new BiGruEncoder({ ...small, seed: 3 });
  const batch = () => buildContextBatch([pairA, pairB, []], W);
  const fast = tf.tidy(() => enc.encode(batch()).arraySync());
  const naive = tf.tidy(() => enc.encodeNaive(batch()).arraySync());
  close(t, fast, naive, 1e-4, "encode == encodeNaive");
  t.ok(
    fast[2].every((v) => v === 0),
    "a pair with no sequence gets exactly zero",
  );
  t.ok(
    fast[0].some((v) => v !== 0),
    "a pair with data does not",
  );
  enc.dispose();
});

t.test("maxSteps keeps the first steps", async (t) => {
  const enc = new BiGruEncoder({ ...small, seed: 4 });
  const cut = pairA.map((s) => ({ steps: Math.min(s.steps, 4), width: W, data: s.data.slice(0, Math.min(s.steps, 4) * W) }));
  close(t, embed(enc, [pairA], { maxSteps: 4 }), embed(enc, [cut]), 1e-5, "truncated context");
  enc.dispose();
});

t.test("seeds fix the weights and the embedding", async (t) => {
  const a = new BiGruEncoder({ ...small, seed: 5 });
  const b = new BiGruEncoder({ ...small, seed: 5 });
  const c = new BiGruEncoder({ ...small, seed: 6 });
  t.same(embed(a, [pairA]), embed(b, [pairA]), "same seed: identical");
  t.notSame(embed(a, [pairA]), embed(c, [pairA]), "other seed: different");
  [a, b, c].forEach((e) => e.dispose());
});

t.test("gradients reach every variable and are finite", async (t) => {
  const enc = new BiGruEncoder({ ...small, seed: 7 });
  const batch = buildContextBatch([pairA, pairB], W);
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(enc.encode(batch))) as tf.Scalar, enc.variables());
  t.ok(Number.isFinite(value.dataSync()[0]));
  for (const v of enc.variables()) {
    const g = grads[v.name].dataSync();
    t.ok(g.every(Number.isFinite), `${v.name}: finite`);
    if (!/bias/.test(v.name))
      t.ok(
        g.some((x) => x !== 0),
        `${v.name}: not all zero`,
      );
  }
  tf.dispose([value, ...Object.values(grads), batch.data, batch.stepMask, batch.seqMask]);
  enc.dispose();
});

t.test("one-step contexts (T = 1, e.g. 1-shot samples) train, with 1 and 2 layers", async (t) => {
  for (const layers of [1, 2]) {
    const enc = new BiGruEncoder({ ...small, layers, seed: 9 });
    const batch = buildContextBatch([seqs(new Rng(4), [1, 1]), seqs(new Rng(5), [1])], W);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(enc.encode(batch))) as tf.Scalar, enc.variables());
    t.ok(
      enc.variables().every((v) => grads[v.name].dataSync().every(Number.isFinite)),
      `${layers} layer(s): finite gradients for every variable`,
    );
    tf.dispose([value, ...Object.values(grads), batch.data, batch.stepMask, batch.seqMask]);
    enc.dispose();
  }
});

t.test("no tensor leaks", async (t) => {
  const enc = new BiGruEncoder({ ...small, seed: 8 });
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    enc.encode(buildContextBatch([pairA, pairB], W));
  });
  t.equal(tf.memory().numTensors, before);
  enc.dispose();
});

t.test("bad shapes and weights are named", async (t) => {
  const enc = new BiGruEncoder({ ...small, seed: 9 });
  t.throws(() => tf.tidy(() => enc.encode(buildContextBatch([seqs(new Rng(1), [3]).map((s) => ({ ...s, width: 6, data: new Float32Array(18) }))], 6))), {
    name: "ShapeError",
    message: /context rows: expected width 5, got width 6/,
  });
  t.throws(() => buildContextBatch([[{ steps: 2, width: W, data: new Float32Array(3) }]], W), { name: "ShapeError", message: /2 x 5 values, got 3/ });
  const w = enc.getWeights();
  const missing = { ...w };
  delete missing["head/fc2/bias"];
  t.throws(() => enc.setWeights(missing), { message: /a tensor named "head\/fc2\/bias"/ });
  t.throws(() => enc.setWeights({ ...w, "head/fc2/bias": tf.zeros([5]) }), { message: /shape \[4\], got \[5\]/ });
  t.throws(() => enc.setWeights({ ...w, extra: tf.zeros([1]) }), { message: /unknown names extra/ });
  t.throws(() => new BiGruEncoder({ inputWidth: 0 }), { name: "ShapeError", message: /inputWidth: expected a positive integer, got 0/ });
  enc.dispose();
});

t.test("paper-sized encoder (hidden 256) runs and matches its reference on a tiny batch", async (t) => {
  const enc = new BiGruEncoder({ inputWidth: W });
  t.equal(enc.config.hidden, 256);
  t.equal(enc.config.layers, 2);
  t.equal(enc.config.embeddingDim, 32);
  const small2 = seqs(new Rng(3), [3, 2]);
  const fast = tf.tidy(() => enc.encode(buildContextBatch([small2], W)).arraySync());
  const naive = tf.tidy(() => enc.encodeNaive(buildContextBatch([small2], W)).arraySync());
  close(t, fast, naive, 1e-4, "hidden 256");
  enc.dispose();
});
