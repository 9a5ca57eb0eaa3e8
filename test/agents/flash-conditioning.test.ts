import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";
import { buildContextBatch } from "../../flash/context.js";
import { FlashModel, RLModel } from "../../flash/models.js";
import { Rng } from "../../flash/rng.js";
import { generatePairs, makeFamilyEnv } from "../../envs/classic/family.js";
import { makeClassicEnv } from "../../envs/classic/make.js";
import { DDPG, FIRM_DDPG_DEFAULTS } from "../../agents/ddpg.js";
import { DQN } from "../../agents/dqn.js";
import { PPO } from "../../agents/ppo.js";
import { train } from "../../agents/train.js";
import { EpisodeRecorder, FlashConditioner } from "../../agents/flash-conditioning.js";

await selectBackend();
const root = mkdtempSync(path.join(os.tmpdir(), "flash-cond-"));
const tasks: string[] = [];
t.teardown(() => {
  tasks.forEach((k) => FlashModel.unregister(k));
  rmSync(root, { recursive: true, force: true });
});

/** A fresh small meta learner (hidden 16) on its own buffer and task name. */
function model(stateDim: number, actionDim: number, seed = 0, extra: Partial<Parameters<typeof RLModel.register>[0]> = {}): RLModel {
  const task = `fc${tasks.length}`;
  tasks.push(task);
  const buffer = SqliteBuffer.open(path.join(root, `${task}.sqlite`));
  return RLModel.register({
    task,
    stateDim,
    actionDim,
    buffer,
    encoder: { hidden: 16, fcHidden: 16, embeddingDim: 8 },
    contextSize: 4,
    maxSteps: 20,
    seed,
    ...extra,
  });
}

const snapshot = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));
const same = (a: number[][], b: number[][]) => a.length === b.length && a.every((x, i) => x.every((v, j) => v === b[i][j]));

/** Random trajectories for `pairs` (k each), scaled per pair so contexts differ. */
async function fill(m: RLModel, pairs: string[], rng: Rng, k = 2, T = 12) {
  for (const [pi, p] of pairs.entries()) {
    for (let i = 0; i < k; i++) {
      const s = Float32Array.from({ length: T * m.stateDim }, () => rng.normal() * (1 + pi));
      const a = Float32Array.from({ length: T * m.actionDim }, () => rng.uniform(-1, 1));
      const r = Float32Array.from({ length: T }, () => rng.normal() - pi);
      await m.insertTrajSamples(p, s, a, r);
    }
  }
}

/** Random replay transitions over context ids 0..nCtx-1 (DDPG: scaled actions in [-1, 1]; DQN: indices). */
function fillReplay(agent: DDPG | DQN, obsDim: number, nCtx: number, rng: Rng, n = 200) {
  for (let i = 0; i < n; i++) {
    const o = Float32Array.from({ length: obsDim }, () => rng.normal());
    const o2 = Float32Array.from({ length: obsDim }, () => rng.normal());
    const a = agent instanceof DDPG ? Float32Array.of(rng.uniform(-1, 1)) : Float32Array.of(rng.int(0, 2));
    agent.store(o, o2, a, rng.normal(), false, i % nCtx);
  }
}

const pendulumSpaces = makeClassicEnv("Pendulum-v1");
const ddpgSmall = { ...FIRM_DDPG_DEFAULTS, netArch: [32, 32], batchSize: 32, learningStarts: 0, bufferSize: 1000 };

