import t from "tap";
import { APP_SCHEMA, validateApplication } from "../../../sim/k8s/app.js";
import { generateApplications } from "../../../sim/k8s/generate.js";
import { AutoscalingEnv } from "../../../envs/autoscaling/env.js";
import { decodeAction, decodeObservation, encodeAction, OBS_DIM } from "../../../envs/autoscaling/spaces.js";
import { Cluster, NSTAT, STAT } from "../../../sim/k8s/cluster.js";
import { compileApplication } from "../../../sim/k8s/profile.js";
import { syntheticTrace } from "../../../traces/synthetic.js";
import type { Trace } from "../../../traces/trace.js";

const app = generateApplications(7, 3)[1];
const trace = syntheticTrace({ seed: 2, seconds: 6 * 3600 });

t.test("spaces, pair name and episode length", async (t) => {
  const env = new AutoscalingEnv({ app, trace, seed: 1 });
  t.equal(env.pair, `${app.name}@${trace.name}`);
  t.same(env.actionSpace.shape, [3]);
  t.same([...env.actionSpace.low], [-1, -1, -1]);
  t.same(env.observationSpace.shape, [OBS_DIM]);
  t.equal(env.maxEpisodeSteps, 100);
  const obs = env.reset();
  t.equal(obs.length, OBS_DIM);
  let steps = 0;
  let r;
  do {
    r = env.step([0, 0.2, -0.5]);
    steps++;
    for (let i = 0; i < OBS_DIM; i++) {
      t.ok(r.observation[i] >= env.observationSpace.low[i] && r.observation[i] <= env.observationSpace.high[i], `obs[${i}] = ${r.observation[i]} in bounds`);
    }
    t.ok(Number.isFinite(r.reward) && r.reward >= 0 && r.reward <= 2, `reward ${r.reward} in [0, 2]`);
  } while (!r.truncated && steps < 1000);
  t.equal(steps, 100);
  t.notOk(r.terminated);
  t.throws(() => env.step([0, 0, 0]), /after the episode ended/);
});

t.test("action scaling round-trips; the observation reports the allocation", async (t) => {
  const env = new AutoscalingEnv({ app, trace, seed: 1 });
  const alloc = { cpuLimit: 0.7, memoryLimitMB: 900, replicas: 6 };
  const back = decodeAction(encodeAction(alloc, env.scale), env.scale);
  t.ok(Math.abs(back.cpuLimit - 0.7) < 1e-5 && Math.abs(back.memoryLimitMB - 900) < 1e-3 && back.replicas === 6);
  t.equal(decodeAction([-1, -1, -1], env.scale).cpuLimit, 0.1);
  t.equal(decodeAction([1, 1, 1], env.scale).replicas, 32);
  env.reset();
  const r = env.step(encodeAction(alloc, env.scale));
  const o = decodeObservation(r.observation, env.scale);
  t.ok(Math.abs(o.cpuLimit - 0.7) < 1e-5 && o.replicas === 6);
  t.equal(r.info?.replicas, 6);
});

t.test("bad actions are refused; float rounding at the bounds is clipped", async (t) => {
  const env = new AutoscalingEnv({ app, trace, seed: 1 });
  env.reset();
  t.throws(() => env.step([0, 0]), /length 3/);
  t.throws(() => env.step([0, NaN, 0]), /action\[1\] \(memory limit\): expected a finite number/);
  t.throws(() => env.step([1.5, 0, 0]), /action\[0\] \(CPU limit\): expected a number in \[-1, 1\], got 1.5/);
  t.doesNotThrow(() => env.step([1 + 1e-7, -1 - 1e-7, 0]));
});

t.test("deterministic under a seed", async (t) => {
  const run = (seed: number) => {
    const env = new AutoscalingEnv({ app, trace });
    const out: number[] = [...env.reset(seed)];
    for (let i = 0; i < 20; i++) out.push(env.step([Math.sin(i), 0.3, Math.cos(i)]).reward);
    return out;
  };
  t.same(run(3), run(3));
  t.notSame(run(3), run(4));
});

