import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { Rng } from "../../flash/rng.js";
import { SizelessRegressor } from "../../agents/sizeless.js";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

await selectBackend();

/** y = 200 + 100 x0^2 + 50 sin(3 x1) + 20 x2 (ms-like scale, never near zero). */
function data(n: number, seed: number): { x: number[][]; y: number[] } {
  const r = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = [r.uniform(-1, 1), r.uniform(-1, 1), r.uniform(0, 5), r.uniform(10, 20)];
    x.push(row);
    y.push(200 + 100 * row[0] ** 2 + 50 * Math.sin(3 * row[1]) + 20 * row[2]);
  }
  return { x, y };
}

t.test("fits a smooth synthetic function to low held-out MAPE", async (t) => {
  const train = data(400, 1);
  const test = data(200, 2);
  const m = new SizelessRegressor(4, 1, { hidden: [64, 64, 64, 64], epochs: 60 }, { seed: 0 });
  const hist = m.fit(train.x, train.y);
  const mape = m.mape(test.x, test.y);
  t.ok(hist[hist.length - 1] < hist[0], `training loss ${hist[0].toFixed(1)} -> ${hist[hist.length - 1].toFixed(1)}`);
  t.ok(mape < 4, `held-out MAPE ${mape.toFixed(2)}%`);
  // Predicting the mean label would score far worse.
  const mean = train.y.reduce((a, b) => a + b, 0) / train.y.length;
  const base = (100 * test.y.reduce((a, v) => a + Math.abs(v - mean) / v, 0)) / test.y.length;
  t.ok(mape < base / 3, `baseline MAPE ${base.toFixed(1)}%`);
  m.dispose();
});

t.test("Table 6 shape by default; same seed same predictions; save/load keeps the standardisation", async (t) => {
  const d = data(64, 3);
  const a = new SizelessRegressor(4, 1, { epochs: 3 }, { seed: 4 });
  t.same(a.net.spec.hidden, [256, 256, 256, 256]);
  const b = new SizelessRegressor(4, 1, { epochs: 3 }, { seed: 4 });
  a.fit(d.x, d.y);
  b.fit(d.x, d.y);
  t.same(Array.from(a.predict(d.x.slice(0, 5))), Array.from(b.predict(d.x.slice(0, 5))));
  const n0 = tf.memory().numTensors;
  a.fit(d.x, d.y, { epochs: 2 });
  a.predict(d.x);
  t.equal(tf.memory().numTensors, n0, "no tensor leak across epochs");
  const dir = mkdtempSync(path.join(os.tmpdir(), "sizeless-"));
  try {
    await a.save(path.join(dir, "ck"), "rcs");
    const c = new SizelessRegressor(4, 1, {}, { seed: 9 });
    t.throws(() => c.predict(d.x), /not been fitted/);
    await c.load(path.join(dir, "ck"), "rcs");
    t.same(Array.from(c.predict(d.x.slice(0, 5))), Array.from(a.predict(d.x.slice(0, 5))));
    await t.rejects(new SizelessRegressor(5).load(path.join(dir, "ck")), /featureDim/);
    c.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  [a, b].forEach((m) => m.dispose());
});

t.test("clear errors", async (t) => {
  const m = new SizelessRegressor(2, 1, { epochs: 1 });
  t.throws(() => m.fit([[1, 2, 3]], [1]), /3/);
  t.throws(() => m.fit([[1, 2]], [1, 2]), /1 rows/);
  t.throws(() => m.fit([[1, NaN]], [1]), /finite/);
  t.throws(() => m.fit([[1, 2]], [0]), /zero label/);
  m.dispose();
});
