import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { makeClassicEnv } from "../../envs/classic/make.js";
import { PPO, ZOO_PPO_CARTPOLE, ZOO_PPO_PENDULUM } from "../../agents/ppo.js";
import { RolloutBuffer } from "../../agents/rollout.js";
import { train } from "../../agents/train.js";
import { linearToZero } from "../../agents/schedule.js";
import { evaluatePolicy } from "../../agents/evaluate.js";
import { Countdown, Match } from "../helpers/toy-envs.js";

await selectBackend();

t.test("PPO learns CartPole with the zoo setting on a small budget", async (t) => {
  const envs = Array.from({ length: 8 }, () => makeClassicEnv("CartPole-v1"));
  const agent = new PPO(envs[0], ZOO_PPO_CARTPOLE.config, { seed: 0 });
  const before = evaluatePolicy(agent, makeClassicEnv("CartPole-v1"), { episodes: 5, seed: 100 }).mean;
  const res = train(agent, envs, { totalTimesteps: 16_384, seed: 0 });
  const after = evaluatePolicy(agent, makeClassicEnv("CartPole-v1"), { episodes: 5, seed: 100 }).mean;
  t.equal(res.updates, (16_384 / 256) * 20, "one minibatch of 256 per epoch, 20 epochs per rollout");
  t.ok(after > 150 && after > 3 * before, `greedy return ${before.toFixed(1)} -> ${after.toFixed(1)}`);
  agent.dispose();
});

t.test("PPO with a Gaussian policy improves on a Box task; env actions clipped, samples stored unclipped", async (t) => {
  const envs = [new Match(), new Match()];
  const agent = new PPO(envs[0], { nSteps: 128, batchSize: 64, nEpochs: 10, learningRate: 3e-3 }, { seed: 1 });
  const before = evaluatePolicy(agent, new Match(), { episodes: 50, seed: 9 }).mean;
  train(agent, envs, { totalTimesteps: 4096, seed: 1 });
  const after = evaluatePolicy(agent, new Match(), { episodes: 50, seed: 9 }).mean;
  t.ok(after > -0.05 && after > before + 0.1, `return ${before.toFixed(3)} -> ${after.toFixed(3)}`);
  // log_std starts at 0 (std 1), so some samples fall outside [-1, 1]: env gets them clipped.
  const fresh = new PPO(envs[0], { nSteps: 40 }, { seed: 2 });
  fresh.startRollouts(1);
  let outside = 0;
  for (let i = 0; i < 40; i++) {
    const [a] = fresh.act(Float32Array.of(0), Int32Array.of(0));
    t.ok(Math.abs(a[0]) <= 1);
    fresh.record(Float32Array.of(0), Uint8Array.of(0));
  }
  const buf = (fresh as unknown as { buffer: RolloutBuffer }).buffer;
  for (const v of buf.actions) if (Math.abs(v) > 1) outside++;
  t.ok(outside > 0, `${outside} of 40 stored samples lie outside the box (unclipped)`);
  agent.dispose();
  fresh.dispose();
});

t.test("GAE matches a hand computation, with episode starts cutting the recursion", async (t) => {
  const b = new RolloutBuffer(3, 1, 1, 1);
  const o = Float32Array.of(0);
  const vals = [1, 2, 3];
  const starts = [1, 0, 1];
  for (let s = 0; s < 3; s++) {
    b.addPolicyStep(o, o, Float32Array.of(vals[s]), Float32Array.of(0), Int32Array.of(0));
    b.setRewards(Float32Array.of(1), Uint8Array.of(starts[s]));
  }
  const g = 0.9;
  const l = 0.5;
  b.computeReturnsAndAdvantage(Float32Array.of(10), Uint8Array.of(0), g, l);
  const d2 = 1 + g * 10 - 3;
  const d1 = 1 + 0 - 2; // step 2 starts a new episode: no bootstrap from it
  const d0 = 1 + g * 2 - 1;
  const a2 = d2;
  const a1 = d1;
  const a0 = d0 + g * l * a1;
  t.ok(
    Math.abs(b.advantages[2] - a2) < 1e-5 && Math.abs(b.advantages[1] - a1) < 1e-5 && Math.abs(b.advantages[0] - a0) < 1e-5,
    Array.from(b.advantages).join(","),
  );
  t.ok(Math.abs(b.returns[0] - (a0 + 1)) < 1e-5);
});

