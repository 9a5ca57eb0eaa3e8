import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { makeClassicEnv } from "../../envs/classic/make.js";
import { DQN, ZOO_DQN_CARTPOLE } from "../../agents/dqn.js";
import { train } from "../../agents/train.js";
import { evaluatePolicy } from "../../agents/evaluate.js";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

await selectBackend();

// The zoo's CartPole setting on a smaller net and budget, so the test takes seconds.
const quick = { ...ZOO_DQN_CARTPOLE.config, netArch: [64, 64] };

t.test("DQN learns CartPole on a small budget", async (t) => {
  const env = makeClassicEnv("CartPole-v1", 0);
  const agent = new DQN(env, quick, { seed: 0 });
  const before = evaluatePolicy(agent, makeClassicEnv("CartPole-v1"), { episodes: 5, seed: 100 }).mean;
  const res = train(agent, env, { totalTimesteps: 6000, seed: 0 });
  const after = evaluatePolicy(agent, makeClassicEnv("CartPole-v1"), { episodes: 5, seed: 100 }).mean;
  t.ok(res.updates > 0, `${res.updates} updates ran`);
  t.ok(after > 100 && after > 3 * before, `greedy return ${before.toFixed(1)} -> ${after.toFixed(1)}`);
  t.ok(agent.explorationRate === quick.explorationFinalEps, "epsilon annealed to its final value");
  agent.dispose();
});

t.test("same seed gives the same returns and weights", async (t) => {
  const run = () => {
    const env = makeClassicEnv("CartPole-v1", 3);
    const agent = new DQN(env, { ...quick, learningStarts: 200, trainFreq: 50, gradientSteps: 10 }, { seed: 3 });
    const res = train(agent, env, { totalTimesteps: 1200, seed: 3 });
    const q = Array.from(agent.qValues([0.01, 0.02, 0.03, 0.04]));
    agent.dispose();
    return { returns: res.episodeReturns, q };
  };
  const a = run();
  const b = run();
  t.same(a.returns, b.returns);
  t.same(a.q, b.q);
});

t.test("clear errors for wrong sizes, NaN rewards and invalid actions", async (t) => {
  const env = makeClassicEnv("CartPole-v1", 0);
  const agent = new DQN(env, quick, { seed: 0 });
  t.throws(() => agent.predict([1, 2, 3]), /observation of 4 numbers, got 3/);
  t.throws(() => agent.predict([1, 2, NaN, 4]), /finite/);
  const o = new Float32Array(4);
  t.throws(() => agent.store(o, o, Float32Array.of(0), NaN, false), /finite/);
  t.throws(() => agent.store(o, o, Float32Array.of(2), 1, false), /integer in \[0, 2\)/);
  t.throws(() => agent.store(o, o, Float32Array.of(0.5), 1, false), /integer in \[0, 2\)/);
  t.throws(() => new DQN(makeClassicEnv("Pendulum-v1"), {}), /Discrete action space/);
  t.throws(() => train(agent, makeClassicEnv("Pendulum-v1"), { totalTimesteps: 10 }), /observations of 3 numbers/);
  agent.dispose();
});

t.test("no tensor leak across updates; save and load round-trip", async (t) => {
  const env = makeClassicEnv("CartPole-v1", 0);
  const agent = new DQN(env, { ...quick, learningStarts: 50, batchSize: 16 }, { seed: 0 });
  train(agent, env, { totalTimesteps: 300, seed: 0 });
  agent.train(3);
  const n0 = tf.memory().numTensors;
  agent.train(20);
  for (let i = 0; i < 20; i++) agent.predict([0, 0, 0, 0]);
  t.equal(tf.memory().numTensors, n0, "tensor count flat");
  const dir = mkdtempSync(path.join(os.tmpdir(), "dqn-"));
  try {
    await agent.save(path.join(dir, "ck"), "CartPole-v1");
    const other = new DQN(env, quick, { seed: 99 });
    const obs = [0.1, -0.2, 0.03, 0.4];
    t.notSame(Array.from(other.qValues(obs)), Array.from(agent.qValues(obs)));
    await other.load(path.join(dir, "ck"), "CartPole-v1");
    t.same(Array.from(other.qValues(obs)), Array.from(agent.qValues(obs)));
    const wide = new DQN(
      { observationSpace: { ...env.observationSpace, shape: [5], low: new Float32Array(5), high: new Float32Array(5) }, actionSpace: env.actionSpace },
      quick,
    );
    await t.rejects(wide.load(path.join(dir, "ck")), /obsDim/);
    other.dispose();
    wide.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  agent.dispose();
});
