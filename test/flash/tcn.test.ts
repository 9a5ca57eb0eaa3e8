import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";
import { buildContextBatch } from "../../flash/context.js";
import type { ContextBatch } from "../../flash/encoder.js";
import { FlashModel, RLModel } from "../../flash/models.js";
import { Rng } from "../../flash/rng.js";
import { TcnEncoder, dense, maxOverSteps, type TcnConfig } from "../../flash/tcn.js";

// The gradient kernels are the point (conv1d's filter gradient has no WebAssembly kernel): run on wasm.
await selectBackend("wasm");
const W = 5;
const small = { inputWidth: W, channels: 6, layers: 3, kernelSize: 3, fcHidden: 8, embeddingDim: 4 };

function seqs(rng: Rng, lengths: number[]) {
  return lengths.map((steps) => ({ steps, width: W, data: Float32Array.from({ length: steps * W }, () => rng.normal()) }));
}

function embed(enc: TcnEncoder, perPair: ReturnType<typeof seqs>[], opts = {}): number[][] {
  return tf.tidy(() => enc.encode(buildContextBatch(perPair, W, opts)).arraySync());
}

function maxDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
}

function close(t: { ok(v: boolean, m: string): void }, a: number[][], b: number[][], tol: number, msg: string) {
  const diff = maxDiff(a, b);
  t.ok(diff < tol, `${msg} (max diff ${diff.toExponential(2)})`);
}

/** The encoder computed the obvious way in plain JavaScript, one sequence and one step at a time. */
function reference(enc: TcnEncoder, perPair: ReturnType<typeof seqs>[]): number[][] {
  const c = enc.config;
  const w = Object.fromEntries(Object.entries(enc.getWeights()).map(([k, v]) => [k, v.arraySync() as number[][] | number[]]));
  const dense = (x: number[], k: number[][], b: number[], relu: boolean) =>
    b.map((bj, j) => {
      const s = x.reduce((acc, xi, i) => acc + xi * k[i][j], bj);
      return relu ? Math.max(0, s) : s;
    });
  return perPair.map((pair) => {
    if (pair.length === 0) return new Array(c.embeddingDim).fill(0);
    const pooled = pair.map((s) => {
      // Patches of c.patch steps, zero-filled past the sequence's end.
      let h: number[][] = Array.from({ length: Math.ceil(s.steps / c.patch) }, (_, i) =>
        Array.from({ length: c.patch * W }, (_, j) => (i * c.patch * W + j < s.steps * W ? s.data[i * c.patch * W + j] : 0)),
      );
      for (let l = 0; l < c.layers; l++) {
        const d = c.dilationBase ** l;
        const inDim = h[0].length;
        h = h.map((_, t) => {
          const u: number[] = [];
          for (let j = 0; j < c.kernelSize; j++) {
            const src = t - (c.kernelSize - 1 - j) * d;
            for (let i = 0; i < inDim; i++) u.push(src >= 0 ? h[src][i] : 0);
          }
          return dense(u, w[`tcn/l${l}/kernel`] as number[][], w[`tcn/l${l}/bias`] as number[], true);
        });
      }
      const mean = h[0].map((_, j) => h.reduce((a, r) => a + r[j], 0) / h.length);
      const max = h[0].map((_, j) => Math.max(...h.map((r) => r[j])));
      return c.pooling === "meanmax" ? [...mean, ...max] : mean;
    });
    const avg = pooled[0].map((_, j) => pooled.reduce((a, r) => a + r[j], 0) / pooled.length);
    const hidden = dense(avg, w["head/fc1/kernel"] as number[][], w["head/fc1/bias"] as number[], true);
    return dense(hidden, w["head/fc2/kernel"] as number[][], w["head/fc2/bias"] as number[], false);
  });
}

const rng = new Rng(1);
const pairA = seqs(rng, [6, 3, 9]);
const pairB = seqs(rng, [4, 4]);

t.test("runs on the WebAssembly backend", async (t) => {
  t.equal(tf.getBackend(), "wasm");
});