t.test("DDPG: the critic loss, and only it, updates the meta learner; no tensor leak", async (t) => {
  const m = model(3, 1);
  const cond = new FlashConditioner(m, { pairs: ["a", "b"] });
  await fill(m, ["a", "b"], new Rng(1));
  const run = (actorLr: number, criticLr: number) => {
    const agent = new DDPG(pendulumSpaces, { ...ddpgSmall, actorLearningRate: actorLr, criticLearningRate: criticLr }, { seed: 3, extra: cond });
    fillReplay(agent, 3, 2, new Rng(2));
    const meta0 = snapshot(m.trainableVariables());
    const actor0 = snapshot(agent.actor.variables);
    const critic0 = snapshot(agent.critic.variables);
    agent.train(1);
    const r = {
      meta: !same(meta0, snapshot(m.trainableVariables())),
      actor: !same(actor0, snapshot(agent.actor.variables)),
      critic: !same(critic0, snapshot(agent.critic.variables)),
    };
    return { agent, r };
  };
  // Critic frozen (lr 0): the actor loss alone runs and moves the actor, not the meta learner.
  const actorOnly = run(1e-2, 0);
  t.same(actorOnly.r, { meta: false, actor: true, critic: false }, "actor loss alone: actor moves, meta learner does not");
  actorOnly.agent.dispose();
  const criticOnly = run(0, 1e-2);
  t.same(criticOnly.r, { meta: true, actor: false, critic: true }, "critic loss alone: critic and meta learner move");
  // Cost by design: per update one differentiable pass (critic) and one forward pass (actor,
  // after the critic step moved the weights); the target reads the cached constants.
  const encode = m.encoder.encode.bind(m.encoder);
  let calls = 0;
  m.encoder.encode = (batch) => (calls++, encode(batch));
  criticOnly.agent.train(3);
  t.equal(calls, 6, "two encoder passes per DDPG update");
  m.encoder.encode = encode;
  const n0 = tf.memory().numTensors;
  criticOnly.agent.train(3);
  criticOnly.agent.predict([0.1, 0.2, 0.3], { ctx: 1 });
  t.equal(tf.memory().numTensors, n0, "tensor count flat across updates and acting");
  criticOnly.agent.dispose();
});

t.test("DQN's TD loss and PPO's combined loss update the meta learner", async (t) => {
  const m = model(4, 1);
  const cond = new FlashConditioner(m, { pairs: ["a", "b", "c"] });
  await fill(m, ["a", "b", "c"], new Rng(4));
  const cartpole = makeClassicEnv("CartPole-v1");
  const dqn = new DQN(cartpole, { netArch: [16], batchSize: 16, learningStarts: 0, bufferSize: 500, learningRate: 1e-2 }, { seed: 1, extra: cond });
  fillReplay(dqn, 4, 3, new Rng(5));
  let before = snapshot(m.trainableVariables());
  dqn.train(1);
  t.notOk(same(before, snapshot(m.trainableVariables())), "DQN update moved the meta learner");
  dqn.dispose();

  const ppo = new PPO(cartpole, { nSteps: 8, batchSize: 24, nEpochs: 1, netArch: { pi: [16], vf: [16] } }, { seed: 1, extra: cond });
  ppo.startRollouts(3);
  const rng = new Rng(6);
  const ctx = Int32Array.of(0, 1, 2);
  for (let s = 0; s < 8; s++) {
    ppo.act(
      Float32Array.from({ length: 12 }, () => rng.normal() * 0.05),
      ctx,
    );
    ppo.record(Float32Array.of(1, 1, 1), new Uint8Array(3));
  }
  ppo.finishRollout(new Float32Array(3), new Uint8Array(3));
  before = snapshot(m.trainableVariables());
  t.equal(ppo.train(1).updates, 1);
  t.notOk(same(before, snapshot(m.trainableVariables())), "PPO update moved the meta learner");
  ppo.dispose();
});