t.test("the reward tracks SLO and utilisation", async (t) => {
  const env = new AutoscalingEnv({ app, trace, seed: 5 });
  const episode = (action: number[]) => {
    env.reset(5);
    let sp = 0;
    let ru = 0;
    let total = 0;
    for (let i = 0; i < 100; i++) {
      const r = env.step(action);
      sp += Number(r.info?.sp) / 100;
      ru += (Number(r.info?.ruCpu) + Number(r.info?.ruMem)) / 100;
      total += r.reward;
    }
    return { sp, ru, total };
  };
  const starved = episode([-1, 0.3, -1]); // 0.1 core, 1 replica
  const lavish = episode([1, 1, 1]); // 3.9 cores, 8 GB, 32 replicas (most stay Pending)
  t.ok(starved.sp < 0.5, `starved SP ${starved.sp}`);
  t.ok(lavish.sp > starved.sp, `lavish SP ${lavish.sp}`);
  t.ok(lavish.ru < starved.ru, `lavish RU ${lavish.ru} < starved RU ${starved.ru}`);
});

t.test("bad input: short trace, bad application, bad options", async (t) => {
  const short: Trace = { name: "short", stepSeconds: 60, rates: new Float64Array(30).fill(1) };
  t.throws(() => new AutoscalingEnv({ app, trace: short }), /<trace short>: duration: expected at least 3030 s .* got "1800 s"/);
  const bad = { ...app, sloMs: -5 };
  t.throws(() => new AutoscalingEnv({ app: bad, trace }), /field "sloMs"/);
  t.throws(() => new AutoscalingEnv({ app, trace, alpha: 2 }), /alpha/);
  t.throws(() => new AutoscalingEnv({ app, trace: { ...trace, rates: new Float64Array(trace.rates.length) } }), /all zeros/);
  t.throws(() => new AutoscalingEnv({ app, trace, intervalSeconds: 2.5 }), /whole multiple/);
  t.throws(() => new AutoscalingEnv({ app, trace }).step([0, 0, 0]), /before reset/);
});

t.test("an application the generator never made runs", async (t) => {
  const own = validateApplication({
    schema: APP_SCHEMA,
    name: "my-etl",
    segments: [
      { kind: "objectStorageStream", size: 50000 },
      { kind: "jsonToYaml", size: 2000 },
      { kind: "databaseWrite", size: 100000 },
    ],
    runtimeMemoryMB: 200,
    sloMs: 3000,
    load: 1,
  });
  const env = new AutoscalingEnv({ app: own, trace, seed: 1 });
  env.reset();
  const r = env.step([0, 0, 0]);
  t.ok(Number.isFinite(r.reward));
  t.ok(Number(r.info?.arrivalRate) > 0);
});

/** Records every cluster tick's stats row (the env runs one Deployment: row 0) while `body` runs. */
function withTicks<T>(body: (ticks: Float64Array[]) => T): T {
  const ticks: Float64Array[] = [];
  const orig = Cluster.prototype.tick;
  Cluster.prototype.tick = function (this: Cluster) {
    orig.call(this);
    ticks.push(this.stats.slice(0, NSTAT));
  };
  try {
    return body(ticks);
  } finally {
    Cluster.prototype.tick = orig;
  }
}

const close = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

