/**
 * CpuFreq-v0 against its docstring (envs/cpufreq/env.ts): every claim about the action
 * levels, each observation, the reward, the starting state and the episode end has a test
 * here that fails if the claim is false.
 */
import t from "tap";
import { CpufreqEnv, cpufreqReward, levelFrequency, POWER_REFERENCE_W } from "../../../envs/cpufreq/env.js";
import { processorByName, type Processor } from "../../../sim/cpufreq/processor.js";
import { IPC } from "../../../sim/cpufreq/workload.js";
import { APP_SCHEMA, type Application } from "../../../sim/k8s/app.js";
import { generateApplications } from "../../../sim/k8s/generate.js";
import { syntheticTrace } from "../../../traces/synthetic.js";
import type { Trace } from "../../../traces/trace.js";
import type { StepResult } from "../../../envs/env.js";

const app = generateApplications(7, 1)[0];
const trace = syntheticTrace({ seed: 1, seconds: 1200, stepSeconds: 1, periodSeconds: 600 });
const flat = (seconds = 400): Trace => ({ name: "flat", stepSeconds: 1, rates: new Float64Array(seconds).fill(1) });
const make = (proc: string, o: Partial<ConstructorParameters<typeof CpufreqEnv>[0]> = {}) =>
  new CpufreqEnv({ app, processor: processorByName(proc), trace, seed: 3, maxEpisodeSteps: 30, ...o });
/** A compute-bound application (tight arithmetic, ~3% memory stalls). */
const computeApp: Application = {
  schema: APP_SCHEMA,
  name: "cpu",
  segments: [{ kind: "floatOperations", size: 50 }],
  runtimeMemoryMB: 128,
  sloMs: 400,
  load: 1,
};
const PROCS = ["xeon-e5-2683v3", "xeon-e5-2695v4", "epyc-7302p"];

/** Every step of an episode at constant level `k`. */
function episode(env: CpufreqEnv, seed: number, k: number): StepResult[] {
  env.reset(seed);
  const out: StepResult[] = [];
  for (;;) {
    const r = env.step([k]);
    out.push(r);
    if (r.truncated || r.terminated) return out;
  }
}

t.test("action levels: the same share of each range; the level nearest base differs by processor", async (t) => {
  const env = make("xeon-e5-2683v3");
  t.equal(env.pair, `${app.name}@xeon-e5-2683v3`);
  t.same(env.actionSpace, { kind: "discrete", n: 8 });
  const v3 = processorByName("xeon-e5-2683v3");
  const v4 = processorByName("xeon-e5-2695v4");
  const amd = processorByName("epyc-7302p");
  t.same(
    [0, 1, 7].map((k) => levelFrequency(v3, k, 8)),
    [1.2, 1.5, 3.0],
    "1.2 + 1.8 / 7 = 1.457 -> 1.5",
  );
  t.same(
    [0, 1, 7].map((k) => levelFrequency(amd, k, 8)),
    [1.5, 1.8, 3.3],
  );
  const nearestBase = (p: Processor) => {
    const f = Array.from({ length: 8 }, (_, k) => levelFrequency(p, k, 8));
    const k = f.reduce((best, x, i) => (Math.abs(x - p.baseGHz) < Math.abs(f[best] - p.baseGHz) ? i : best), 0);
    return [k, f[k]];
  };
  t.same(nearestBase(v3), [3, 2.0], "E5-2683 v3: level 3 is base (2.0 GHz)");
  t.same(nearestBase(v4), [3, 2.0], "E5-2695 v4: level 3, 100 MHz below its 2.1 GHz base");
  t.same(nearestBase(amd), [6, 3.0], "EPYC 7302P: level 6 is base (3.0 GHz)");
  t.throws(() => env.step([8]), /action: expected an integer level in \[0, 7\], got 8/);
  t.throws(() => env.step([1.5]), /integer level/);
  t.throws(() => env.step([1, 2]), /expected one action/);
  t.throws(() => env.stepFrequency(3.1), { name: "CpufreqConfigError" });
});

