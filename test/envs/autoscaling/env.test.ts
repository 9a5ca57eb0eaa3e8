import t from "tap";
import { APP_SCHEMA, validateApplication } from "../../../sim/k8s/app.js";
import { generateApplications } from "../../../sim/k8s/generate.js";
import { AutoscalingEnv } from "../../../envs/autoscaling/env.js";
import { decodeAction, decodeObservation, encodeAction, OBS_DIM } from "../../../envs/autoscaling/spaces.js";
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
