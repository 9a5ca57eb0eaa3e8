import t from "tap";
import { CpufreqEnv, cpufreqReward, levelFrequency } from "../../../envs/cpufreq/env.js";
import { corePowerW, processorByName } from "../../../sim/cpufreq/processor.js";
import { generateApplications } from "../../../sim/k8s/generate.js";
import { syntheticTrace } from "../../../traces/synthetic.js";

const app = generateApplications(7, 1)[0];
const trace = syntheticTrace({ seed: 1, seconds: 1200, stepSeconds: 1, periodSeconds: 600 });
const make = (proc: string, o: Record<string, number> = {}) =>
  new CpufreqEnv({ app, processor: processorByName(proc), trace, seed: 3, maxEpisodeSteps: 30, ...o });

t.test("spaces and action levels map each processor's whole range", async (t) => {
  const env = make("xeon-e5-2683v3");
  t.equal(env.pair, `${app.name}@xeon-e5-2683v3`);
  t.same(env.actionSpace, { kind: "discrete", n: 8 });
  t.same(env.observationSpace.shape, [4]);
  const intel = processorByName("xeon-e5-2683v3");
  const amd = processorByName("epyc-7302p");
  t.same(
    [0, 1, 7].map((k) => levelFrequency(intel, k, 8)),
    [1.2, 1.5, 3.0],
    "1.2 + 1.8 / 7 = 1.457 -> 1.5",
  );
  t.same(
    [0, 1, 7].map((k) => levelFrequency(amd, k, 8)),
    [1.5, 1.8, 3.3],
  );
  const o = env.reset(0);
  t.equal(o.length, 4);
  for (const x of o) t.ok(x >= 0 && x <= 1.5);
  t.throws(() => env.step([8]), /action: expected an integer level in \[0, 7\], got 8/);
  t.throws(() => env.step([1.5]), /integer level/);
  t.throws(() => env.step([1, 2]), /expected one action/);
  t.throws(() => env.stepFrequency(3.1), { name: "CpufreqConfigError" });
});

t.test("reward: Table 9 plus the power term, against hand-computed values", async (t) => {
  // rose, IPS 2e9 -> 2.5e9: 0.5 * 0.2 + 0.5 * 0.9 - 0.5 * 0.4 = 0.35
  t.ok(Math.abs(cpufreqReward(0.5, 0.5, { rose: true, ips: 2.5e9, prevIps: 2e9, sp: 0.9, dynamicPowerShare: 0.4 }) - 0.35) < 1e-12);
  // not rose: the IPS term is not paid
  t.ok(Math.abs(cpufreqReward(0.5, 0.5, { rose: false, ips: 2.5e9, prevIps: 2e9, sp: 0.9, dynamicPowerShare: 0.4 }) - 0.25) < 1e-12);
  // rose but IPS fell to a quarter: the term is clipped at -1
  t.ok(Math.abs(cpufreqReward(0.5, 0, { rose: true, ips: 1, prevIps: 4, sp: 1, dynamicPowerShare: 0 }) - 0) < 1e-12);
  // an env step's reward from its own info
  const env = make("xeon-e5-2695v4", { counterNoise: 0 });
  env.reset(5);
  env.step([7]);
  const r = env.step([7]);
  const p = processorByName("xeon-e5-2695v4");
  const info = r.info!;
  const dyn = (Number(info.powerW) - p.staticPowerW) / (p.cores * corePowerW(p, p.maxGHz));
  t.ok(Math.abs(r.reward - (0.5 * Number(info.sp) - 0.5 * dyn)) < 1e-9, "at f_max held: no IPS term (alpha 0.5, power weight 0.5)");
  t.equal(info.frequencyGHz, 3.1);
});

t.test("deterministic per seed; episodes truncate after maxEpisodeSteps", async (t) => {
  const roll = (seed: number) => {
    const env = make("epyc-7302p");
    const out: number[] = [...env.reset(seed)];
    for (let i = 0; i < 30; i++) {
      const r = env.step([i % 8]);
      out.push(r.reward, ...r.observation);
      t.equal(r.truncated, i === 29);
    }
    return out;
  };
  const a = roll(11);
  t.same(a, roll(11));
  t.not(JSON.stringify(a), JSON.stringify(roll(12)));
  t.throws(
    () =>
      new CpufreqEnv({ app, processor: processorByName("epyc-7302p"), trace: syntheticTrace({ seed: 1, seconds: 20, stepSeconds: 1 }), maxEpisodeSteps: 30 }),
    /at least one episode plus its warm-up second, 31 s/,
  );
});