t.test("an interval with OOM kills shows them: peak memory utilisation 1 and OOM back-off > 0", async (t) => {
  const { peakMemoryMB: peak, idleMemoryMB: idle } = compileApplication(app);
  t.ok(idle < 0.97 * peak, "idle pods fit under the limit used below");
  const env = new AutoscalingEnv({ app, trace, seed: 3 });
  env.reset(3);
  let killIntervals = 0;
  let hidden = 0;
  let backoffWithoutKill = 0;
  for (let i = 0; i < 40; i++) {
    // Memory just under the peak working set: busy pods are killed and crash-loop.
    const r = env.step(encodeAction({ cpuLimit: 1, memoryLimitMB: peak * 0.97, replicas: 8 }, env.scale));
    const o = decodeObservation(r.observation, env.scale);
    if (Number(r.info?.oomKills) > 0) {
      killIntervals++;
      t.equal(o.memUtil, 1, `step ${i}: ${r.info?.oomKills} kills -> observation 4 = 1`);
      t.ok(o.oomBackoff > 0, `step ${i}: ${r.info?.oomKills} kills -> observation 8 = ${o.oomBackoff} > 0`);
      // The held-pod mean (the reward's RU_mem, and the old observation 4) stays below 1.
      if (Number(r.info?.ruMem) < 0.99) hidden++;
    } else if (o.oomBackoff > 0.5) backoffWithoutKill++;
  }
  t.ok(killIntervals >= 5, `${killIntervals} intervals with kills`);
  t.ok(hidden > 0, `${hidden} kill intervals where the held-pod mean was below 0.99`);
  // Pods waiting out a back-off stay visible in intervals without a new kill.
  t.ok(backoffWithoutKill > 0, `${backoffWithoutKill} intervals without a kill with most pods in back-off`);
  // With room above the peak, no kills: observation 8 falls back to 0 once pods recover.
  for (let i = 0; i < 25; i++) env.step(encodeAction({ cpuLimit: 1, memoryLimitMB: peak * 2, replicas: 8 }, env.scale));
  const r = env.step(encodeAction({ cpuLimit: 1, memoryLimitMB: peak * 2, replicas: 8 }, env.scale));
  t.equal(r.info?.oomKills, 0);
  t.equal(r.observation[8], 0);
  t.ok(r.observation[4] < 1);
});

t.test("every observation feature and the reward are what the docstrings say, from the cluster's ticks", async (t) => {
  const env = new AutoscalingEnv({ app, trace, seed: 11, alpha: 0.3 });
  const peak = compileApplication(app).peakMemoryMB;
  const s = env.scale;
  const sloSeconds = app.sloMs / 1000;
  withTicks((ticks) => {
    env.reset(11);
    let prevArrived = ticks.reduce((a, row) => a + row[STAT.arrived], 0);
    const n = ticks.length;
    t.equal(n, 30, "one 30 s interval of 1 s ticks before the first observation");
    let sawKill = false;
    for (let i = 0; i < 60; i++) {
      // Sweep allocations, including memory under the peak (kills) and starved CPU.
      const alloc = { cpuLimit: [0.1, 0.5, 1, 3.9][i % 4], memoryLimitMB: peak * [0.97, 1.3, 3][i % 3], replicas: 1 + ((i * 7) % 32) };
      ticks.length = 0;
      const r = env.step(encodeAction(alloc, s));
      const o = r.observation;
      t.equal(ticks.length, 30);
      const sum = (k: number) => ticks.reduce((a, row) => a + row[k], 0);
      const max = (k: number) => ticks.reduce((a, row) => Math.max(a, row[k]), 0);
      const replicas = Number(r.info?.replicas);
      // 0-2: limits normalised by the top of each range.
      t.ok(close(o[0], Number(r.info?.cpuLimit) / s.cpuMax), `obs[0] ${o[0]}`);
      t.ok(close(o[1], Number(r.info?.memoryLimitMB) / s.memMaxMB), `obs[1] ${o[1]}`);
      t.ok(close(o[2], replicas / s.maxReplicas), `obs[2] ${o[2]}`);
      // 3: CPU utilisation, mean over ticks.
      t.ok(close(o[3], sum(STAT.cpuUtil) / 30), `obs[3] ${o[3]} = mean CPU utilisation`);
      // 4: the fullest pod's memory, peak over ticks; 1 with a kill.
      t.ok(close(o[4], max(STAT.memPeakUtil)), `obs[4] ${o[4]} = peak of the fullest pod`);
      if (sum(STAT.oomKills) > 0) {
        sawKill = true;
        t.equal(o[4], 1, "a kill shows as 1");
      }
      const arrived = sum(STAT.arrived);
      // 5: min(1, SLO / p99), p99 = arrival-weighted mean of the ticks' p99s; 1 with no arrivals.
      const p99 = ticks.reduce((a, row) => a + row[STAT.arrived] * row[STAT.p99Seconds], 0) / arrived;
      const sp = arrived > 0 && p99 > 0 ? Math.min(1, sloSeconds / p99) : 1;
      t.ok(close(o[5], sp), `obs[5] ${o[5]} = min(1, SLO / p99) ${sp}`);
      t.ok(close(Number(r.info?.p99Ms), p99 * 1000), "info.p99Ms is the interval's p99");
      // 6: min(1, served / arrived).
      t.ok(close(o[6], arrived > 0 ? Math.min(1, sum(STAT.served) / arrived) : 1), `obs[6] ${o[6]}`);
      // 7: (r_t - r_{t-1}) / max(r_t, r_{t-1}).
      const change = (arrived - prevArrived) / Math.max(arrived, prevArrived);
      t.ok(close(o[7], change), `obs[7] ${o[7]} = load change ${change}`);
      prevArrived = arrived;
      // 8: pods in CrashLoopBackOff / replicas, mean over ticks.
      t.ok(close(o[8], sum(STAT.backoff) / 30 / replicas), `obs[8] ${o[8]} = mean back-off fraction`);
      // Reward: alpha * SP * 2 + (1 - alpha) * (RU_cpu + RU_mem), RU_mem the held-pod mean's peak over ticks.
      const reward = 0.3 * 2 * o[5] + 0.7 * (sum(STAT.cpuUtil) / 30 + max(STAT.memUtil));
      t.ok(close(r.reward, reward), `reward ${r.reward} = ${reward}`);
      t.ok(close(Number(r.info?.ruMem), max(STAT.memUtil)) && close(Number(r.info?.sp), o[5]));
    }
    t.ok(sawKill, "the sweep had intervals with kills");
  });
});