t.test("equals a step-by-step JavaScript reference (causal dilated convolutions, masked pooling)", async (t) => {
  for (const pooling of ["meanmax", "mean"] as const) {
    const enc = new TcnEncoder({ ...small, pooling, seed: 3 });
    const fast = embed(enc, [pairA, pairB, []]);
    close(t, fast, reference(enc, [pairA, pairB, []]), 1e-4, `pooling ${pooling}`);
    t.ok(
      fast[2].every((v) => v === 0),
      "a pair with no sequence gets exactly zero",
    );
    t.ok(
      fast[0].some((v) => v !== 0),
      "a pair with data does not",
    );
    enc.dispose();
  }
  const k1 = new TcnEncoder({ ...small, kernelSize: 1, layers: 1, seed: 4 });
  close(t, embed(k1, [pairA]), reference(k1, [pairA]), 1e-4, "kernel size 1");
  k1.dispose();
  for (const patch of [2, 4]) {
    const enc = new TcnEncoder({ ...small, patch, seed: 5 });
    close(t, embed(enc, [pairA, pairB, []]), reference(enc, [pairA, pairB, []]), 1e-4, `patch ${patch}`);
    enc.dispose();
  }
});

for (const patch of [1, 4])
  t.test(`padding never changes an embedding, whatever the padded steps hold (patch ${patch})`, async (t) => {
    const enc = new TcnEncoder({ ...small, patch, seed: 1 });
    const alone = embed(enc, [pairA]);
    const longer = seqs(new Rng(9), [20]);
    const together = embed(enc, [pairA, [...pairB], longer]);
    close(t, [together[0]], alone, 1e-5, "extra time steps and extra masked sequences");
    close(t, [together[1]], embed(enc, [pairB]), 1e-5, "several pairs in one batch equal each pair alone");
    close(
      t,
      embed(enc, [pairA], { maxSteps: 4 }),
      embed(enc, [pairA.map((s) => ({ steps: Math.min(s.steps, 4), width: W, data: s.data.slice(0, Math.min(s.steps, 4) * W) }))]),
      1e-5,
      "maxSteps keeps the first steps",
    );
    // Garbage (large values) in every padded step and every padded sequence slot: no effect.
    const noisy = tf.tidy(() => {
      const b = buildContextBatch([pairA, pairB, longer], W);
      const junk = tf.mul(tf.randomNormal(b.data.shape, 0, 1, "float32", 11), 1000);
      const keep = tf.mul(tf.reshape(b.stepMask, [...b.stepMask.shape, 1]), tf.reshape(b.seqMask, [...b.seqMask.shape, 1, 1]));
      const data = tf.add(tf.mul(b.data, keep), tf.mul(junk, tf.sub(1, keep))) as tf.Tensor4D;
      const batch: ContextBatch = { data, stepMask: b.stepMask, seqMask: b.seqMask };
      return enc.encode(batch).arraySync();
    });
    close(t, noisy, together, 1e-5, "junk in padded steps and slots");
    enc.dispose();
  });

t.test("the order of a pair's sequences does not matter", async (t) => {
  const enc = new TcnEncoder({ ...small, seed: 2 });
  close(t, embed(enc, [[pairA[2], pairA[0], pairA[1]]]), embed(enc, [pairA]), 1e-5, "permuted");
  close(t, embed(enc, [[pairA[1], pairA[2], pairA[0]], pairB]), embed(enc, [pairA, [pairB[1], pairB[0]]]), 1e-5, "permuted within a batch of pairs");
  enc.dispose();
});