// The truncation bootstrap (r + gamma * V(final observation)): test/agents/episode-ends.test.ts.
t.test("determinism; no leak; errors", async (t) => {
  const run = () => {
    const envs = [makeClassicEnv("CartPole-v1"), makeClassicEnv("CartPole-v1")];
    const a = new PPO(envs[0], { nSteps: 64, batchSize: 32, nEpochs: 2 }, { seed: 5 });
    const r = train(a, envs, { totalTimesteps: 512, seed: 5 });
    const out = { returns: r.episodeReturns, v: Array.from(a.values(Float32Array.of(0.1, 0, 0, 0), Int32Array.of(0))) };
    return { a, out };
  };
  const x = run();
  const y = run();
  t.same(x.out, y.out, "same seed, same returns and values");
  y.a.dispose();
  const n0 = tf.memory().numTensors;
  train(x.a, [makeClassicEnv("CartPole-v1"), makeClassicEnv("CartPole-v1")], { totalTimesteps: 256, seed: 1 });
  t.equal(tf.memory().numTensors, n0, "tensor count flat across rollouts and updates");
  t.throws(() => x.a.predict([0, 0]), /observation of 4 numbers/);
  t.throws(() => x.a.act(new Float32Array(8).fill(NaN), new Int32Array(2)), /finite/);
  x.a.dispose();
});

t.test("a budget that is not a multiple of the rollout (progress goes below 0) trains with a linear clip schedule", async (t) => {
  const envs = [makeClassicEnv("CartPole-v1"), makeClassicEnv("CartPole-v1")];
  const a = new PPO(envs[0], { nSteps: 16, batchSize: 32, nEpochs: 1, clipRange: linearToZero(0.2), learningRate: linearToZero(1e-3) }, { seed: 2 });
  // 2 envs x 16 steps = 32 per rollout; 100 steps need 4 rollouts (128), the last at progress -0.28.
  const r = train(a, envs, { totalTimesteps: 100, seed: 2 });
  t.equal(r.timesteps, 128, "SB3 semantics: the last rollout overshoots the budget");
  a.dispose();
});

/** Private gSDE state, for white-box checks. */
interface SdeInternals {
  buffer: RolloutBuffer;
  sdeMats: Float32Array[];
  sdeLogProb(head: tf.Tensor2D, latent: tf.Tensor2D, actions: tf.Tensor2D): { logp: tf.Tensor1D; entropy: tf.Scalar };
  piLatent(x: tf.Tensor2D): { latent: tf.Tensor2D; head: tf.Tensor2D };
}

t.test("gSDE: log-prob of a sampled action matches a hand computation; the loss's log-prob agrees", async (t) => {
  // obs 1 -> hidden [2] tanh -> action 1; log_std a [2, 1] matrix.
  const agent = new PPO(new Match(), { useSde: true, sdeSampleFreq: 4, nSteps: 4, netArch: { pi: [2], vf: [2] }, logStdInit: -0.5 }, { seed: 3 });
  t.same(agent.logStd!.shape, [2, 1], "full_std: one log_std per latent unit and action");
  agent.logStd!.assign(tf.tensor2d([[-0.5], [0.3]]));
  const internals = agent as unknown as SdeInternals;
  agent.startRollouts(1);
  const x = 0.7;
  const [envA] = agent.act(Float32Array.of(x), Int32Array.of(0));
  const [w0, b0, w1, b1] = agent.pi.variables.map((v) => Array.from(v.dataSync()));
  const latent = [0, 1].map((j) => Math.tanh(x * w0[j] + b0[j]));
  const mean = latent[0] * w1[0] + latent[1] * w1[1] + b1[0];
  const std = [Math.exp(-0.5), Math.exp(0.3)];
  const mat = internals.sdeMats[0];
  const action = mean + latent[0] * mat[0] + latent[1] * mat[1];
  const sigma = Math.sqrt(latent[0] ** 2 * std[0] ** 2 + latent[1] ** 2 * std[1] ** 2 + 1e-6);
  const lp = -0.5 * ((action - mean) / sigma) ** 2 - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
  const buf = internals.buffer;
  t.ok(Math.abs(buf.actions[0] - action) < 1e-5, `action ${buf.actions[0]} vs ${action}`);
  t.ok(Math.abs(buf.logProbs[0] - lp) < 1e-4, `log-prob ${buf.logProbs[0]} vs ${lp}`);
  t.ok(Math.abs(envA[0] - Math.min(1, Math.max(-1, action))) < 1e-6, "env action is the clipped sample");
  const [tfLp, tfEnt] = tf.tidy(() => {
    const p = internals.piLatent(tf.tensor2d([[x]]));
    const r = internals.sdeLogProb(p.head, p.latent, tf.tensor2d([[action]]));
    return [r.logp.dataSync()[0], r.entropy.dataSync()[0]];
  });
  t.ok(Math.abs(tfLp - lp) < 1e-4, `loss-path log-prob ${tfLp} vs ${lp}`);
  t.ok(Math.abs(tfEnt - (0.5 + 0.5 * Math.log(2 * Math.PI) + Math.log(sigma))) < 1e-4, `entropy ${tfEnt}`);
  // The variance's latent is detached: log_std gets a gradient, the hidden layer only through the mean.
  const g = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const p = internals.piLatent(tf.tensor2d([[x]]));
      const head = tf.zerosLike(p.head); // drop the mean's path: what remains is the variance's
      return tf.sum(internals.sdeLogProb(head as tf.Tensor2D, p.latent, tf.tensor2d([[0.4]])).logp) as tf.Scalar;
    }, [agent.pi.variables[0], agent.logStd!]);
    return Object.values(grads).map((v) => Math.max(...Array.from(v.dataSync(), Math.abs)));
  });
  t.equal(g[0], 0, "no gradient to the hidden layer through the variance");
  t.ok(g[1] > 0, "log_std has a gradient");
  agent.dispose();
});

