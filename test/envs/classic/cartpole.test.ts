import t from "tap";
import { Rng } from "../../../flash/rng.js";
import { CartPole, CARTPOLE_THETA_THRESHOLD } from "../../../envs/classic/cartpole.js";

const close = (a: number, b: number, tol = 1e-12): boolean => Math.abs(a - b) <= tol;

/** One Euler step of the cart-pole written out independently from the equations. */
function handStep(s: number[], push: number): number[] {
  const [x, v, th, w] = s;
  const mc = 1.0,
    mp = 0.1,
    half = 0.5,
    g = 9.8,
    dt = 0.02;
  const M = mc + mp;
  const F = push === 1 ? 10 : -10;
  const c = Math.cos(th),
    sn = Math.sin(th);
  const tmp = (F + mp * half * w * w * sn) / M;
  const thacc = (g * sn - c * tmp) / (half * (4 / 3 - (mp * c * c) / M));
  const xacc = tmp - (mp * half * thacc * c) / M;
  return [x + dt * v, v + dt * xacc, th + dt * w, w + dt * thacc];
}

t.test("one step from a known state matches the equations computed by hand", async (t) => {
  const env = new CartPole();
  for (const push of [0, 1]) {
    const s0 = [0.1, -0.2, 0.05, 0.3];
    env.resetTo(s0[0], s0[1], s0[2], s0[3]);
    const r = env.step([push]);
    const want = handStep(s0, push);
    t.ok(
      env.state.every((v, i) => close(v, want[i])),
      `push ${push}: ${env.state} vs ${want}`,
    );
    t.same(Array.from(r.observation), want.map(Math.fround));
    t.equal(r.reward, 1);
    t.equal(r.terminated, false);
  }
  // Action 1 pushes right: from rest the cart accelerates to +x.
  env.resetTo(0, 0, 0, 0);
  env.step([1]);
  t.ok(env.state[1] > 0, "action 1 pushes right");
  t.ok(env.state[3] < 0, "and the pole tips back (theta_dot < 0)");
});

t.test("terminates on the angle, with reward 1 on the terminating step", async (t) => {
  const env = new CartPole();
  env.resetTo(0, 0, 0.15, 0.5);
  let steps = 0;
  let last = env.step([0]);
  steps++;
  while (!last.terminated) {
    t.ok(Math.abs(env.state[2]) <= CARTPOLE_THETA_THRESHOLD, "not terminated while inside the threshold");
    last = env.step([0]);
    steps++;
    if (steps > 100) break;
  }
  t.ok(last.terminated);
  t.equal(last.reward, 1);
  t.equal(last.truncated, false);
  t.ok(env.state[2] > CARTPOLE_THETA_THRESHOLD, "ended because theta > 12 deg");
  t.ok(Math.abs(env.state[0]) < 2.4);
  t.throws(() => env.step([0]), /after the episode ended/);
});

t.test("terminates when the cart leaves [-2.4, 2.4]", async (t) => {
  const env = new CartPole();
  env.resetTo(2.39, 1.0, 0, 0);
  const r = env.step([1]);
  t.ok(close(env.state[0], 2.41));
  t.equal(r.terminated, true);
  env.resetTo(-2.39, -0.4, 0, 0);
  t.equal(env.step([0]).terminated, false, "-2.398 is still inside");
});

t.test("a balancing controller is truncated exactly at step 500", async (t) => {
  const env = new CartPole();
  let o = env.reset(5);
  let steps = 0;
  let r;
  do {
    const a = 0.1 * o[0] + 0.5 * o[1] + 10 * o[2] + 2 * o[3] > 0 ? 1 : 0;
    r = env.step([a]);
    o = r.observation;
    steps++;
    if (r.truncated !== (steps === 500)) t.fail(`truncated=${r.truncated} at step ${steps}`);
  } while (!r.terminated && !r.truncated);
  t.equal(steps, 500);
  t.equal(r.terminated, false);
  t.equal(r.truncated, true);
});

t.test("seeded determinism and the initial-state distribution", async (t) => {
  const run = (env: CartPole, seed?: number): number[] => {
    const out = Array.from(env.reset(seed));
    for (let i = 0; i < 8; i++) out.push(...env.step([i % 2]).observation);
    return out;
  };
  const env = new CartPole();
  const a = run(env, 3);
  t.notSame(run(env), a, "reset() continues the stream");
  t.same(run(env, 3), a);
  t.same(run(new CartPole({ seed: 3 })), a);
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < 500; i++) {
    for (const v of env.reset()) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  t.ok(lo >= -0.05 && lo < -0.049 && hi <= 0.05 && hi > 0.049, `init in [${lo}, ${hi}]`);
});

t.test("bad actions: only the integers 0 and 1 in a one-element array", async (t) => {
  const env = new CartPole();
  env.reset(0);
  t.throws(() => env.step([2]), /integer in 0\.\.1, got 2/);
  t.throws(() => env.step([0.5]), /integer in 0\.\.1, got 0\.5/);
  t.throws(() => env.step([-1]), /got -1/);
  t.throws(() => env.step([NaN]), /finite/);
  t.throws(() => env.step([]), /expected length 1, got length 0/);
  t.throws(() => env.step([0, 1]), /expected length 1, got length 2/);
  t.doesNotThrow(() => env.step(new Float32Array([1])));
});

t.test("spaces", async (t) => {
  const env = new CartPole();
  t.same(env.actionSpace, { kind: "discrete", n: 2 });
  t.equal(env.observationSpace.high[0], Math.fround(4.8));
  t.equal(env.observationSpace.high[2], Math.fround(CARTPOLE_THETA_THRESHOLD * 2));
  t.equal(env.maxEpisodeSteps, 500);
});

t.test("a uniform random policy lasts about 22 steps", async (t) => {
  const env = new CartPole({ seed: 99 });
  const policy = new Rng("cartpole-random-policy");
  let total = 0;
  const episodes = 1000;
  for (let e = 0; e < episodes; e++) {
    env.reset();
    let done = false;
    while (!done) {
      const r = env.step([policy.int(0, 2)]);
      total += r.reward;
      done = r.terminated || r.truncated;
    }
  }
  const mean = total / episodes;
  t.ok(mean > 20 && mean < 24, `mean return ${mean.toFixed(2)}`);
});
