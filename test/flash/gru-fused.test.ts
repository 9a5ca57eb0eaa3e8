import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { buildContextBatch } from "../../flash/context.js";
import { BiGruEncoder } from "../../flash/gru.js";
import { Rng } from "../../flash/rng.js";
import { relDiff } from "../helpers/compare.js";

await selectBackend();
const W = 5;
const small = { inputWidth: W, hidden: 8, fcHidden: 8, embeddingDim: 4 };

function seqs(rng: Rng, lengths: number[]) {
  return lengths.map((steps) => ({ steps, width: W, data: Float32Array.from({ length: steps * W }, () => rng.normal()) }));
}

type Path = "encodeFused" | "encodeReference";

/** Embeddings and the gradient of a fixed random projection of them, for every variable. */
function run(enc: BiGruEncoder, perPair: ReturnType<typeof seqs>[], path: Path) {
  const batch = buildContextBatch(perPair, W);
  const probe = tf.randomNormal([perPair.length, small.embeddingDim], 0, 1, "float32", 17);
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(enc[path](batch), probe)) as tf.Scalar, enc.variables());
  const emb = tf.tidy(() => enc[path](batch).dataSync());
  const g = Object.fromEntries(enc.variables().map((v) => [v.name, grads[v.name].dataSync()]));
  tf.dispose([value, probe, ...Object.values(grads), batch.data, batch.stepMask, batch.seqMask]);
  return { emb, g };
}

const cases: { name: string; lengths: number[][]; layers: number }[] = [
  { name: "1 layer, T > 1, padded steps and sequences", lengths: [[6, 3, 9], [4, 4], []], layers: 1 },
  { name: "2 layers, T > 1, padded steps and sequences", lengths: [[6, 3, 9], [4, 4], []], layers: 2 },
  {
    name: "2 layers, T > 1, no padding",
    lengths: [
      [7, 7],
      [7, 7],
    ],
    layers: 2,
  },
  { name: "1 layer, T = 1", lengths: [[1, 1], [1]], layers: 1 },
  { name: "2 layers, T = 1", lengths: [[1, 1], [1]], layers: 2 },
];

for (const c of cases) {
  t.test(`fused recurrence equals the taped reference: ${c.name}`, async (t) => {
    const enc = new BiGruEncoder({ ...small, layers: c.layers, seed: 11 });
    const rng = new Rng(21);
    const data = c.lengths.map((ls) => seqs(rng, ls));
    const fused = run(enc, data, "encodeFused");
    const ref = run(enc, data, "encodeReference");
    t.ok(relDiff(fused.emb, ref.emb) <= 1e-5, `embeddings (rel ${relDiff(fused.emb, ref.emb).toExponential(2)})`);
    for (const v of enc.variables()) {
      const d = relDiff(fused.g[v.name], ref.g[v.name]);
      t.ok(d <= 1e-5, `gradient of ${v.name} (rel ${d.toExponential(2)})`);
    }
    t.ok(
      enc.variables().some((v) => fused.g[v.name].some((x) => x !== 0)),
      "the gradients are not all zero",
    );
    enc.dispose();
  });
}

t.test("the fused path leaks no tensor, with or without a tape", async (t) => {
  const enc = new BiGruEncoder({ ...small, layers: 2, seed: 12 });
  const batch = buildContextBatch([seqs(new Rng(2), [5, 2])], W);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    enc.encode(batch);
  });
  t.equal(tf.memory().numTensors, before, "forward only");
  const { grads, value } = tf.variableGrads(() => tf.sum(enc.encode(batch)) as tf.Scalar, enc.variables());
  tf.dispose([value, ...Object.values(grads)]);
  t.equal(tf.memory().numTensors, before, "forward and backward");
  tf.dispose([batch.data, batch.stepMask, batch.seqMask]);
  enc.dispose();
});
