import t from "tap";
import { Rng } from "../../../flash/rng.js";
import { angleNormalize, Pendulum } from "../../../envs/classic/pendulum.js";

const f32 = Math.fround;
const close = (a: number, b: number, tol = 1e-12): boolean => Math.abs(a - b) <= tol;

t.test("one step from a known state matches the equations computed by hand", async (t) => {
  const env = new Pendulum();
  env.resetTo(0.3, -0.5);
  const r = env.step([1.5]);
  // Independent arithmetic, g=10, m=1, l=1, dt=0.05.
  const cost = 0.3 * 0.3 + 0.1 * 0.25 + 0.001 * 2.25;
  const thdot = -0.5 + (15 * Math.sin(0.3) + 3 * 1.5) * 0.05;
  const th = 0.3 + thdot * 0.05;
  t.ok(close(r.reward, -cost), `reward ${r.reward} vs ${-cost}`);
  t.ok(close(env.state[1], thdot) && close(env.state[0], th), `state ${env.state} vs ${[th, thdot]}`);
  t.same(Array.from(r.observation), [f32(Math.cos(th)), f32(Math.sin(th)), f32(thdot)]);
  t.equal(r.terminated, false);
  t.equal(r.truncated, false);
});

t.test("torque is clipped to [-2, 2] in dynamics and cost; speed clipped to 8", async (t) => {
  const a = new Pendulum();
  const b = new Pendulum();
  a.resetTo(1, 0);
  b.resetTo(1, 0);
  const ra = a.step([5]);
  const rb = b.step([2]);
  t.equal(ra.reward, rb.reward, "cost uses the clipped torque");
  t.same(a.state, b.state);
  t.ok(close(ra.reward, -(1 + 0.001 * 4)));

  const c = new Pendulum();
  c.resetTo(Math.PI / 2, 7.9);
  c.step([2]);
  t.equal(c.state[1], 8, "7.9 + (15 + 6) * 0.05 clips to 8");
  t.ok(close(c.state[0], Math.PI / 2 + 0.4));
  c.resetTo(-Math.PI / 2, -7.9);
  c.step([-2]);
  t.equal(c.state[1], -8);
});

t.test("angle normalisation uses the floored modulo: cost of a wrapped angle", async (t) => {
  t.ok(Math.abs(angleNormalize(-4) - (-4 + 2 * Math.PI)) < 1e-12);
  t.ok(Math.abs(angleNormalize(4) - (4 - 2 * Math.PI)) < 1e-12);
  t.ok(Math.abs(angleNormalize(7) - (7 - 2 * Math.PI)) < 1e-12);
  t.equal(angleNormalize(Math.PI), -Math.PI, "pi maps to -pi as in NumPy");
  const env = new Pendulum();
  env.resetTo(-4, 0);
  const r = env.step([0]);
  const an = -4 + 2 * Math.PI;
  t.ok(Math.abs(r.reward + an * an) < 1e-12);
});

t.test("truncates exactly at step 200, never terminates, then refuses to step", async (t) => {
  const env = new Pendulum();
  t.throws(() => env.step([0]), /before reset/);
  env.reset(3);
  for (let i = 1; i <= 200; i++) {
    const r = env.step([0.5]);
    t.equal(r.terminated, false);
    if (r.truncated !== (i === 200)) t.fail(`truncated=${r.truncated} at step ${i}`);
    t.ok(r.reward <= 0 && r.reward >= -16.2736045, "reward within [-16.27, 0]");
  }
  t.throws(() => env.step([0]), /after the episode ended/);
  env.reset();
  t.doesNotThrow(() => env.step([0]));
});

t.test("seeded determinism: same seed, same episode; reset() continues the stream", async (t) => {
  const run = (env: Pendulum, seed?: number): number[] => {
    const out = Array.from(env.reset(seed));
    for (let i = 0; i < 50; i++) out.push(...env.step([Math.sin(i)]).observation);
    return out;
  };
  const a = new Pendulum();
  const first = run(a, 11);
  const second = run(a);
  t.same(run(a, 11), first);
  t.notSame(second, first);
  t.same(run(new Pendulum({ seed: 11 })), first, "constructor seed == reset(seed)");
  t.notSame(run(new Pendulum(), 12), first);
});

t.test("initial state: theta ~ U(-pi, pi), theta_dot ~ U(-1, 1)", async (t) => {
  const env = new Pendulum({ seed: 1 });
  let minTh = Infinity,
    maxTh = -Infinity,
    minW = Infinity,
    maxW = -Infinity;
  for (let i = 0; i < 2000; i++) {
    env.reset();
    const [th, w] = env.state;
    minTh = Math.min(minTh, th);
    maxTh = Math.max(maxTh, th);
    minW = Math.min(minW, w);
    maxW = Math.max(maxW, w);
  }
  t.ok(minTh >= -Math.PI && minTh < -3.0 && maxTh < Math.PI && maxTh > 3.0, `theta in [${minTh}, ${maxTh}]`);
  t.ok(minW >= -1 && minW < -0.99 && maxW < 1 && maxW > 0.99, `theta_dot in [${minW}, ${maxW}]`);
});

t.test("bad actions raise errors naming expected and given", async (t) => {
  const env = new Pendulum();
  env.reset(0);
  t.throws(() => env.step([]), /expected length 1, got length 0/);
  t.throws(() => env.step([1, 2]), /expected length 1, got length 2/);
  t.throws(() => env.step([NaN]), /finite.*NaN/);
  t.throws(() => env.step(new Float32Array([Infinity])), /finite.*Infinity/);
  t.doesNotThrow(() => env.step([0]), "a rejected action does not end the episode");
});

t.test("spaces and options", async (t) => {
  const env = new Pendulum({ g: 9.81, maxTorque: 3 });
  t.equal(env.id, "Pendulum-v1");
  t.same(Array.from(env.actionSpace.high), [3]);
  t.same(Array.from(env.observationSpace.high), [1, 1, 8]);
  t.equal(env.maxEpisodeSteps, 200);
  t.throws(() => new Pendulum({ m: 0 }), /m must be a finite number > 0/);
  t.throws(() => new Pendulum({ l: NaN }), /l must be/);
});

t.test("a uniform random policy scores about -1200 per episode", async (t) => {
  const env = new Pendulum({ seed: 2024 });
  const policy = new Rng("pendulum-random-policy");
  let total = 0;
  const episodes = 50;
  for (let e = 0; e < episodes; e++) {
    env.reset();
    let done = false;
    while (!done) {
      const r = env.step([policy.uniform(-2, 2)]);
      total += r.reward;
      done = r.terminated || r.truncated;
    }
  }
  const mean = total / episodes;
  t.ok(mean > -1450 && mean < -1050, `mean return ${mean.toFixed(1)}`);
});
