/**
 * The fixed-action hooks every RL task serves (experiments/tasks/fixed-actions.ts): the
 * grid, each candidate's return equal to playing that action by hand on the same windows
 * whatever seed the environment was built with (the common random numbers the reference
 * rule relies on), and the applications leave-one-application-out groups by.
 */
import t from "tap";
import { actionLabel, cartesian, linspace, refineAction } from "../../../experiments/tasks/fixed-actions.js";
import { rlTask } from "../../../experiments/tasks/index.js";
import { makePairEnv as autoscalingEnv } from "../../../experiments/tasks/autoscaling-pairs.js";
import { makeCpufreqEnv } from "../../../experiments/tasks/cpufreq-pairs.js";
import { makePairEnv as congestionEnv } from "../../../experiments/tasks/congestion-pairs.js";
import { makeFamilyEnv } from "../../../envs/classic/family.js";
import type { PairEnv } from "../../../envs/env.js";
import type { AutoscalingConfig } from "../../../experiments/tasks/autoscaling.js";
import type { CpufreqConfig } from "../../../experiments/tasks/cpufreq.js";
import { CONGESTION_FIXED_CHANGES, type CongestionConfig } from "../../../experiments/tasks/congestion.js";
import type { ClassicFamilyConfig } from "../../../experiments/tasks/classic-family.js";

t.test("grid helpers", async (t) => {
  t.same(linspace(-1, 1, 5), [-1, -0.5, 0, 0.5, 1]);
  t.throws(() => linspace(0, 1, 1), /at least 2 points/);
  t.same(cartesian([[0, 1], [5]]), [
    [0, 5],
    [1, 5],
  ]);
  t.equal(actionLabel([0.5, -1, 1 / 3]), "0.5,-1,0.3333");
});

/** The return of `action` played on `env` from `reset(seed)`. */
function byHand(env: PairEnv, seed: number, action: number[]): number {
  env.reset(seed);
  let sum = 0;
  for (;;) {
    const r = env.step(action);
    sum += r.reward;
    if (r.terminated || r.truncated) return sum;
  }
}

/** A pair of a config's new or pool pairs by id. */
function pairIn<P extends { id: string }>(c: { testPairs: P[]; poolPairs: P[] }, id: string): P {
  return [...c.testPairs, ...c.poolPairs].find((p) => p.id === id)!;
}

/** Per task: its small profile, the env of a pair built with a given seed, and the action of grid candidate k. */
const CASES = [
  {
    task: "autoscaling",
    profile: "golden",
    grid: 125,
    env: (cfg: unknown, id: string, seed: number) => autoscalingEnv((cfg as AutoscalingConfig).env, pairIn(cfg as AutoscalingConfig, id), seed),
    action: (k: number) => cartesian([linspace(-1, 1, 5), linspace(-1, 1, 5), linspace(-1, 1, 5)])[k],
  },
  {
    task: "cpufreq",
    profile: "demo",
    grid: 8,
    env: (cfg: unknown, id: string, seed: number) => makeCpufreqEnv(cfg as CpufreqConfig, pairIn(cfg as CpufreqConfig, id), seed),
    action: (k: number) => [k],
  },
  {
    task: "congestion",
    profile: "golden",
    grid: 11,
    env: (cfg: unknown, id: string, seed: number) => congestionEnv((cfg as CongestionConfig).env, pairIn(cfg as CongestionConfig, id), seed),
    action: (k: number) => [CONGESTION_FIXED_CHANGES[k]],
  },
  {
    task: "pendulum-family",
    profile: "golden",
    grid: 9,
    env: (cfg: unknown, id: string, seed: number) => makeFamilyEnv("pendulum", pairIn(cfg as ClassicFamilyConfig, id), seed),
    action: (k: number) => [linspace(-2, 2, 9)[k]],
  },
];

for (const c of CASES) {
  t.test(`${c.task}: each candidate's return is its action played by hand on the same windows, whatever the env's seed`, async (t) => {
    const task = await rlTask(c.task);
    const cfg = task.profile(c.profile, 0);
    const grid = task.fixedActionGrid!(cfg);
    t.equal(grid.length, c.grid);
    t.equal(new Set(grid).size, grid.length, "distinct labels");
    const pair = task.pairs(cfg).test[0];
    const seeds = [1_000_000, 1_000_001];
    const got = task.fixedActionReturns!(cfg, pair, seeds);
    t.same(task.fixedActionReturns!(cfg, pair, seeds), got, "deterministic");
    t.ok(Number.isFinite(got.random));
    for (const k of [0, Math.floor(c.grid / 2), c.grid - 1]) {
      // An env built with another seed: the window seeds alone fix the episodes.
      const env = c.env(cfg, pair, 12345);
      const expect = seeds.reduce((a, s) => a + byHand(env, s, c.action(k)), 0) / seeds.length;
      t.ok(Math.abs(got.fixed[k] - expect) < 1e-9, `${grid[k]}: ${got.fixed[k]} vs ${expect} by hand`);
    }
    t.throws(() => task.fixedActionReturns!(cfg, pair, []), /at least one window seed/);
  });
}

