import t from "tap";
import { Rng } from "../../flash/rng.js";
import { makeNoise, NormalActionNoise, OrnsteinUhlenbeckActionNoise } from "../../agents/noise.js";

/** n samples of dimension 0. */
function series(noise: { sample(): Float32Array }, n: number): number[] {
  return Array.from({ length: n }, () => noise.sample()[0]);
}

/** Least-squares slope of ys on xs. */
function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxy / sxx;
}

t.test("Ornstein-Uhlenbeck: reverts to its mean at rate theta, with the stationary spread of the process", async (t) => {
  const theta = 2;
  const dt = 0.05;
  const sigma = 0.3;
  const xs = series(new OrnsteinUhlenbeckActionNoise(1, sigma, new Rng(11), theta, dt), 40_000);
  // x' = x (1 - theta dt) + sigma sqrt(dt) eps: the increment regresses on x with slope -theta dt.
  const s = slope(
    xs.slice(0, -1),
    xs.slice(1).map((x, i) => x - xs[i]),
  );
  t.ok(Math.abs(s - -theta * dt) < 0.02, `increment slope ${s.toFixed(4)}, expected ${-theta * dt}`);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  t.ok(Math.abs(mean) < 0.03, `mean ${mean.toFixed(4)} near 0`);
  // Stationary variance of the discrete process: sigma^2 dt / (1 - (1 - theta dt)^2).
  const a = 1 - theta * dt;
  const want = (sigma * sigma * dt) / (1 - a * a);
  const v = xs.reduce((acc, x) => acc + (x - mean) ** 2, 0) / xs.length;
  t.ok(Math.abs(v / want - 1) < 0.1, `variance ${v.toFixed(5)}, expected ${want.toFixed(5)}`);
  // Unlike independent noise, successive samples are strongly correlated.
  const normal = series(new NormalActionNoise(1, sigma, new Rng(11)), 40_000);
  t.ok(Math.abs(slope(normal.slice(0, -1), normal.slice(1))) < 0.03, "normal noise: no lag-1 correlation");
  t.ok(slope(xs.slice(0, -1), xs.slice(1)) > 0.85, "OU noise: lag-1 correlation near 1 - theta dt");
});

t.test("Ornstein-Uhlenbeck: same seed, same path; another seed, another; dimensions differ", async (t) => {
  const a = series(new OrnsteinUhlenbeckActionNoise(2, 0.2, new Rng(5)), 100);
  t.same(series(new OrnsteinUhlenbeckActionNoise(2, 0.2, new Rng(5)), 100), a);
  t.notSame(series(new OrnsteinUhlenbeckActionNoise(2, 0.2, new Rng(6)), 100), a);
  const two = new OrnsteinUhlenbeckActionNoise(2, 0.2, new Rng(5)).sample();
  t.not(two[0], two[1], "each dimension draws its own noise");
});

t.test("Ornstein-Uhlenbeck: reset restarts the process from 0", async (t) => {
  const theta = 0.15;
  const dt = 0.01;
  const kept = new OrnsteinUhlenbeckActionNoise(1, 1, new Rng(9), theta, dt);
  const reset = new OrnsteinUhlenbeckActionNoise(1, 1, new Rng(9), theta, dt);
  const x = series(kept, 200).at(-1) as number;
  series(reset, 200);
  reset.reset();
  t.ok(Math.abs(x) > 0.05, `the process has drifted from 0 (${x.toFixed(3)})`);
  // Both draw the same next shock; only the kept one still carries its decayed state.
  const withState = kept.sample()[0];
  const fromZero = reset.sample()[0];
  t.ok(Math.abs(withState - fromZero - x * (1 - theta * dt)) < 1e-5, `difference ${withState - fromZero}, expected ${x * (1 - theta * dt)}`);
  t.ok(Math.abs(fromZero) < Math.abs(x), "a fresh start is close to 0");
});

t.test("makeNoise builds the configured process", async (t) => {
  t.type(makeNoise({ type: "ornstein-uhlenbeck", sigma: 0.1 }, 3, new Rng(0)), OrnsteinUhlenbeckActionNoise);
  t.type(makeNoise({ type: "normal", sigma: 0.1 }, 3, new Rng(0)), NormalActionNoise);
  t.equal(makeNoise({ type: "none" }, 3, new Rng(0)), undefined);
  t.equal(makeNoise({ type: "normal", sigma: 0.1 }, 3, new Rng(0))?.sample().length, 3);
});
