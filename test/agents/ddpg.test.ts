import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { box } from "../../envs/env.js";
import { DDPG, FIRM_DDPG_DEFAULTS } from "../../agents/ddpg.js";
import { train } from "../../agents/train.js";
import { evaluatePolicy } from "../../agents/evaluate.js";
import type { ExtraInput } from "../../agents/extra.js";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Reach } from "../helpers/toy-envs.js";

await selectBackend();

const small = { ...FIRM_DDPG_DEFAULTS, netArch: [64, 64], learningStarts: 200, bufferSize: 10_000 };

t.test("DDPG improves its deterministic return on a small continuous task", async (t) => {
  const env = new Reach();
  const agent = new DDPG(env, small, { seed: 1 });
  const before = evaluatePolicy(agent, new Reach(), { episodes: 10, seed: 50 }).mean;
  train(agent, env, { totalTimesteps: 1500, seed: 1 });
  const after = evaluatePolicy(agent, new Reach(), { episodes: 10, seed: 50 }).mean;
  t.ok(after > -0.5 && after > before + 0.5, `return ${before.toFixed(2)} -> ${after.toFixed(2)}`);
  agent.dispose();
});

t.test("actions: scaled to the box, noise clipped, stored in [-1, 1]", async (t) => {
  const env = new Reach();
  const agent = new DDPG(env, { ...small, actionNoise: { type: "normal", sigma: 5 }, learningStarts: 0 }, { seed: 2 });
  for (let i = 0; i < 50; i++) {
    const a = agent.collectAction(Float32Array.of(0.3), 10, 0);
    t.ok(Math.abs(a.buffer[0]) <= 1 && Math.abs(a.env[0] - 2 * a.buffer[0]) < 1e-6);
  }
  t.same(Array.from(agent.scale(agent.unscale(Float32Array.of(0.25)))), [0.25]);
  t.throws(() => agent.store(Float32Array.of(0), Float32Array.of(0), Float32Array.of(1.5), 0, false), /\[-1, 1\]/);
  t.throws(() => agent.store(Float32Array.of(0), Float32Array.of(0), Float32Array.of(0.5), Infinity, false), /finite/);
  t.throws(() => agent.predict([0, 1]), /observation of 1 numbers, got 2/);
  t.throws(() => new DDPG({ observationSpace: box([0], [1]), actionSpace: box([-Infinity], [1]) }), /finite action bounds/);
  agent.dispose();
});

// Episode ends (truncation bootstraps, termination does not): test/agents/episode-ends.test.ts.

t.test("same seed, same numbers; no tensor leak; save/load", async (t) => {
  const run = () => {
    const env = new Reach();
    const agent = new DDPG(env, { ...small, learningStarts: 50 }, { seed: 7 });
    const r = train(agent, env, { totalTimesteps: 120, seed: 7 });
    return { agent, returns: r.episodeReturns, act: Array.from(agent.predict([0.5])) };
  };
  const a = run();
  const b = run();
  t.same(a.returns, b.returns);
  t.same(a.act, b.act);
  b.agent.dispose();
  const n0 = tf.memory().numTensors;
  a.agent.train(10);
  a.agent.predict([0.1]);
  t.equal(tf.memory().numTensors, n0, "tensor count flat across updates");
  const dir = mkdtempSync(path.join(os.tmpdir(), "ddpg-"));
  try {
    await a.agent.save(path.join(dir, "ck"), "Reach");
    const c = new DDPG(new Reach(), small, { seed: 123 });
    await c.load(path.join(dir, "ck"), "Reach");
    t.same(Array.from(c.predict([0.5])), Array.from(a.agent.predict([0.5])));
    await t.rejects(c.load(path.join(dir, "ck"), "Other"), /task/);
    c.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  a.agent.dispose();
});

t.test("the extra-input hook widens the nets and its variables train with the critic loss", async (t) => {
  const emb = tf.variable(tf.zeros([2, 3]));
  const extra: ExtraInput = {
    dim: 3,
    // A one-hot product rather than tf.gather: gather's gradient (UnsortedSegmentSum) has no WASM kernel.
    compute: (_obs, ctx) => tf.matMul(tf.oneHot(tf.tensor1d(ctx, "int32"), 2), emb) as tf.Tensor2D,
    trainableVariables: () => [emb],
  };
  const env = new Reach();
  const agent = new DDPG(env, { ...small, learningStarts: 20 }, { seed: 0, extra });
  t.equal(agent.actor.inputDim, 4);
  t.equal(agent.critic.inputDim, 5);
  train(agent, env, { totalTimesteps: 60, seed: 0, contextId: () => 1 });
  const e = emb.arraySync() as number[][];
  t.same(e[0], [0, 0, 0], "row of an unused context untouched");
  t.ok(
    e[1].some((v) => v !== 0),
    "row of the used context trained",
  );
  agent.dispose();
  emb.dispose();
});
