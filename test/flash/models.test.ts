import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";
import { FlashModel, RLModel, SLModel } from "../../flash/models.js";
import { Rng } from "../../flash/rng.js";

await selectBackend();
const root = mkdtempSync(path.join(os.tmpdir(), "flash-models-"));
const small = { hidden: 16, fcHidden: 16, embeddingDim: 8 };
let n = 0;

/** A fresh buffer and a fresh task name per test, so registrations never collide. */
function fresh(seed = 0) {
  const task = `t${n++}`;
  const buffer = SqliteBuffer.open(path.join(root, `${task}.sqlite`));
  const flash = RLModel.register({ task, stateDim: 3, actionDim: 1, buffer, encoder: small, seed, contextSize: 4 });
  return { task, buffer, flash };
}

function episode(rng: Rng, T: number, scale = 1) {
  return {
    s: Array.from({ length: T }, () => [rng.normal() * scale, rng.normal(), rng.normal()]),
    a: Array.from({ length: T }, () => [rng.uniform(-1, 1)]),
    r: Array.from({ length: T }, () => rng.normal() * scale),
  };
}

async function fill(flash: RLModel, pair: string, rng: Rng, k = 3, scale = 1) {
  for (let i = 0; i < k; i++) {
    const e = episode(rng, 5 + i, scale);
    await flash.insertTrajSamples(pair, e.s, e.a, e.r);
  }
}

t.teardown(() => {
  for (let i = 0; i < n; i++) FlashModel.unregister(`t${i}`);
});

t.test("registration: one model per task; other shapes are a conflict; unknown tasks are named", async (t) => {
  const { task, buffer, flash } = fresh();
  t.equal(RLModel.register({ task, stateDim: 3, actionDim: 1, buffer }), flash, "same spec returns the same model");
  t.throws(() => RLModel.register({ task, stateDim: 4, actionDim: 1, buffer }), {
    name: "RegistrationConflictError",
    message: /already registered as RL with stateDim 3, actionDim 1; cannot register it again as RL with stateDim 4/,
  });
  t.throws(() => SLModel.register({ task, featureDim: 3, buffer }), { name: "RegistrationConflictError" });
  t.throws(() => FlashModel.get("nope"), { name: "UnknownTaskError", message: /unknown task "nope"/ });
  t.throws(() => RLModel.register({ task: "x", stateDim: 0, actionDim: 1, buffer }), {
    name: "ShapeError",
    message: /stateDim: expected a positive integer, got 0/,
  });
});

t.test("bad trajectories are refused before anything is stored", async (t) => {
  const { task, buffer, flash } = fresh();
  const rng = new Rng(1);
  await fill(flash, "p", rng, 2);
  const before = buffer.all(task, "p").map((r) => Array.from(r.data));
  const e = episode(rng, 4);
  await t.rejects(
    flash.insertTrajSamples(
      "p",
      e.s.map((s) => s.slice(0, 2)),
      e.a,
      e.r,
    ),
    { name: "ShapeError", message: /states\[0\]: expected 3 numbers, got 2/ },
  );
  await t.rejects(flash.insertTrajSamples("p", e.s.slice(0, 3), e.a, e.r), {
    name: "ShapeError",
    message: /states: expected 4 rows \(one per step\), got 3 rows/,
  });
  await t.rejects(flash.insertTrajSamples("p", e.s, e.a, [1, 2, NaN, 4]), { name: "ValueError", message: /rewards.*NaN/ });
  await t.rejects(flash.insertTrajSamples("p", e.s, [[0], [Infinity], [0], [0]], e.r), { name: "ValueError" });
  await t.rejects(flash.insertTrajSamples("p", [], [], []), { name: "ValueError", message: /empty trajectory/ });
  await t.rejects(flash.insertTrajSamples("", e.s, e.a, e.r), { name: "ValueError", message: /pair/ });
  t.same(
    buffer.all(task, "p").map((r) => Array.from(r.data)),
    before,
    "stored data unchanged",
  );
});

t.test("a pair with no data gets the zero embedding", async (t) => {
  const { flash } = fresh();
  const e = flash.getEmbedding("never-seen");
  t.equal(e.length, 8);
  t.ok(e.every((v) => v === 0));
});

t.test("gradient flow: updates on train the meta learner through the caller's loss; off does not", async (t) => {
  const { flash } = fresh();
  const rng = new Rng(2);
  await fill(flash, "a", rng);
  await fill(flash, "b", rng, 3, 3);
  const head = tf.variable(tf.ones([8, 1]));
  const opt = tf.train.adam(0.05);
  const snapshot = () => flash.encoder.variables().map((v) => Array.from(v.dataSync()));
  const step = () =>
    opt.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(flash.embed(["a", "b", "a"]), head), tf.tensor2d([[1], [-1], [1]])))) as tf.Scalar, false, [
      head,
      ...flash.trainableVariables(),
    ]);

  const w0 = snapshot();
  step();
  const w1 = snapshot();
  t.ok(
    w0.some((w, i) => w.some((x, j) => x !== w1[i][j])),
    "with updates on, one step changes the meta learner",
  );

  flash.toggleMetaModelUpdate(false);
  t.same(flash.trainableVariables(), [], "no meta variables offered to the optimiser");
  const h0 = Array.from(head.dataSync());
  step();
  t.same(snapshot(), w1, "with updates off, the meta learner stays fixed");
  t.notSame(Array.from(head.dataSync()), h0, "while the downstream head still trains");
});