t.test("meta updates off: weights fixed across updates, embeddings are the cached constants", async (t) => {
  const m = model(3, 1);
  const cond = new FlashConditioner(m, { pairs: ["a", "b"] });
  await fill(m, ["a", "b"], new Rng(7));
  m.toggleMetaModelUpdate(false);
  t.same(cond.trainableVariables(), []);
  const agent = new DDPG(pendulumSpaces, { ...ddpgSmall, actorLearningRate: 1e-2, criticLearningRate: 1e-2 }, { seed: 3, extra: cond });
  fillReplay(agent, 3, 2, new Rng(8));
  const meta0 = snapshot(m.encoder.variables());
  const critic0 = snapshot(agent.critic.variables);
  agent.train(3);
  t.ok(same(meta0, snapshot(m.encoder.variables())), "meta learner unchanged");
  t.notOk(same(critic0, snapshot(agent.critic.variables)), "the agent itself still trains");
  const e = tf.tidy(() => cond.compute(tf.zeros([3, 3]), Int32Array.of(1, 0, 1)).arraySync());
  t.same(e[0], Array.from(m.getEmbedding("b")));
  t.same(e[1], Array.from(m.getEmbedding("a")));
  agent.dispose();
  m.toggleMetaModelUpdate(true);
});

t.test("four envs, four pendulum pairs, PPO stepping them together: four different embeddings", async (t) => {
  const m = model(3, 1);
  const cond = new FlashConditioner(m);
  const rec = new EpisodeRecorder(m);
  const pairs = generatePairs("pendulum", 4, new Rng(11));
  const envs = pairs.map((p, i) => makeFamilyEnv("pendulum", p, i));
  const agent = new PPO(envs[0], { nSteps: 200, batchSize: 800, nEpochs: 1, netArch: { pi: [16], vf: [16] } }, { seed: 2, extra: cond });
  const res = train(agent, envs, { totalTimesteps: 800, seed: 2, contextId: cond.contextId, onTransition: rec.onTransition, afterTrain: cond.afterUpdate });
  await rec.flush();
  t.equal(res.episodeReturns.length, 4, "each env finished one 200-step episode");
  t.equal(rec.inserted, 4);
  t.same(
    cond.pairs(),
    pairs.map((p) => p.id),
    "context ids in env order",
  );
  t.same(m.pairs().slice().sort(), pairs.map((p) => p.id).sort(), "one episode per pair in the buffer");
  for (const p of pairs) t.equal(m.context(p.id)[0].steps, 200);
  const emb = pairs.map((p) => Array.from(m.getEmbedding(p.id)));
  for (let i = 0; i < 4; i++) {
    t.ok(
      emb[i].some((v) => v !== 0),
      `pair ${i} has a non-zero embedding`,
    );
    for (let j = i + 1; j < 4; j++)
      t.ok(
        emb[i].some((v, k) => Math.abs(v - emb[j][k]) > 1e-6),
        `pairs ${i} and ${j} differ`,
      );
  }
  agent.dispose();
});

t.test("same seed, same embeddings and returns (DDPG over two pairs in sequence)", async (t) => {
  const run = async () => {
    const m = model(3, 1, 5);
    const cond = new FlashConditioner(m, { contextSubsample: 1, seed: 5 });
    const rec = new EpisodeRecorder(m);
    const pairs = generatePairs("pendulum", 2, new Rng(12));
    const agent = new DDPG(pendulumSpaces, { ...ddpgSmall, learningStarts: 200 }, { seed: 5, extra: cond });
    const returns: number[] = [];
    for (const [i, p] of pairs.entries()) {
      // One episode per pair to fill the context, then a few updates with both pairs in the replay.
      const r = train(agent, makeFamilyEnv("pendulum", p, i), {
        totalTimesteps: i === 0 ? 200 : 215,
        seed: 5 + i,
        contextId: cond.contextId,
        onTransition: rec.onTransition,
        afterTrain: cond.afterUpdate,
      });
      await rec.flush();
      returns.push(...r.episodeReturns);
    }
    const out = {
      returns,
      emb: pairs.map((p) => Array.from(m.getEmbedding(p.id))),
      act: Array.from(agent.predict([1, 0, 0], { ctx: 1 })),
      updates: agent.nUpdates,
    };
    agent.dispose();
    return out;
  };
  const a = await run();
  const b = await run();
  t.equal(a.updates, 15);
  t.same(a.returns, b.returns);
  t.same(a.emb, b.emb);
  t.same(a.act, b.act);
  t.ok(
    a.emb[0].some((v, k) => v !== a.emb[1][k]),
    "the two pairs' embeddings differ",
  );
});