t.test("seeds fix the weights and the embedding", async (t) => {
  const a = new TcnEncoder({ ...small, seed: 5 });
  const b = new TcnEncoder({ ...small, seed: 5 });
  const c = new TcnEncoder({ ...small, seed: 6 });
  const weights = (e: TcnEncoder) => Object.entries(e.getWeights()).map(([k, v]) => [k, Array.from(v.dataSync())]);
  t.same(weights(a), weights(b), "same seed: identical weights");
  t.notSame(weights(a), weights(c), "other seed: different weights");
  t.same(embed(a, [pairA]), embed(b, [pairA]), "same seed: identical embedding");
  t.notSame(embed(a, [pairA]), embed(c, [pairA]), "other seed: different embedding");
  t.not(a.variables()[0].name, b.variables()[0].name, "variable names are unique per instance");
  t.same(Object.keys(a.getWeights()), [
    "tcn/l0/kernel",
    "tcn/l0/bias",
    "tcn/l1/kernel",
    "tcn/l1/bias",
    "tcn/l2/kernel",
    "tcn/l2/bias",
    "head/fc1/kernel",
    "head/fc1/bias",
    "head/fc2/kernel",
    "head/fc2/bias",
  ]);
  // 3 taps x 5 in x 6 + 6, 2 x (3 x 6 x 6 + 6), meanmax 12 x 8 + 8, 8 x 4 + 4
  t.equal(a.parameterCount(), 96 + 2 * 114 + 104 + 36);
  t.equal(a.receptiveField, 15);
  [a, b, c].forEach((e) => e.dispose());
});

t.test("gradients reach every variable and are finite (WebAssembly backward kernels)", async (t) => {
  for (const cfg of [{ pooling: "meanmax" }, { pooling: "mean" }, { patch: 2 }] as const) {
    const enc = new TcnEncoder({ ...small, ...cfg, seed: 7 });
    const pooling = JSON.stringify(cfg);
    const batch = buildContextBatch([pairA, pairB, []], W);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(enc.encode(batch))) as tf.Scalar, enc.variables());
    t.ok(Number.isFinite(value.dataSync()[0]));
    for (const v of enc.variables()) {
      const g = grads[v.name].dataSync();
      t.ok(g.every(Number.isFinite), `${pooling} ${v.name}: finite`);
      t.ok(
        g.some((x) => x !== 0),
        `${pooling} ${v.name}: not all zero`,
      );
    }
    tf.dispose([value, ...Object.values(grads), batch.data, batch.stepMask, batch.seqMask]);
    // An optimiser step runs too.
    const before = Array.from(enc.variables()[0].dataSync());
    tf.train.adam(0.01).minimize(() => tf.tidy(() => tf.sum(tf.square(enc.encode(buildContextBatch([pairA], W))))) as tf.Scalar, false, enc.variables());
    t.notSame(Array.from(enc.variables()[0].dataSync()), before, "adam step changes the weights");
    enc.dispose();
  }
});

t.test("one-step sequences only (T = 1): forward equals the reference, gradients flow", async (t) => {
  const one = [seqs(new Rng(12), [1, 1]), seqs(new Rng(13), [1])];
  for (const patch of [1, 4]) {
    const enc = new TcnEncoder({ ...small, patch, seed: 12 });
    close(t, embed(enc, one), reference(enc, one), 1e-4, `patch ${patch}`);
    const batch = buildContextBatch(one, W);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(enc.encode(batch))) as tf.Scalar, enc.variables());
    t.ok(
      Object.values(grads).every((g) => g.dataSync().every(Number.isFinite)),
      `patch ${patch}: finite gradients`,
    );
    tf.dispose([value, ...Object.values(grads), batch.data, batch.stepMask, batch.seqMask]);
    enc.dispose();
  }
});