t.test("observation space: Box(0, 1, (4,)), and every observation inside it, with noisy counters and overload", async (t) => {
  for (const proc of PROCS) {
    // A heavy, noisy setting: the load of a level-2 application at 0.9 of the reference, 30% counter noise.
    const env = make(proc, { app: { ...computeApp, load: 2 }, loadFraction: 0.9, counterNoise: 0.3 });
    t.same(env.observationSpace.low, [0, 0, 0, 0]);
    t.same(env.observationSpace.high, [1, 1, 1, 1]);
    let max = [0, 0, 0, 0];
    for (const k of [0, 7]) {
      const obs = [env.reset(k), ...episode(env, k, k).map((r) => r.observation)];
      for (const o of obs) {
        t.equal(o.length, 4);
        for (let i = 0; i < 4; i++) if (!(o[i] >= 0 && o[i] <= 1)) t.fail(`${proc}: observation ${i} = ${o[i]} outside [0, 1]`);
        max = max.map((m, i) => Math.max(m, o[i]));
      }
    }
    t.ok(max[1] === 1 && max[2] === 1, `${proc}: the clamp is reached (utilisation, frequency), so the bound is the one that binds`);
  }
});

t.test("observations 0-2 are the counters scaled by the processor's maximum; observation 3 is SP, exact", async (t) => {
  for (const proc of PROCS) {
    const p = processorByName(proc);
    const env = make(proc, { counterNoise: 0 });
    for (const r of [...episode(env, 1, 2), ...episode(env, 2, 6)]) {
      const i = r.info!;
      const peakIps = p.cores * p.maxGHz * 1e9 * IPC * p.ipcRelative;
      t.ok(Math.abs(r.observation[0] - Math.min(1, Number(i.ips) / peakIps)) < 1e-6, `${proc}: obs 0 = IPS / (cores f_max IPC ipcRelative)`);
      t.ok(Math.abs(r.observation[1] - Number(i.utilisation)) < 1e-6, "obs 1 = utilisation");
      const share = (Number(i.frequencyGHz) - p.minGHz) / (p.maxGHz - p.minGHz);
      t.ok(Math.abs(r.observation[2] - share) < 1e-6, "obs 2 = (f - f_min) / (f_max - f_min) of the frequency the cores ran");
      t.equal(r.observation[3], Math.fround(Number(i.sp)), "obs 3 = SP");
    }
  }
  // With noise, the counters move and SP does not.
  const p = processorByName("xeon-e5-2695v4");
  const quiet = make("xeon-e5-2695v4", { counterNoise: 0, loadFraction: 0.25 });
  const noisy = make("xeon-e5-2695v4", { counterNoise: 0.05, loadFraction: 0.25 });
  const a = episode(quiet, 4, 3);
  const b = episode(noisy, 4, 3);
  // Back to counter units (obs 2 is a share of the range: the noise is on the frequency).
  const counters = (o: Float32Array) => [o[0], o[1], p.minGHz + o[2] * (p.maxGHz - p.minGHz)];
  const rel: number[][] = [[], [], []];
  for (let s = 0; s < a.length; s++) {
    t.equal(b[s].info!.ips, a[s].info!.ips, "same true IPS under noise (noise is in the counters only)");
    t.equal(b[s].observation[3], a[s].observation[3], "observation 3 carries no noise");
    const [x, y] = [counters(a[s].observation), counters(b[s].observation)];
    for (let i = 0; i < 3; i++) if (a[s].observation[i] > 0.05 && a[s].observation[i] < 0.9) rel[i].push(y[i] / x[i] - 1);
  }
  for (let i = 0; i < 3; i++) {
    const sd = Math.sqrt(rel[i].reduce((x, y) => x + y * y, 0) / rel[i].length);
    t.ok(rel[i].length >= 20 && sd > 0.02 && sd < 0.1, `counter ${i}: relative noise sd ${sd.toFixed(3)} ~ 0.05 (n=${rel[i].length})`);
  }
});

t.test("SP is min(1, SLO / p99) and 1 in a second without arrivals", async (t) => {
  const env = make("epyc-7302p", { counterNoise: 0 });
  for (const r of episode(env, 6, 0)) {
    const i = r.info!;
    t.ok(Math.abs(Number(i.sp) - Math.min(1, app.sloMs / 1000 / Number(i.p99LatencyS))) < 1e-9);
  }
  const idle = new CpufreqEnv({
    app,
    processor: processorByName("epyc-7302p"),
    trace: { ...flat(), rates: new Float64Array(400).fill(1e-12) },
    seed: 1,
    maxEpisodeSteps: 30,
  });
  for (const r of episode(idle, 1, 4)) t.equal(r.observation[3], 1, "no arrivals: SP 1");
});