t.test("context subsampling: K trajectories per pair per training batch; serving reads the full context", async (t) => {
  const m = model(3, 1);
  const cond = new FlashConditioner(m, { pairs: ["a"], contextSubsample: 1, seed: 1 });
  await fill(m, ["a"], new Rng(9), 3);
  const x = tf.zeros([2, 3]) as tf.Tensor2D;
  let got: number[][] = [];
  tf.variableGrads(() => {
    const e = cond.compute(x, Int32Array.of(0, 0));
    got = e.arraySync();
    return tf.sum(e) as tf.Scalar;
  }, m.trainableVariables());
  t.same(got[0], got[1], "one embedding per pair per batch");
  const singles = m.context("a").map((rec) => tf.tidy(() => Array.from(m.encoder.encode(buildContextBatch([[rec]], 5, { maxSteps: m.maxSteps })).dataSync())));
  t.ok(
    singles.some((s) => s.every((v, k) => Math.abs(v - got[0][k]) < 1e-5)),
    "the training embedding is one trajectory's",
  );
  t.notOk(
    singles.some((s) => s.every((v, k) => Math.abs(v - Array.from(m.getEmbedding("a"))[k]) < 1e-5)),
    "getEmbedding averages all of them",
  );
  x.dispose();
});

t.test("bad input: unknown pair or context id, wrong shapes, envs without a pair", async (t) => {
  const m = model(3, 1);
  const cond = new FlashConditioner(m, { pairs: ["a"] });
  t.equal(cond.addPair("a"), 0, "addPair is idempotent");
  t.equal(cond.addPair("b"), 1);
  t.equal(cond.pairOf(1), "b");
  t.throws(() => cond.ctxOf("zz"), { name: "ValueError", message: /unknown pair "zz"; registered pairs are "a", "b"/ });
  t.throws(() => cond.pairOf(7), { message: /unknown context id 7; ids 0\.\.1 are registered/ });
  t.throws(() => cond.pairOf(-1), { message: /unknown context id -1/ });
  t.throws(() => tf.tidy(() => cond.compute(tf.zeros([1, 3]), Int32Array.of(5))), { message: /unknown context id 5/ });
  t.throws(() => tf.tidy(() => cond.compute(tf.zeros([2, 4]), Int32Array.of(0, 0))), {
    name: "ShapeError",
    message: /observations: expected \[B, 3\].*got \[2, 4\]/,
  });
  t.throws(() => tf.tidy(() => cond.compute(tf.zeros([2, 3]), Int32Array.of(0))), { name: "ShapeError", message: /context ids: expected 2/ });
  t.throws(() => cond.addPair(""), { message: /non-empty string/ });
  t.throws(() => new FlashConditioner(m, { contextSubsample: 0 }), { message: /contextSubsample: expected a positive integer/ });
  const plain = makeClassicEnv("Pendulum-v1");
  t.throws(() => cond.contextId(plain, 0), { message: /env 0 \(Pendulum-v1\) has no pair/ });
  const rec = new EpisodeRecorder(m);
  const env = makeFamilyEnv("pendulum", { id: "p", params: { m: 1, l: 1, g: 10 } });
  t.throws(() => rec.onTransition({ env, index: 0, obs: Float32Array.of(0, 0), action: Float32Array.of(0), reward: 0, terminated: false, truncated: false }), {
    name: "ShapeError",
    message: /observation of env 0: expected 3 numbers/,
  });
  t.throws(
    () => rec.onTransition({ env: plain, index: 0, obs: Float32Array.of(0, 0, 0), action: Float32Array.of(0), reward: 0, terminated: false, truncated: false }),
    { message: /has no pair/ },
  );
  // A DDPG agent with the conditioner refuses a wrong observation size before FLASH sees it.
  const agent = new DDPG(pendulumSpaces, ddpgSmall, { extra: cond });
  t.throws(() => agent.predict([0, 1]), /observation of 3 numbers, got 2/);
  agent.dispose();
});