t.test("no arrivals: SLO preservation 1, throughput 1, load change -1 then 0", async (t) => {
  // 21 steps + warm-up = 630 s; minutes 4-8 carry no load.
  const rates = Float64Array.from([5, 5, 5, 5, 0, 0, 0, 0, 0, 5, 5, 5], (x) => x);
  const gap: Trace = { name: "gap", stepSeconds: 60, rates };
  const env = new AutoscalingEnv({ app, trace: gap, seed: 1, maxEpisodeSteps: 20 });
  const obs0 = env.reset(1);
  t.equal(obs0[7], 0, "the reset observation has no load change");
  const steps = [];
  for (let i = 0; i < 20; i++) steps.push(env.step([0, 0, 0]));
  const quiet = steps.map((r, i) => ({ i, r })).filter(({ r }) => r.info?.arrivalRate === 0);
  t.ok(quiet.length >= 4, `${quiet.length} intervals without arrivals`);
  for (const { i, r } of quiet) {
    t.equal(r.observation[5], 1, `step ${i}: SLO preservation 1`);
    t.equal(r.observation[6], 1, `step ${i}: throughput 1`);
    const before = i > 0 ? Number(steps[i - 1].info?.arrivalRate) : 1;
    t.equal(r.observation[7], before > 0 ? -1 : 0, `step ${i}: load change after ${before} req/s`);
  }
});

t.test("observations stay inside the Box under random actions", async (t) => {
  const env = new AutoscalingEnv({ app, trace, seed: 2 });
  const rnd = (k: number) => Math.sin(k * 12.9898) * 0.5 + Math.sin(k * 78.233) * 0.5;
  let obs = env.reset(2);
  let seenHigh = 0;
  for (let k = 0; k < 300; k++) {
    for (let i = 0; i < OBS_DIM; i++)
      t.ok(obs[i] >= env.observationSpace.low[i] && obs[i] <= env.observationSpace.high[i], `step ${k}: obs[${i}] = ${obs[i]} in bounds`);
    if (obs[4] === 1) seenHigh++;
    const r = env.step([rnd(3 * k), rnd(3 * k + 1), rnd(3 * k + 2)]);
    t.ok(r.reward >= 0 && r.reward <= 2, `reward ${r.reward} in [0, 2]`);
    obs = r.truncated ? env.reset() : r.observation;
  }
  t.ok(seenHigh > 0, "random memory limits hit the top of observation 4");
});