t.test("obs 2 shows the turbo limit: a request above it is not what the cores run, on the Xeons under load", async (t) => {
  const heavy = { ...computeApp, load: 2 };
  const v3 = processorByName("xeon-e5-2683v3");
  const env = make("xeon-e5-2683v3", { app: heavy, loadFraction: 0.35, counterNoise: 0, trace: flat() });
  const steps = episode(env, 1, 7);
  const last = steps[steps.length - 1];
  t.equal(last.info!.requestedGHz, 3.0, "level 7 requests f_max");
  t.ok(Number(last.info!.frequencyGHz) < 3.0 && Number(last.info!.frequencyGHz) >= v3.allCoreTurboGHz, `runs ${last.info!.frequencyGHz} GHz under load`);
  t.ok(last.observation[2] < 0.99, "and the observation says so");
  const light = make("xeon-e5-2683v3", { app: { ...computeApp, load: 0.5 }, loadFraction: 0.05, counterNoise: 0, trace: flat() });
  const l = episode(light, 1, 7);
  t.ok(Number(l[l.length - 1].info!.frequencyGHz) > Number(last.info!.frequencyGHz), "a light load gets more of the request");
  const amd = make("epyc-7302p", { app: heavy, loadFraction: 0.35, counterNoise: 0, trace: flat() });
  const a = episode(amd, 1, 7);
  t.equal(a[a.length - 1].info!.frequencyGHz, 3.3, "the EPYC holds its 3.3 GHz boost on all cores");
});

t.test("reward: Table 9 plus the power term in units of 100 W, against hand-computed values and every step's info", async (t) => {
  // rose, IPS 2e9 -> 2.5e9: 0.5 * 0.2 + 0.5 * 0.9 - 0.5 * 0.4 = 0.35
  t.ok(Math.abs(cpufreqReward(0.5, 0.5, { rose: true, ips: 2.5e9, prevIps: 2e9, sp: 0.9, dynamicPower: 0.4 }) - 0.35) < 1e-12);
  // not rose: the IPS term is not paid
  t.ok(Math.abs(cpufreqReward(0.5, 0.5, { rose: false, ips: 2.5e9, prevIps: 2e9, sp: 0.9, dynamicPower: 0.4 }) - 0.25) < 1e-12);
  // rose but IPS fell to a quarter: the term is clipped at -1
  t.ok(Math.abs(cpufreqReward(0.5, 0, { rose: true, ips: 1, prevIps: 4, sp: 1, dynamicPower: 0 }) - 0) < 1e-12);
  t.equal(cpufreqReward(0.5, 0, { rose: true, ips: 0, prevIps: 4, sp: 1, dynamicPower: 0 }), 0.5, "IPS_t = 0: no IPS term");
  t.equal(POWER_REFERENCE_W, 100);
  for (const proc of PROCS) {
    const p = processorByName(proc);
    const env = make(proc, { counterNoise: 0 });
    env.reset(5);
    let prev = { ghz: p.baseGHz, ips: NaN };
    // The warm-up second runs at base: its IPS is the first step's previous IPS.
    const levels = [0, 0, 5, 7, 7, 2, 6, 1, 3, 3];
    for (const k of levels) {
      const r = env.step([k]);
      const i = r.info!;
      const f = Number(i.frequencyGHz);
      const ips = Number(i.ips);
      const rose = f > prev.ghz + 1e-9;
      const gain = rose && ips > 0 && Number.isFinite(prev.ips) ? Math.max(-1, Math.min(1, (ips - prev.ips) / ips)) : 0;
      const want = 0.5 * gain + 0.5 * Number(i.sp) - (0.5 * (Number(i.powerW) - p.staticPowerW)) / 100;
      if (Number.isFinite(prev.ips)) t.ok(Math.abs(r.reward - want) < 1e-9, `${proc} level ${k}: reward ${r.reward} = ${want}`);
      prev = { ghz: f, ips };
    }
  }
});

