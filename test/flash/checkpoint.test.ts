import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { loadCheckpoint, readManifest, saveCheckpoint } from "../../flash/checkpoint.js";
import { CheckpointError } from "../../flash/errors.js";

await selectBackend();
const root = mkdtempSync(path.join(os.tmpdir(), "flash-ckpt-"));

function content() {
  return {
    kind: "unit",
    task: "pendulum",
    dims: { stateDim: 3, actionDim: 1 },
    config: { hidden: 8 },
    tensors: {
      "a/kernel": tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      "a/bias": tf.tensor1d([0.5, -0.5]),
      steps: tf.scalar(7, "int32"),
    },
  };
}

t.test("round trip keeps names, shapes, dtypes and values", async (t) => {
  const dir = path.join(root, "rt");
  await saveCheckpoint(dir, content());
  const { manifest, tensors } = await loadCheckpoint(dir, { kind: "unit", task: "pendulum", dims: { stateDim: 3, actionDim: 1 } });
  t.equal(manifest.config.hidden, 8);
  t.same(Object.keys(tensors).sort(), ["a/bias", "a/kernel", "steps"]);
  t.same(tensors["a/kernel"].shape, [2, 2]);
  t.same(Array.from(tensors["a/kernel"].dataSync()), [1, 2, 3, 4]);
  t.equal(tensors.steps.dtype, "int32");
  t.same(
    readdirSync(root).filter((f) => f.includes(".tmp-")),
    [],
    "no temporary directory left behind",
  );
});

t.test("saving over an existing checkpoint replaces it whole", async (t) => {
  const dir = path.join(root, "over");
  await saveCheckpoint(dir, content());
  const c = content();
  c.tensors["a/bias"] = tf.tensor1d([9, 9]);
  await saveCheckpoint(dir, c);
  const { tensors } = await loadCheckpoint(dir, { kind: "unit" });
  t.same(Array.from(tensors["a/bias"].dataSync()), [9, 9]);
  t.same(
    readdirSync(root).filter((f) => f.startsWith("over.")),
    [],
    "no old or temporary copies left",
  );
});

t.test("mismatches are refused with what differs", async (t) => {
  const dir = path.join(root, "mm");
  await saveCheckpoint(dir, content());
  await t.rejects(loadCheckpoint(dir, { kind: "ddpg" }), { name: "CheckpointError", message: /holds a "unit", expected a "ddpg"/ });
  await t.rejects(loadCheckpoint(dir, { kind: "unit", task: "cartpole" }), { message: /task "pendulum", expected task "cartpole"/ });
  await t.rejects(loadCheckpoint(dir, { kind: "unit", dims: { stateDim: 4, actionDim: 1 } }), { message: /stateDim: checkpoint has 3, expected 4/ });
  await t.rejects(loadCheckpoint(dir, { kind: "unit", dims: { embeddingDim: 32 } }), { message: /embeddingDim: checkpoint has nothing, expected 32/ });
});

t.test("truncated, altered, missing and corrupt files are refused", async (t) => {
  const mk = async (name: string) => {
    const dir = path.join(root, name);
    await saveCheckpoint(dir, content());
    return dir;
  };
  const trunc = await mk("trunc");
  const w = readFileSync(path.join(trunc, "weights.bin"));
  writeFileSync(path.join(trunc, "weights.bin"), w.subarray(0, w.length - 4));
  await t.rejects(loadCheckpoint(trunc, { kind: "unit" }), { message: /has 24 bytes, the manifest says 28/ });

  const alt = await mk("alt");
  const w2 = readFileSync(path.join(alt, "weights.bin"));
  w2[3] ^= 0xff;
  writeFileSync(path.join(alt, "weights.bin"), w2);
  await t.rejects(loadCheckpoint(alt, { kind: "unit" }), { message: /SHA-256/ });

  const bad = await mk("badjson");
  writeFileSync(path.join(bad, "manifest.json"), "{ not json");
  await t.rejects(readManifest(bad), { message: /not valid JSON/ });

  const ver = await mk("ver");
  const m = JSON.parse(readFileSync(path.join(ver, "manifest.json"), "utf8"));
  m.formatVersion = 99;
  writeFileSync(path.join(ver, "manifest.json"), JSON.stringify(m));
  await t.rejects(readManifest(ver), { message: /format version 99 is not supported/ });

  const esc = await mk("escape");
  const m2 = JSON.parse(readFileSync(path.join(esc, "manifest.json"), "utf8"));
  m2.weightsFile = "../trunc/weights.bin";
  writeFileSync(path.join(esc, "manifest.json"), JSON.stringify(m2));
  await t.rejects(loadCheckpoint(esc, { kind: "unit" }), { message: /plain file name/ });

  await t.rejects(readManifest(path.join(root, "nowhere")), CheckpointError);
  t.ok(existsSync(path.join(trunc, "manifest.json")), "a refused load changes nothing on disk");
});

t.test("non-float dtypes and non-finite dims are refused at save", async (t) => {
  await t.rejects(saveCheckpoint(path.join(root, "b"), { ...content(), tensors: { b: tf.tensor1d([1], "bool") } }), { message: /dtype bool/ });
  await t.rejects(saveCheckpoint(path.join(root, "n"), { ...content(), dims: { x: NaN } }), { message: /dims.x/ });
});