t.test("embed of one pair repeated (a batch from a single pair) has one row per entry and trains", async (t) => {
  const { flash } = fresh();
  const rng = new Rng(5);
  await fill(flash, "solo", rng);
  const e = flash.embed(["solo", "solo", "solo"]);
  t.same(e.shape, [3, 8]);
  const rows = e.arraySync();
  t.same(rows[1], rows[0], "every row is the pair's embedding");
  e.dispose();
  const before = flash.encoder.variables().map((v) => Array.from(v.dataSync()));
  tf.train.sgd(0.1).minimize(() => tf.sum(flash.embed(["solo", "solo"])) as tf.Scalar, false, flash.trainableVariables());
  t.ok(
    flash.encoder.variables().some((v, i) => Array.from(v.dataSync()).some((x, j) => x !== before[i][j])),
    "its gradient reaches the meta learner",
  );
});

t.test("with updates off, embeddings are cached until the pair's data changes", async (t) => {
  const { flash } = fresh();
  const rng = new Rng(3);
  await fill(flash, "p", rng);
  flash.toggleMetaModelUpdate(false);
  const e1 = flash.getEmbedding("p");
  t.equal(flash.getEmbedding("p"), e1, "second call is a cache hit (same array)");
  const e = episode(rng, 6, 5);
  await flash.insertTrajSamples("p", e.s, e.a, [100, 100, 100, 100, 100, 100]);
  const e2 = flash.getEmbedding("p");
  t.not(e2, e1, "new data invalidates the cache");
  t.ok(
    Array.from(e2).some((v, i) => Math.abs(v - e1[i]) > 1e-6),
    "and changes the embedding",
  );
});

t.test("same seed, same embedding; different pairs, different embeddings", async (t) => {
  const a = fresh(7);
  const b = fresh(7);
  const c = fresh(8);
  for (const m of [a, b, c]) {
    const rng = new Rng("data");
    for (let p = 0; p < 4; p++) await fill(m.flash, `pair${p}`, rng, 3, 1 + p);
  }
  const ea = Array.from(a.flash.getEmbedding("pair0"));
  t.same(Array.from(b.flash.getEmbedding("pair0")), ea, "same seed and data");
  t.notSame(Array.from(c.flash.getEmbedding("pair0")), ea, "another seed");
  const es = [0, 1, 2, 3].map((p) =>
    Array.from(a.flash.getEmbedding(`pair${p}`))
      .map((v) => v.toFixed(5))
      .join(","),
  );
  t.equal(new Set(es).size, 4, "four pairs give four different embeddings");
});

t.test("checkpoint round trip; another task is refused", async (t) => {
  const a = fresh(1);
  const b = fresh(2);
  const rng = new Rng(4);
  await fill(a.flash, "p", rng);
  const dir = path.join(root, "meta-ckpt");
  await a.flash.save(dir);
  await t.rejects(b.flash.load(dir), { name: "CheckpointError", message: /is for task "t\d+", expected task "t\d+"/ });
  // A model of the same task name and shapes in a fresh registry slot reproduces the embedding.
  FlashModel.unregister(a.task);
  const again = RLModel.register({ task: a.task, stateDim: 3, actionDim: 1, buffer: a.buffer, encoder: small, seed: 99, contextSize: 4 });
  const before = Array.from(again.getEmbedding("p"));
  await again.load(dir);
  const after = Array.from(again.getEmbedding("p"));
  t.notSame(after, before, "loading replaced the weights");
  FlashModel.unregister(a.task);
  const orig = RLModel.register({ task: a.task, stateDim: 3, actionDim: 1, buffer: a.buffer, encoder: small, seed: 1, contextSize: 4 });
  t.same(Array.from(orig.getEmbedding("p")), after, "loaded weights equal the saved model's");
});

t.test("SL: samples [x, y] go in as one sequence per call", async (t) => {
  const task = `t${n++}`;
  const buffer = SqliteBuffer.open(path.join(root, `${task}.sqlite`));
  const sl = SLModel.register({ task, featureDim: 2, buffer, encoder: small });
  await sl.insertDataSamples(
    "w",
    [
      [1, 2],
      [3, 4],
    ],
    [0.5, 0.7],
  );
  await t.rejects(sl.insertDataSamples("w", [[1, 2]], [0.5, 0.7]), { name: "ShapeError", message: /labels: expected 1 rows/ });
  await t.rejects(sl.insertDataSamples("w", [[1, 2, 3]], [0.5]), { name: "ShapeError" });
  t.equal(buffer.count(task, "w"), 1);
  t.same(Array.from(buffer.all(task, "w")[0].data), [1, 2, 0.5, 3, 4, 0.699999988079071]);
  t.equal(sl.getEmbedding("w").length, 8);
});
