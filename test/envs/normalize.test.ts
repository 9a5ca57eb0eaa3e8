import t from "tap";
import { box, type Env, type StepResult } from "../../envs/env.js";
import { NormalizedEnv, NormalizeStats, RunningMeanStd } from "../../envs/normalize.js";

/** Observations 10 * k + [0, 1], rewards 2 per step, episodes of 3 steps. */
class Counter implements Env {
  readonly id = "Counter";
  readonly observationSpace = box([-100, -100], [100, 100]);
  readonly actionSpace = box([-1], [1]);
  readonly maxEpisodeSteps = 3;
  readonly pair = "counter-pair";
  private k = 0;
  reset(): Float32Array {
    this.k = 0;
    return Float32Array.of(0, 1);
  }
  step(): StepResult {
    this.k++;
    return { observation: Float32Array.of(10 * this.k, 10 * this.k + 1), reward: 2, terminated: false, truncated: this.k === 3 };
  }
}

t.test("RunningMeanStd one sample at a time equals the batch moments (SB3's count 1e-4 prior)", (t) => {
  const xs = [1, 4, -2, 7, 3];
  const rms = new RunningMeanStd(1);
  xs.forEach((x) => rms.update([x]));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  // Folding the prior (mean 0, var 1, count 1e-4) into a batch (SB3's update_from_moments).
  const n = 1e-4 + xs.length;
  const priorMean = (mean * xs.length) / n;
  const priorVar = (1 * 1e-4 + v * xs.length + (mean * mean * 1e-4 * xs.length) / n) / n;
  t.ok(Math.abs(rms.mean[0] - priorMean) < 1e-9, `mean ${rms.mean[0]} vs ${priorMean}`);
  t.ok(Math.abs(rms.var[0] - priorVar) < 1e-9, `var ${rms.var[0]} vs ${priorVar}`);
  t.end();
});

t.test("training wrapper normalises observations and scales rewards by the return's spread; evaluation freezes and reports raw rewards", (t) => {
  const stats = new NormalizeStats(2, { gamma: 0.5 });
  const env = new NormalizedEnv(new Counter(), stats);
  t.equal(env.pair, "counter-pair", "the pair is forwarded");
  env.reset();
  let last: StepResult | undefined;
  for (let i = 0; i < 3; i++) last = env.step([0]);
  t.equal(stats.obs.count > 4 - 1e-3 && stats.obs.count < 4 + 1e-3, true, "reset and 3 steps were counted");
  // Returns 2, 3, 3.5: the reward is 2 / sqrt(var of those returns with the prior).
  t.ok(last && Math.abs(last.reward - 2 / Math.sqrt(stats.ret.var[0] + 1e-8)) < 1e-9, "reward scaled by the running return std");
  t.equal(last?.info?.rawReward, 2, "the raw reward is kept in info");
  const z = last!.observation;
  t.ok(Math.abs(z[0] - (30 - stats.obs.mean[0]) / Math.sqrt(stats.obs.var[0] + 1e-8)) < 1e-5, "observation standardised with the running moments");

  stats.training = false;
  const frozen = Array.from(stats.obs.mean);
  const evalEnv = new NormalizedEnv(new Counter(), stats, { normalizeReward: false });
  evalEnv.reset();
  const r = evalEnv.step([0]);
  t.equal(r.reward, 2, "evaluation reports raw rewards");
  t.same(Array.from(stats.obs.mean), frozen, "frozen statistics do not move");
  t.end();
});

t.test("clipping and bad arguments", (t) => {
  const stats = new NormalizeStats(2, { clipObs: 1 });
  const out = stats.normalizeObs(Float32Array.of(1e6, -1e6));
  t.same(Array.from(out), [1, -1], "observations clipped to +/-clipObs");
  t.throws(() => new NormalizeStats(2, { gamma: 0 }), /gamma: expected a positive number, got 0/);
  t.throws(() => new NormalizedEnv(new Counter(), new NormalizeStats(3)), /3 observation dims for Counter, which has 2/);
  t.end();
});