t.test("acting embedding fixed per episode: weights move, acting reads the same values until the pair's data changes", async (t) => {
  const m = model(3, 1, 11);
  await fill(m, ["p"], new Rng("per-episode"));
  const cond = new FlashConditioner(m, { pairs: ["p"] });
  const obs = tf.zeros([1, 3]) as tf.Tensor2D;
  const read = (purpose: "act" | "learn") => tf.tidy(() => Array.from(cond.compute(obs, Int32Array.of(0), purpose).dataSync()));
  const before = read("act");
  // Move the meta learner's weights as an optimiser step would.
  for (const v of m.trainableVariables()) v.assign(tf.add(v, 0.05));
  cond.afterUpdate();
  t.same(read("act"), before, "same acting embedding within the episode");
  t.notSame(read("learn"), before, "training reads the new weights");
  await fill(m, ["p"], new Rng("next-episode"), 1);
  t.notSame(read("act"), before, "a finished episode refreshes the acting embedding");
  const perStep = new FlashConditioner(m, { pairs: ["p"], acting: "step" });
  const a0 = tf.tidy(() => Array.from(perStep.compute(obs, Int32Array.of(0), "act").dataSync()));
  for (const v of m.trainableVariables()) v.assign(tf.add(v, 0.05));
  perStep.afterUpdate();
  t.notSame(
    tf.tidy(() => Array.from(perStep.compute(obs, Int32Array.of(0), "act").dataSync())),
    a0,
    'acting: "step" follows every update',
  );
  obs.dispose();
});

t.test("warm-up context: used while the pair has no episode of its own, never in its buffer", async (t) => {
  const m = model(3, 1, 12);
  const cond = new FlashConditioner(m, { pairs: ["w"] });
  const T = 5;
  const w = 3 + 1 + 1;
  const data = Float32Array.from({ length: T * w }, (_, i) => Math.sin(i));
  cond.setWarmup("w", { steps: T, width: w, data });
  const obs = tf.zeros([1, 3]) as tf.Tensor2D;
  const warm = tf.tidy(() => Array.from(cond.compute(obs, Int32Array.of(0), "learn").dataSync()));
  t.ok(
    warm.some((v) => v !== 0),
    "the warm-up episode gives a non-zero embedding",
  );
  t.equal(m.buffer.count(m.task, "w"), 0, "and is not in the buffer");
  await fill(m, ["w"], new Rng("own"), 1);
  t.equal(cond.contextOf("w").length, 1, "after its first own episode the context is that episode only");
  t.not(cond.contextOf("w")[0].data, data);
  t.throws(() => cond.setWarmup("w", { steps: T, width: w + 1, data }), /width/);
  obs.dispose();
});

t.test("frozen: an empty context reads `emptyContext`, a pinned pair its pin", async (t) => {
  const m = model(3, 1, 13);
  await fill(m, ["a"], new Rng("frozen"));
  m.toggleMetaModelUpdate(false);
  const avg = [0.5, -0.5, 0.25, 0, 1, 2, -1, 0.125];
  const cond = new FlashConditioner(m, { pairs: ["a", "new"], emptyContext: avg });
  const obs = tf.zeros([2, 3]) as tf.Tensor2D;
  const rows = tf.tidy(() => cond.compute(obs, Int32Array.of(0, 1), "act").arraySync() as number[][]);
  t.same(
    rows[0].map((x) => Math.fround(x)),
    Array.from(m.getEmbedding("a")),
    "a pair with context: its embedding",
  );
  t.same(rows[1], avg.map(Math.fround), "a pair with no data yet: the given embedding, not the zero vector");
  cond.pin("a", new Array(8).fill(0));
  t.same(tf.tidy(() => cond.compute(obs, Int32Array.of(0, 1), "act").arraySync() as number[][])[0], new Array(8).fill(0), "pinned");
  cond.pin("a", undefined);
  t.throws(() => cond.pin("a", [1, 2]), /8 finite numbers/);
  m.toggleMetaModelUpdate(true);
  cond.pin("a", avg);
  t.throws(() => tf.tidy(() => cond.compute(obs, Int32Array.of(0, 1))), /pinned embeddings are for serving/);
  obs.dispose();
});