t.test("the hand-written gradients equal TF.js's own", async (t) => {
  const grads = (f: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor) =>
    tf.tidy(() =>
      tf
        .grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => f(a, b, c))(xs, dy)
        .map((g) => tf.reshape(g, [1, -1]).arraySync() as number[][]),
    );
  const x = tf.randomNormal([7, 5], 0, 1, "float32", 1);
  const w = tf.randomNormal([5, 3], 0, 1, "float32", 2);
  const b = tf.randomNormal([3], 0, 1, "float32", 3);
  const dy = tf.randomNormal([7, 3], 0, 1, "float32", 4);
  const ours = grads((a, v, c) => dense(a, v, c), [x, w, b], dy);
  const theirs = grads((a, v, c) => tf.add(tf.matMul(a, v), c), [x, w, b], dy);
  ours.forEach((g, i) => close(t, g, theirs[i], 1e-5, `dense gradient ${["x", "W", "b"][i]}`));
  // Max with ties: ReLU-like zeros (several steps at 0 in one channel) and distinct values elsewhere.
  const h = tf.tensor3d([
    [
      [0, 1],
      [0, 3],
      [0, 2],
    ],
    [
      [5, 0],
      [1, 0],
      [5, 0],
    ],
  ]);
  const dm = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const g1 = tf.tidy(() =>
    tf
      .grad((v: tf.Tensor) => maxOverSteps(v))(h, dm)
      .arraySync(),
  );
  const g2 = tf.tidy(() =>
    tf
      .grad((v: tf.Tensor) => tf.max(v, 1))(h, dm)
      .arraySync(),
  );
  t.same(g1, g2, "max gradient, ties included");
  t.same(g1, [
    [
      [1, 0],
      [1, 2],
      [1, 0],
    ],
    [
      [3, 4],
      [0, 4],
      [3, 4],
    ],
  ]);
  tf.dispose([x, w, b, dy, h, dm]);
});

t.test("no tensor leaks", async (t) => {
  const enc = new TcnEncoder({ ...small, seed: 8 });
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    enc.encode(buildContextBatch([pairA, pairB], W));
  });
  const batch = buildContextBatch([pairA, pairB], W);
  const { grads, value } = tf.variableGrads(() => tf.sum(enc.encode(batch)) as tf.Scalar, enc.variables());
  tf.dispose([value, ...Object.values(grads), batch.data, batch.stepMask, batch.seqMask]);
  t.equal(tf.memory().numTensors, before, "forward and backward leave nothing behind");
  enc.dispose();
  t.equal(tf.memory().numTensors, before - 10, "dispose frees the ten variables");
});

t.test("bad configurations, shapes and weights are named", async (t) => {
  t.throws(() => new TcnEncoder({ inputWidth: 0 }), { name: "ShapeError", message: /TcnEncoder inputWidth: expected a positive integer, got 0/ });
  t.throws(() => new TcnEncoder({ inputWidth: 3, channels: 2.5 }), {
    name: "ShapeError",
    message: /TcnEncoder channels: expected a positive integer, got 2.5/,
  });
  t.throws(() => new TcnEncoder({ inputWidth: 3, patch: 0 }), { name: "ShapeError", message: /TcnEncoder patch: expected a positive integer, got 0/ });
  t.throws(() => new TcnEncoder({ inputWidth: 3, kernelSize: 0 }), { name: "ShapeError", message: /TcnEncoder kernelSize/ });
  t.throws(() => new TcnEncoder({ inputWidth: 3, dilationBase: -1 }), { name: "ShapeError", message: /TcnEncoder dilationBase/ });
  t.throws(() => new TcnEncoder({ inputWidth: 3, pooling: "max" as TcnConfig["pooling"] }), {
    name: "ShapeError",
    message: /TcnEncoder pooling: expected "mean" or "meanmax", got "max"/,
  });
  t.throws(() => new TcnEncoder({ inputWidth: 3, seed: 0.5 }), { name: "ShapeError", message: /TcnEncoder seed: expected an integer/ });
  const enc = new TcnEncoder({ ...small, seed: 9 });
  t.throws(() => tf.tidy(() => enc.encode(buildContextBatch([seqs(new Rng(1), [3]).map((s) => ({ ...s, width: 6, data: new Float32Array(18) }))], 6))), {
    name: "ShapeError",
    message: /context rows: expected width 5, got width 6/,
  });
  const w = enc.getWeights();
  const missing = { ...w };
  delete missing["head/fc2/bias"];
  t.throws(() => enc.setWeights(missing), { message: /a tensor named "head\/fc2\/bias"/ });
  t.throws(() => enc.setWeights({ ...w, "head/fc2/bias": tf.zeros([5]) }), { message: /shape \[4\], got \[5\]/ });
  t.throws(() => enc.setWeights({ ...w, extra: tf.zeros([1]) }), { message: /unknown names extra/ });
  enc.dispose();
});