t.test("the IPS term is paid only when the frequency the cores ran rises", async (t) => {
  // At a flat load the queue is empty, so IPS follows the arrivals: the term pays only on a rise.
  const env = make("epyc-7302p", { counterNoise: 0, alpha: 1, powerWeight: 0, trace: flat() });
  env.reset(2);
  env.step([3]);
  const up = env.step([5]);
  const same = env.step([5]);
  const down = env.step([1]);
  t.ok(Number(up.info!.frequencyGHz) > 2.3, "the EPYC grants the rise (no turbo limit below 3.3 GHz)");
  t.not(up.reward, 0, "a rise pays the IPS term (positive or negative)");
  t.equal(same.reward, 0, "a held frequency pays nothing");
  t.equal(down.reward, 0, "a fall pays nothing");
  // On a Xeon under load a request above the turbo limit is no rise at all.
  const xe = make("xeon-e5-2683v3", { app: { ...computeApp, load: 2 }, counterNoise: 0, alpha: 1, powerWeight: 0, trace: flat() });
  xe.reset(2);
  xe.step([7]);
  xe.step([7]);
  const f0 = Number(xe.step([6]).info!.frequencyGHz);
  const f1 = Number(xe.step([7]).info!.frequencyGHz);
  t.equal(f0, f1, "levels 6 and 7 run the same turbo-limited frequency under load");
});

t.test("description: a low frequency breaks the SLO of a busy compute-bound app; a high one costs power; memory-bound code gains little IPS", async (t) => {
  for (const proc of PROCS) {
    const env = make(proc, { app: { ...computeApp, load: 2 }, counterNoise: 0, trace: flat() });
    const lo = episode(env, 1, 0);
    const hi = episode(env, 1, 7);
    const mean = (xs: StepResult[], k: string) => xs.reduce((a, r) => a + Number(r.info![k]), 0) / xs.length;
    t.ok(mean(lo, "sp") < mean(hi, "sp"), `${proc}: SP ${mean(lo, "sp").toFixed(2)} at level 0 < ${mean(hi, "sp").toFixed(2)} at level 7`);
    t.ok(mean(hi, "powerW") > mean(lo, "powerW"), `${proc}: power rises with the level`);
  }
  const memApp: Application = { ...computeApp, name: "mem", segments: [{ kind: "objectStorageRead", size: 4096 }] };
  const ipsAt = (a: Application, k: number) => {
    const env = make("xeon-e5-2695v4", { app: a, counterNoise: 0, trace: flat(), loadFraction: 2 });
    const s = episode(env, 1, k);
    return s.reduce((x, r) => x + Number(r.info!.ips), 0) / s.length;
  };
  const cpuGain = ipsAt(computeApp, 7) / ipsAt(computeApp, 0);
  const memGain = ipsAt(memApp, 7) / ipsAt(memApp, 0);
  t.ok(cpuGain > 1.7 && memGain < 1.3, `saturated IPS gain from level 0 to 7: compute-bound ${cpuGain.toFixed(2)}x, memory-bound ${memGain.toFixed(2)}x`);
});

t.test("starting state: a seeded window, an empty queue, base requested; one second before the first observation", async (t) => {
  const p = processorByName("xeon-e5-2695v4");
  const env = make("xeon-e5-2695v4", { counterNoise: 0 });
  const o = env.reset(9);
  t.equal(env.frequencyGHz, p.baseGHz, "base frequency requested");
  t.ok(Math.abs(o[2] - (p.baseGHz - p.minGHz) / (p.maxGHz - p.minGHz)) < 1e-6, "the warm-up second ran at base (no turbo involved)");
  const first = env.step([3]);
  t.equal(first.info!.backlog, 0, "a light load: the queue stays empty");
  const windows = new Set([1, 2, 3, 4, 5].map((s) => JSON.stringify(make("xeon-e5-2695v4").reset(s))));
  t.ok(windows.size > 1, "other seeds, other windows");
  t.same(make("xeon-e5-2695v4").reset(4), make("xeon-e5-2695v4").reset(4), "the same seed, the same window");
});

t.test("episode end: never terminated; truncated after maxEpisodeSteps; deterministic per seed", async (t) => {
  const roll = (seed: number) => {
    const env = make("epyc-7302p");
    const out: number[] = [...env.reset(seed)];
    for (let i = 0; i < 30; i++) {
      const r = env.step([i % 8]);
      out.push(r.reward, ...r.observation);
      t.equal(r.truncated, i === 29);
      t.equal(r.terminated, false);
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
