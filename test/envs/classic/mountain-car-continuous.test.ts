import t from "tap";
import { MountainCarContinuous } from "../../../envs/classic/mountain-car-continuous.js";

const f32 = Math.fround;
const close = (a: number, b: number, tol = 1e-12): boolean => Math.abs(a - b) <= tol;

t.test("one step from a known state matches the equations computed by hand", async (t) => {
  const env = new MountainCarContinuous();
  env.resetTo(-0.5, 0.01);
  const r = env.step([0.7]);
  const v = 0.01 + 0.7 * 0.0015 - 0.0025 * Math.cos(-1.5);
  const p = -0.5 + v;
  t.same(env.state, [f32(p), f32(v)], "state is stored as float32, like the source");
  t.same(Array.from(r.observation), [f32(p), f32(v)]);
  t.ok(close(r.reward, -0.1 * 0.49), `reward ${r.reward}`);
  t.equal(r.terminated, false);
});

t.test("velocity and position are clipped; the left wall is inelastic", async (t) => {
  const env = new MountainCarContinuous();
  env.resetTo(-0.8, 0.0695);
  env.step([1]);
  t.equal(env.state[1], f32(0.07), "speed clipped to 0.07");
  env.resetTo(-1.19, -0.07);
  env.step([-1]);
  t.same(env.state, [f32(-1.2), 0], "position clipped to -1.2, velocity zeroed");
});

t.test("reaching the goal terminates with +100; reward squares the raw action like Gymnasium", async (t) => {
  const env = new MountainCarContinuous();
  env.resetTo(0.44, 0.02);
  const r = env.step([1]);
  t.equal(r.terminated, true);
  t.ok(close(r.reward, 100 - 0.1), `reward ${r.reward}`);
  t.throws(() => env.step([0]), /after the episode ended/);

  const a = new MountainCarContinuous();
  const b = new MountainCarContinuous();
  a.resetTo(-0.5, 0);
  b.resetTo(-0.5, 0);
  const ra = a.step([3]);
  b.step([1]);
  t.same(a.state, b.state, "the dynamics clip the action to [-1, 1]");
  t.ok(close(ra.reward, -0.9), "the cost uses the unclipped action, as in the Python source");
});

t.test("zero action never reaches the goal: truncated exactly at step 999", async (t) => {
  const env = new MountainCarContinuous();
  env.reset(1);
  for (let i = 1; i <= 999; i++) {
    const r = env.step([0]);
    if (r.terminated || r.truncated !== (i === 999)) t.fail(`step ${i}: ${JSON.stringify(r)}`);
    if (r.reward !== 0) t.fail(`reward ${r.reward} at step ${i}`);
  }
  t.throws(() => env.step([0]), /after the episode ended/);
});

t.test("pumping energy (push along the velocity) reaches the goal", async (t) => {
  const env = new MountainCarContinuous();
  let o = env.reset(2);
  let ret = 0;
  let steps = 0;
  for (;;) {
    const r = env.step([o[1] >= 0 ? 1 : -1]);
    ret += r.reward;
    steps++;
    o = r.observation;
    if (r.terminated || r.truncated) {
      t.equal(r.terminated, true);
      break;
    }
  }
  t.ok(steps < 200, `reached the goal in ${steps} steps`);
  t.ok(close(ret, 100 - 0.1 * steps, 1e-9), `return ${ret}`);
  t.ok(o[0] >= 0.45);
});

t.test("seeded determinism; initial position in [-0.6, -0.4], velocity 0", async (t) => {
  const env = new MountainCarContinuous();
  const a = env.reset(9);
  t.same(env.reset(9), a);
  t.same(new MountainCarContinuous({ seed: 9 }).reset(), a);
  t.notSame(env.reset(), a);
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < 500; i++) {
    const o = env.reset();
    t.equal(o[1], 0);
    lo = Math.min(lo, env.state[0]);
    hi = Math.max(hi, env.state[0]);
  }
  t.ok(lo >= -0.6 && lo < -0.59 && hi <= -0.4 && hi > -0.41, `init in [${lo}, ${hi}]`);
});

t.test("bad actions raise clear errors", async (t) => {
  const env = new MountainCarContinuous();
  t.throws(() => env.step([0]), /before reset/);
  env.reset(0);
  t.throws(() => env.step([]), /expected length 1, got length 0/);
  t.throws(() => env.step([0, 0]), /expected length 1, got length 2/);
  t.throws(() => env.step([NaN]), /finite.*NaN/);
  t.equal(env.maxEpisodeSteps, 999);
  t.same(Array.from(env.observationSpace.low), [f32(-1.2), f32(-0.07)]);
});