t.test("auxiliary dynamics loss: afterUpdate trains the encoder with it (and not without it, nor when frozen); the loss falls", async (t) => {
  const m = model(3, 1);
  const plain = new FlashConditioner(m, { pairs: ["a", "b"] });
  await fill(m, ["a", "b"], new Rng(11));
  let before = snapshot(m.trainableVariables());
  plain.afterUpdate();
  t.ok(same(before, snapshot(m.trainableVariables())), "no auxLoss: afterUpdate leaves the meta learner alone");
  t.same(plain.auxVariables(), []);

  const cond = new FlashConditioner(m, { pairs: ["a", "b"], seed: 3, auxLoss: { kind: "dynamics", batch: 32, learningRate: 1e-2 } });
  t.teardown(() => cond.dispose());
  const head0 = snapshot(cond.auxVariables());
  cond.afterUpdate();
  t.notOk(same(before, snapshot(m.trainableVariables())), "auxLoss: one afterUpdate moved the encoder's variables");
  t.notOk(same(head0, snapshot(cond.auxVariables())), "and the head's");
  t.ok(Number.isFinite(cond.lastAuxLoss));
  const losses: number[] = [cond.lastAuxLoss];
  for (let i = 0; i < 60; i++) {
    cond.afterUpdate();
    losses.push(cond.lastAuxLoss);
  }
  const avg = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  t.ok(
    avg(losses.slice(-10)) < avg(losses.slice(0, 10)),
    `the auxiliary loss falls (${avg(losses.slice(0, 10)).toFixed(3)} -> ${avg(losses.slice(-10)).toFixed(3)})`,
  );

  m.toggleMetaModelUpdate(false);
  before = snapshot(m.encoder.variables());
  cond.afterUpdate();
  t.ok(same(before, snapshot(m.encoder.variables())), "meta updates off: nothing trains");
  m.toggleMetaModelUpdate(true);
  t.throws(() => new FlashConditioner(m, { auxLoss: { kind: "reward" as never } }), {
    name: "ValueError",
    message: /auxLoss.kind: expected "dynamics", got "reward"/,
  });
  t.throws(() => new FlashConditioner(m, { auxLoss: { kind: "dynamics", learningRate: -1 } }), { name: "ShapeError" });
});

t.test("auxiliary dynamics loss through the training loop: DQN's afterTrain hook trains it, no tensor leak", async (t) => {
  const m = model(4, 1);
  const cond = new FlashConditioner(m, { pairs: ["a"], auxLoss: { kind: "dynamics", batch: 16 } });
  t.teardown(() => cond.dispose());
  await fill(m, ["a"], new Rng(12));
  const env = makeFamilyEnv("cartpole", generatePairs("cartpole", 1, new Rng(1))[0], 1);
  const dqn = new DQN(env, { netArch: [16], batchSize: 16, learningStarts: 0, bufferSize: 500, learningRate: 1e-3 }, { seed: 1, extra: cond });
  const head0 = snapshot(cond.auxVariables());
  train(dqn, env, { totalTimesteps: 20, seed: 1, contextId: () => cond.ctxOf("a"), afterTrain: cond.afterUpdate });
  const n0 = tf.memory().numTensors;
  train(dqn, env, { totalTimesteps: 20, seed: 2, contextId: () => cond.ctxOf("a"), afterTrain: cond.afterUpdate });
  t.ok(tf.memory().numTensors <= n0 + 2, `tensors ${n0} -> ${tf.memory().numTensors}`);
  t.notOk(same(head0, snapshot(cond.auxVariables())), "the head trained during DQN's training");
  t.ok(Number.isFinite(cond.lastAuxLoss));
  dqn.dispose();
});