t.test("gSDE: exploration matrices redrawn every sdeSampleFreq steps and at each rollout's start, fixed in between", async (t) => {
  const agent = new PPO(new Match(), { useSde: true, sdeSampleFreq: 3, nSteps: 8, batchSize: 16, nEpochs: 1 }, { seed: 4 });
  const internals = agent as unknown as SdeInternals;
  agent.startRollouts(2);
  const seen: Float32Array[][] = [];
  const o = Float32Array.of(0.1, -0.3);
  for (let s = 0; s < 10; s++) {
    agent.act(o, Int32Array.of(0, 0));
    seen.push(internals.sdeMats.map((m) => m.slice()));
    agent.record(Float32Array.of(0, 0), Uint8Array.of(0, 0));
  }
  t.equal(seen[0][0].length, 64, "[64, 1] matrix per env");
  t.notSame(seen[0][0], seen[0][1], "each env has its own matrix");
  // Steps 0..7 are one rollout (redraw at 0, 3, 6); step 8 starts the next (redraw), step 9 keeps it.
  const redraw = [true, false, false, true, false, false, true, false, true, false];
  for (let s = 1; s < 10; s++) {
    if (redraw[s]) t.notSame(seen[s], seen[s - 1], `redrawn at step ${s}`);
    else t.same(seen[s], seen[s - 1], `kept at step ${s}`);
  }
  // sdeSampleFreq -1: drawn once per rollout.
  const once = new PPO(new Match(), { useSde: true, sdeSampleFreq: -1, nSteps: 5 }, { seed: 4 });
  const oi = once as unknown as SdeInternals;
  once.startRollouts(1);
  const mats: Float32Array[] = [];
  for (let s = 0; s < 6; s++) {
    once.act(Float32Array.of(0.2), Int32Array.of(0));
    mats.push(oi.sdeMats[0].slice());
    once.record(Float32Array.of(0), Uint8Array.of(0));
  }
  for (let s = 1; s < 5; s++) t.same(mats[s], mats[0]);
  t.notSame(mats[5], mats[4], "new rollout, new matrix");
  t.throws(() => new PPO(new Match(), { useSde: true, sdeSampleFreq: 0 }), /sdeSampleFreq/);
  t.throws(() => new PPO(new Countdown(2, "truncated", "discrete"), { useSde: true }), /Box/);
  agent.dispose();
  once.dispose();
});

t.test("gSDE on Pendulum: zoo setting uses it; same seed same returns; no tensor leak; stochastic predict", async (t) => {
  t.equal(ZOO_PPO_PENDULUM.config.useSde, true);
  t.equal(ZOO_PPO_PENDULUM.config.sdeSampleFreq, 4);
  t.equal(ZOO_PPO_PENDULUM.config.logStdInit, 0, "zoo sets no log_std_init: SB3's 0");
  const cfg = { ...ZOO_PPO_PENDULUM.config, nSteps: 64, batchSize: 32, nEpochs: 2 };
  const run = () => {
    const envs = [makeClassicEnv("Pendulum-v1"), makeClassicEnv("Pendulum-v1")];
    const a = new PPO(envs[0], cfg, { seed: 7 });
    const r = train(a, envs, { totalTimesteps: 512, seed: 7 });
    return { a, out: { returns: r.episodeReturns, v: Array.from(a.values(Float32Array.of(1, 0, 0), Int32Array.of(0))), ls: Array.from(a.logStd!.dataSync()) } };
  };
  const x = run();
  const y = run();
  t.same(x.out, y.out, "same seed, same returns, values and log_std");
  t.notSame(x.out.ls, new Array(64).fill(0), "log_std trained");
  y.a.dispose();
  const n0 = tf.memory().numTensors;
  train(x.a, [makeClassicEnv("Pendulum-v1"), makeClassicEnv("Pendulum-v1")], { totalTimesteps: 256, seed: 1 });
  const p1 = x.a.predict([1, 0, 0]);
  const p2 = x.a.predict([1, 0, 0]);
  const d = x.a.predict([1, 0, 0], { deterministic: true });
  t.equal(tf.memory().numTensors, n0, "tensor count flat across rollouts, updates and predictions");
  t.equal(p1[0], p2[0], "stochastic predict uses one fixed matrix: same obs, same action");
  t.not(p1[0], d[0], "and differs from the mean");
  x.a.dispose();
});