t.test("applicationOf: updated pairs and processor changes belong to the application they came from", async (t) => {
  const cpufreq = await rlTask("cpufreq");
  const cfg = cpufreq.profile("quick", 0);
  const ups = cpufreq.updates!(cfg);
  t.ok(
    ups.some((u) => u.scenario === "processor"),
    "quick has processor changes",
  );
  for (const u of ups) t.equal(cpufreq.applicationOf!(cfg, u.pair), cpufreq.applicationOf!(cfg, u.from), `${u.pair} is ${u.from}'s application`);
  const first = (cfg as unknown as CpufreqConfig).testPairs[0];
  t.equal(cpufreq.applicationOf!(cfg, first.id), first.app.name);
  const apps = new Set(cpufreq.pairs(cfg).pool.map((p) => cpufreq.applicationOf!(cfg, p)));
  t.equal(apps.size, cpufreq.pairs(cfg).pool.length, "pool pairs: one application each");

  const autoscaling = await rlTask("autoscaling");
  const acfg = autoscaling.profile("quick", 0);
  for (const u of autoscaling.updates!(acfg)) t.equal(autoscaling.applicationOf!(acfg, u.pair), autoscaling.applicationOf!(acfg, u.from));
  // quick replays the repository's load traces by default: the pair names its trace window.
  const firstA = (acfg as unknown as AutoscalingConfig).testPairs[0];
  t.match(firstA.id, /^app-0000@.+\.w0$/);
  t.equal(autoscaling.applicationOf!(acfg, firstA.id), firstA.app.name);
  t.equal(firstA.app.name, "app-0000");

  const congestion = await rlTask("congestion");
  const ccfg = congestion.profile("quick", 0);
  for (const u of congestion.updates!(ccfg)) t.equal(congestion.applicationOf!(ccfg, u.pair), u.from, "a moved cell is its cell's");
  t.same(congestion.boundBaselines, ["oracle"], "the capacity oracle is a bound");
});

t.test("refineAction: the local search around a grid point, clipped to the box, never worse than where it started", async (t) => {
  let calls = 0;
  const score = (a: number[]) => {
    calls++;
    return -((a[0] - 0.3) ** 2) - (a[1] + 0.9) ** 2;
  };
  const r = refineAction(score, [0.5, -1], { lo: [-1, -1], hi: [1, 1], steps: [0.25, 0.125] });
  t.same(r.action, [0.25, -0.875], "the nearest point of the refined lattice to (0.3, -0.9)");
  t.equal(r.score, score([0.25, -0.875]));
  t.ok(calls <= 1 + 8 + 8 + 1, `each distinct action scored once (${calls} calls)`);
  t.same(refineAction(() => 0, [1, 1], { lo: [-1, -1], hi: [1, 1], steps: [0.5] }).action, [1, 1], "a flat score keeps the start");
});

t.test("autoscaling: refineFixedAction from the grid's best: at least as good on the selection windows; its evaluation is the action by hand", async (t) => {
  const task = await rlTask("autoscaling");
  const cfg = task.profile("golden", 0);
  const pair = task.pairs(cfg).test[0];
  const sel = [1_000_500];
  const ev = [1_000_000];
  const grid = task.fixedActionReturns!(cfg, pair, sel).fixed;
  const best = grid.indexOf(Math.max(...grid));
  const r = task.refineFixedAction!(cfg, pair, task.fixedActionGrid!(cfg)[best], sel, ev);
  t.ok(r.select >= grid[best], `refined ${r.select} >= grid ${grid[best]}`);
  const a = r.label.split(",").map(Number);
  t.equal(a.length, 3);
  const env = autoscalingEnv((cfg as unknown as AutoscalingConfig).env, pairIn(cfg as unknown as AutoscalingConfig, pair), 7);
  t.ok(Math.abs(r.eval - byHand(env, ev[0], a)) < 1e-9);
  t.throws(() => task.refineFixedAction!(cfg, pair, "no-such", sel, ev), /unknown fixed action/);
  t.equal((await rlTask("cpufreq")).refineFixedAction, undefined, "a discrete grid is the whole search");
});