t.test("defaults", async (t) => {
  const enc = new TcnEncoder({ inputWidth: 14 });
  t.match(enc.config, {
    type: "tcn",
    channels: 64,
    layers: 3,
    patch: 1,
    kernelSize: 3,
    dilationBase: 2,
    pooling: "meanmax",
    fcHidden: 64,
    embeddingDim: 32,
    seed: 0,
  });
  const out = tf.tidy(
    () =>
      enc.encode(buildContextBatch([seqs(new Rng(2), [30, 7]).map((s) => ({ ...s, width: 14, data: new Float32Array(s.steps * 14).fill(0.5) }))], 14)).shape,
  );
  t.same(out, [1, 32]);
  enc.dispose();
});

t.test("models.ts: encoder type tcn round-trips a checkpoint; a bigru checkpoint (or other sizes) is refused", async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), "flash-tcn-"));
  const tasks: string[] = [];
  const reg = (task: string, encoder: NonNullable<Parameters<typeof RLModel.register>[0]["encoder"]>, seed: number, file = task) => {
    tasks.push(task);
    return RLModel.register({ task, stateDim: 3, actionDim: 1, buffer: SqliteBuffer.open(path.join(root, `${file}.sqlite`)), encoder, seed, contextSize: 4 });
  };
  t.teardown(() => tasks.forEach((x) => FlashModel.unregister(x)));
  const tcn = { type: "tcn" as const, channels: 8, layers: 2, fcHidden: 8, embeddingDim: 8 };
  const task = `tcn-${process.pid}`;
  const a = reg(task, tcn, 1);
  t.equal(a.encoder.config.type, "tcn");
  t.ok(a.encoder instanceof TcnEncoder);
  const r = new Rng(4);
  for (let i = 0; i < 3; i++) {
    const T = 5 + i;
    await a.insertTrajSamples(
      "p",
      Array.from({ length: T }, () => [r.normal(), r.normal(), r.normal()]),
      Array.from({ length: T }, () => [r.uniform(-1, 1)]),
      Array.from({ length: T }, () => r.normal()),
    );
  }
  const saved = Array.from(a.getEmbedding("p"));
  const dir = path.join(root, "tcn-ckpt");
  await a.save(dir);
  FlashModel.unregister(task);
  const b = reg(task, tcn, 99);
  t.notSame(Array.from(b.getEmbedding("p")), saved, "another seed, another embedding");
  await b.load(dir);
  t.same(Array.from(b.getEmbedding("p")), saved, "loaded weights reproduce the saved embedding");
  FlashModel.unregister(task);

  // A model whose encoder differs in type or size refuses the checkpoint, saying what differs.
  const g = reg(task, { hidden: 8, fcHidden: 8, embeddingDim: 8 }, 1);
  t.equal(g.encoder.config.type, "bigru", "the default encoder is still the paper's BiGRU");
  await t.rejects(g.load(dir), { name: "ShapeError", message: /encoder\.type: expected bigru, got tcn/ });
  FlashModel.unregister(task);
  const c = reg(task, { ...tcn, channels: 16 }, 1);
  await t.rejects(c.load(dir), { name: "ShapeError", message: /encoder\.channels: expected 16, got 8/ });
  FlashModel.unregister(task);
  const p = reg(task, { ...tcn, pooling: "mean" }, 1);
  await t.rejects(p.load(dir), { name: "ShapeError", message: /encoder\.pooling: expected mean, got meanmax/ });
  FlashModel.unregister(task);

  // And a tcn model refuses a bigru checkpoint.
  const g2 = reg(task, { hidden: 8, fcHidden: 8, embeddingDim: 8 }, 1);
  const gdir = path.join(root, "bigru-ckpt");
  await g2.save(gdir);
  FlashModel.unregister(task);
  const d = reg(task, tcn, 1);
  await t.rejects(d.load(gdir), { name: "ShapeError", message: /encoder\.type: expected tcn, got bigru/ });
  t.throws(() => reg(`${task}-bad`, { type: "lstm" } as never, 1), { name: "ShapeError", message: /encoder\.type: expected "bigru" or "tcn", got "lstm"/ });
});
