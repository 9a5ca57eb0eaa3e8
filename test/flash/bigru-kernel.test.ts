/**
 * The BiGRU encoder as direct wasm kernel calls (flash/bigru-kernel.ts) against its TF.js
 * formulation (`encodeFused`: gru-fused.ts, the head's ops, the tape's gradients): embeddings
 * and every variable's gradient bit for bit; against the taped step-by-step reference
 * (`encodeReference`) to 1e-5, as the fused formulation is (its sums run in another order);
 * no tensor or heap buffer left behind.
 */
import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { buildContextBatch } from "../../flash/context.js";
import { BiGruEncoder, type BiGruConfig } from "../../flash/gru.js";
import { Rng } from "../../flash/rng.js";
import { bitDiffs, relDiff } from "../helpers/compare.js";
import { useWasmKernels, WasmKernels } from "../../flash/wasm-kernels.js";

await selectBackend("wasm");
const W = 5;

function seqs(rng: Rng, lengths: number[]) {
  return lengths.map((steps) => ({ steps, width: W, data: Float32Array.from({ length: steps * W }, () => rng.normal()) }));
}

type Path = "encode" | "encodeFused" | "encodeReference";

/** Embeddings and the gradient of a fixed random projection of them, for every variable. */
function run(enc: BiGruEncoder, perPair: ReturnType<typeof seqs>[], path: Path) {
  const batch = buildContextBatch(perPair, W);
  const probe = tf.randomNormal([perPair.length, enc.config.embeddingDim], 0, 1, "float32", 17);
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(enc[path](batch), probe)) as tf.Scalar, enc.variables());
  const emb = tf.tidy(() => enc[path](batch).dataSync());
  const g = enc.variables().map((v) => grads[v.name].dataSync());
  tf.dispose([value, probe, ...Object.values(grads), batch.data, batch.stepMask, batch.seqMask]);
  return { emb, g };
}

const sizes = (hidden: number, layers: number, fcHidden: number, embeddingDim: number): Partial<BiGruConfig> => ({ hidden, layers, fcHidden, embeddingDim });
const cases: { name: string; lengths: number[][]; enc: Partial<BiGruConfig> }[] = [
  { name: "quick sizes: 12 pairs x 1 trajectory x 10 steps, no padding", lengths: Array.from({ length: 12 }, () => [10]), enc: sizes(16, 1, 16, 8) },
  { name: "1 layer, padded steps and sequences, a pair without any", lengths: [[6, 3, 9], [4, 4], []], enc: sizes(8, 1, 8, 4) },
  { name: "2 layers, padded steps and sequences", lengths: [[6, 3, 9], [4, 4], [1]], enc: sizes(8, 2, 8, 4) },
  {
    name: "2 layers, no padding",
    lengths: [
      [7, 7],
      [7, 7],
    ],
    enc: sizes(12, 2, 6, 3),
  },
  { name: "1 layer, T = 1", lengths: [[1, 1], [1]], enc: sizes(8, 1, 8, 4) },
  { name: "2 layers, T = 1", lengths: [[1, 1], [1]], enc: sizes(8, 2, 8, 4) },
  { name: "hidden 64, K > 48 rows in the head's products", lengths: Array.from({ length: 60 }, (_, i) => [1 + (i % 5)]), enc: sizes(64, 1, 32, 8) },
];

t.ok(WasmKernels.get(), "the wasm backend's kernels are callable");

for (const c of cases) {
  t.test(`kernel encoder equals the TF.js formulation bit for bit: ${c.name}`, async (t) => {
    const enc = new BiGruEncoder({ inputWidth: W, seed: 11, ...c.enc });
    const data = c.lengths.map((ls) => seqs(new Rng(21), ls));
    const tensorsBefore = tf.memory().numTensors;
    const kernel = run(enc, data, "encode");
    t.equal(tf.memory().numTensors, tensorsBefore, "no tensor leaked");
    const fused = run(enc, data, "encodeFused");
    const ref = run(enc, data, "encodeReference");
    t.equal(bitDiffs(kernel.emb, fused.emb), 0, "embeddings bit-identical");
    enc.variables().forEach((v, i) => t.equal(bitDiffs(kernel.g[i], fused.g[i]), 0, `gradient of ${v.name.split("#")[0]} bit-identical`));
    t.ok(relDiff(kernel.emb, ref.emb) <= 1e-5, `embeddings within 1e-5 of the taped reference (${relDiff(kernel.emb, ref.emb).toExponential(2)})`);
    const worst = Math.max(...enc.variables().map((_, i) => relDiff(kernel.g[i], ref.g[i])));
    t.ok(worst <= 1e-5, `gradients within 1e-5 of the taped reference (worst ${worst.toExponential(2)})`);
    enc.dispose();
  });
}

t.test("no heap buffer outlives a forward or a forward + backward pass", async (t) => {
  const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
  const enc = new BiGruEncoder({ inputWidth: W, seed: 3, ...sizes(8, 2, 8, 4) });
  const data = [seqs(new Rng(1), [5, 2]), seqs(new Rng(2), [3])];
  run(enc, data, "encode"); // first use: the kernels' shapes are written once
  const before = backend.dataIdMap.numDataIds();
  run(enc, data, "encode");
  t.equal(backend.dataIdMap.numDataIds(), before);
  enc.dispose();
});

t.test("a weight changed between the forward and the backward pass is refused, not read", async (t) => {
  const enc = new BiGruEncoder({ inputWidth: W, seed: 3, ...sizes(8, 1, 8, 4) });
  const batch = buildContextBatch([seqs(new Rng(1), [4])], W);
  t.throws(
    () =>
      tf.variableGrads(() => {
        const e = enc.encode(batch);
        const v = enc.variables()[0];
        v.assign(tf.add(v, 1));
        return tf.sum(e) as tf.Scalar;
      }, enc.variables()),
    /a weight changed between the forward and the backward pass/,
  );
  tf.dispose([batch.data, batch.stepMask, batch.seqMask]);
  enc.dispose();
});

t.test("useWasmKernels(false): the TF.js formulation runs (other backends' path), with the same numbers", async (t) => {
  const enc = new BiGruEncoder({ inputWidth: W, seed: 5, ...sizes(8, 1, 8, 4) });
  const data = [seqs(new Rng(4), [6, 2])];
  const on = run(enc, data, "encode");
  useWasmKernels(false);
  try {
    t.equal(WasmKernels.get(), undefined);
    const off = run(enc, data, "encode");
    t.equal(bitDiffs(on.emb, off.emb), 0);
    on.g.forEach((g, i) => t.equal(bitDiffs(g, off.g[i]), 0));
  } finally {
    useWasmKernels(true);
  }
  enc.dispose();
});
