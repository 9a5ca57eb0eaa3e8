import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { DynamicsAux } from "../../flash/aux-dynamics.js";
import { buildContextBatch, selectRows } from "../../flash/context.js";
import { ShapeError } from "../../flash/errors.js";
import { Rng } from "../../flash/rng.js";
import { TcnEncoder } from "../../flash/tcn.js";
import { BiGruEncoder } from "../../flash/gru.js";

await selectBackend();

/** A sequence of T rows [s0, s1, a, r] with s_t = (t, 10 t), a = 0.5, r = -t. */
function ramp(T: number) {
  const w = 4;
  const data = new Float32Array(T * w);
  for (let i = 0; i < T; i++) data.set([i, 10 * i, 0.5, -i], i * w);
  return { steps: T, width: w, data };
}

t.test("sample: transitions with a successor, targets (state change, reward) scaled per column", async (t) => {
  const head = new DynamicsAux(2, 1, 3, { batch: 32 });
  t.teardown(() => head.dispose());
  t.equal(head.sample([[ramp(1)], []], new Rng(1)), null, "no sequence of 2 steps: nothing to learn from");
  const b = head.sample([[ramp(1)], [ramp(6)]], new Rng(1));
  t.ok(b);
  if (!b) return;
  t.same([...new Set(b.rowPair)], [1], "only the pair with a usable sequence");
  t.equal(b.x.length, 32 * 3);
  for (let i = 0; i < 32; i++) {
    const [s0, s1, a] = b.x.subarray(i * 3, i * 3 + 3);
    t.ok(s0 >= 0 && s0 <= 4 && s1 === 10 * s0 && a === 0.5, "inputs are a real row with a successor (t <= T - 2)");
  }
  // State changes are constant (1, 10): their spread is 0, floored, so the column is divided by 1e-3; rewards vary.
  const col = (j: number) => Array.from({ length: 32 }, (_, i) => b.y[i * 3 + j]);
  t.ok(col(0).every((v) => Math.abs(v - 1000) < 1e-2) && col(1).every((v) => Math.abs(v - 10_000) < 1e-1), "constant state change / 1e-3");
  const r = col(2);
  const m = r.reduce((a, x) => a + x, 0) / 32;
  t.ok(Math.abs(Math.sqrt(r.reduce((a, x) => a + (x - m) ** 2, 0) / 32) - 1) < 1e-4, "rewards scaled to unit spread");
  t.throws(() => head.sample([[{ steps: 3, width: 5, data: new Float32Array(15) }]], new Rng(1)), ShapeError, "wrong row width");
  t.throws(() => new DynamicsAux(2, 1, 3, { weight: 0 }), ShapeError);
});

t.test("the auxiliary loss's gradient reaches every encoder variable (TCN and BiGRU)", async (t) => {
  for (const enc of [
    new TcnEncoder({ inputWidth: 4, channels: 8, layers: 2, fcHidden: 8, embeddingDim: 3 }),
    new BiGruEncoder({ inputWidth: 4, hidden: 8, fcHidden: 8, embeddingDim: 3 }),
  ]) {
    const head = new DynamicsAux(2, 1, 3, { batch: 16 });
    const seqs = [[ramp(5)], [ramp(7), ramp(3)]];
    const b = head.sample(seqs, new Rng(2));
    if (!b) throw new Error("no batch");
    const { grads, value } = tf.variableGrads(() => {
      const e = enc.encode(buildContextBatch(seqs, 4));
      return head.loss(selectRows(e, b.rowPair), b);
    }, enc.variables());
    t.ok(Number.isFinite(value.dataSync()[0]), `${enc.config.type}: finite loss`);
    const norms = enc.variables().map((v) => tf.norm(grads[v.name]).dataSync()[0]);
    // Every kernel gets a gradient (biases of a layer whose ReLUs are all off might not).
    t.ok(norms.filter((n) => n > 0).length >= enc.variables().length / 2, `${enc.config.type}: nonzero gradients on the encoder's variables`);
    t.ok(
      norms.some((n) => n > 0),
      `${enc.config.type}: some gradient reaches the encoder`,
    );
    tf.dispose([value, ...Object.values(grads)]);
    head.dispose();
    enc.dispose();
  }
});
