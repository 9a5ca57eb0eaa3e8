import t from "tap";
import { REPORT_BUDGETS } from "../../helpers/fake-task.js";
import { checkSweepBudget, pairedTestsNeeded, poolEffects, sweepSizeExtras, testsNeeded, type TestValue } from "../../../experiments/protocols/pool-sweep.js";
import { planRl, summarise } from "../../../experiments/protocols/rl-reproduce.js";
import type { UnitRecord } from "../../../experiments/runner/pool.js";
import { t975 } from "../../../experiments/stats.js";
import { autoscalingProfile, createAutoscalingTask } from "../../../experiments/tasks/autoscaling.js";
import { createClassicFamilyTask } from "../../../experiments/tasks/classic-family.js";
import type { RlBudgets, RlTask } from "../../../experiments/tasks/types.js";

const budgets: RlBudgets = REPORT_BUDGETS;
const fake = {
  budgets: () => budgets,
  pairs: (_c: unknown, n?: number) => ({ pool: ["a", "b", "c", "d"].slice(0, n ?? 4), test: ["p", "q"] }),
  describe: () => "fake",
} as unknown as RlTask;
const rec = (id: string, kind: string, result: unknown): [string, UnitRecord] => [
  id,
  { id, kind, seed: 1, key: "k", result, seconds: 2, worker: 0, finishedAt: "" },
];
/** A 0 -> level step at episode `at` (1-based): reference -100, random -1100. */
const step = (at: number, n = 30) => Array.from({ length: n }, (_, i) => (i + 1 >= at ? -100 : -1100));
const served = (rep: number, flash: [number, number], tl: [number, number]) => ({
  samples: [
    { variant: "flash", replicate: rep, pair: "p", reward: flash[0] },
    { variant: "flash", replicate: rep, pair: "q", reward: flash[1] },
    { variant: "tl", replicate: rep, pair: "p", reward: tl[0] },
    { variant: "tl", replicate: rep, pair: "q", reward: tl[1] },
  ],
});

t.test("testsNeeded: the smallest n whose two 95% intervals no longer overlap", async (t) => {
  // sd 1, effect 2: 2 t(n-1) / sqrt(n) < 2 first at n = 7 (2.447 / 2.646 = 0.92; n = 6: 2.571 / 2.449 = 1.05).
  t.equal(testsNeeded(1, 2), 7);
  t.equal(testsNeeded(1, -2), 7, "the sign of the effect does not matter");
  for (const [sd, eff] of [
    [0.3, 0.1],
    [2.5, 1],
    [0.05, 0.1],
  ]) {
    const n = testsNeeded(sd, eff) as number;
    t.ok((2 * t975(n - 1) * sd) / Math.sqrt(n) < eff, `n = ${n} separates sd ${sd}, effect ${eff}`);
    if (n > 2) t.ok((2 * t975(n - 2) * sd) / Math.sqrt(n - 1) >= eff, `n - 1 does not`);
  }
  t.equal(testsNeeded(1, 0), null, "no effect: no n");
  t.equal(testsNeeded(0, 0.1), 2, "no spread: two tests");
  t.equal(testsNeeded(10, 0.001, 50), null, "past maxN: null");
});

t.test("checkSweepBudget: a fixed total budget must reach every pool pair", async (t) => {
  t.doesNotThrow(() => checkSweepBudget({ pretrainEpisodes: 48 }, [6, 12, 24, 48], "sweep"));
  t.throws(() => checkSweepBudget({ pretrainEpisodes: 40 }, [6, 48], "quick"), {
    name: "ConfigError",
    message: /same 40 episodes in all \(budgets.pretrainEpisodes of profile quick\); expected pool sizes of at most 40 .*, got 48/,
  });
});

t.test("planRl: a sweep serves FLASH and TL once per size and replicate", async (t) => {
  const units = planRl(fake, "fake", {}, 2, [2, 4]);
  const serve = units.filter((u) => u.kind === "sweep-serve");
  t.same(serve.map((u) => u.id).sort(), ["P2/serve/r0", "P2/serve/r1", "P4/serve/r0", "P4/serve/r1"]);
  const s = serve.find((u) => u.id === "P4/serve/r1")!;
  t.same([...s.deps].sort(), ["P4/pretrain/flash/r1", "P4/pretrain/tl/r1", "ref/p/r1", "ref/q/r1"]);
  t.same((s.input as { pretrain: unknown }).pretrain, { flash: "P4/pretrain/flash/r1", tl: "P4/pretrain/tl/r1" });
  t.same((units.find((u) => u.id === "P2/pretrain/tl/r0")!.input as { pool: string[] }).pool, ["a", "b"], "the size's first pool pairs");
  t.notOk(
    planRl(fake, "fake", {}, 1).some((u) => u.kind === "sweep-serve"),
    "a reproduction has no sweep-serve units",
  );
});

t.test("sweepSizeExtras: per-size drops, paired differences and speedups, not mixing P2/ with P24/", async (t) => {
  const refs = new Map([
    ["p", { pair: "p", evalReturn: -100, trainLevel: -100, baseline: -1100 }],
    ["q", { pair: "q", evalReturn: -100, trainLevel: -100, baseline: -1100 }],
  ]);
  const records = new Map([
    rec("P2/serve/r0", "sweep-serve", served(0, [-200, -300], [-400, -300])),
    rec("P24/serve/r0", "sweep-serve", served(0, [-1100, -1100], [-1100, -1100])),
  ]);
  const costs = [
    { variant: "flash", pair: "p", replicate: 0, episodes: 5, converged: true, observed: 30 },
    { variant: "tl", pair: "p", replicate: 0, episodes: 10, converged: true, observed: 30 },
    { variant: "flash", pair: "q", replicate: 0, episodes: 4, converged: true, observed: 30 },
    { variant: "tl", pair: "q", replicate: 0, episodes: 6, converged: true, observed: 30 },
  ];
  const x = sweepSizeExtras(records, "P2/", costs, refs);
  t.same(
    x.tests.drop_flash.map((d) => d.value),
    [0.1, 0.2],
  );
  t.same(
    x.tests.drop_tl.map((d) => d.value),
    [0.3, 0.2],
  );
  t.same(
    x.tests.drop_flash_minus_tl.map((d) => Number(d.value.toFixed(12))),
    [-0.2, 0],
  );
  t.same(
    x.tests.speedup_vs_tl.map((d) => d.value),
    [2, 1.5],
  );
  t.equal(x.reward_drop.flash!.mean.toFixed(12), (0.15).toFixed(12));
  t.equal(x.reward_drop.flash_minus_tl!.n, 2);
  t.equal(sweepSizeExtras(records, "P24/", costs, refs).reward_drop.flash!.mean, 1, "P24's own samples");
});

t.test("poolEffects: observed effect, overlap, pooled spread and the replicates it needs", async (t) => {
  const tv = (vals: number[][]): TestValue[] => vals.flatMap((row, k) => row.map((value, i) => ({ pair: `p${i}`, replicate: k, value })));
  const entry = (pool_size: number, drops: number[][]) => {
    const v = tv(drops);
    return { pool_size, tests: { speedup_vs_tl: v, drop_flash: v, drop_tl: v, drop_flash_minus_tl: v } };
  };
  // Pool 2 around 0.5, pool 8 around 0.3, per-test deviations +-0.1: a visible effect with 6 tests each.
  const sweep = [
    entry(8, [
      [0.2, 0.4, 0.3],
      [0.4, 0.2, 0.3],
    ]),
    entry(2, [
      [0.4, 0.6, 0.5],
      [0.6, 0.4, 0.5],
    ]),
  ];
  const [e] = poolEffects(sweep, 3);
  t.same(
    e.means.map((m) => m.pool_size),
    [2, 8],
    "sorted by pool size",
  );
  t.equal(e.observed.toFixed(12), (-0.2).toFixed(12), "largest pool minus smallest");
  const sd = Math.sqrt(0.04 / 5);
  t.equal(e.sd_test!.toFixed(12), sd.toFixed(12), "pooled per-test sd");
  t.equal(e.sd_replicate, 0, "both replicates have the same mean");
  t.equal(e.overlap, Math.abs(-0.2) <= 2 * ((t975(5) * sd) / Math.sqrt(6)));
  t.equal(e.observed_needs.tests, testsNeeded(sd, 0.2));
  t.equal(e.observed_needs.replicates, Math.ceil((testsNeeded(sd, 0.2) as number) / 3));
  t.equal(e.stated_needs.tests, testsNeeded(sd, e.stated));
  // Paired per (pair, replicate): 8's value minus 2's is -0.2 for every test: no spread.
  t.same(e.paired!.n, 6);
  t.equal(e.paired!.mean.toFixed(12), (-0.2).toFixed(12));
  t.equal(e.paired!.sd!.toFixed(12), (0).toFixed(12));
  t.equal(pairedTestsNeeded(1, 1), testsNeeded(0.5, 1), "paired: one interval must exclude zero");
  t.equal(pairedTestsNeeded(1, 1), 7, "t(5) / sqrt(6) = 1.05 > 1; t(6) / sqrt(7) = 0.92 < 1");
  t.same(poolEffects([sweep[0]], 3), [], "one size: no effect to measure");
});

t.test("summarise: a sweep's results carry the drop per size and the replicate counts", async (t) => {
  const records = new Map<string, UnitRecord>([
    rec("ref/p/r0", "reference", { returns: step(21), evalReturn: -100, baseline: -1100, seconds: 1 }),
    rec("ref/q/r0", "reference", { returns: step(16), evalReturn: -100, baseline: -1100, seconds: 1 }),
  ]);
  for (const [n, flashReward] of [
    [2, -300],
    [4, -150],
  ] as const) {
    for (const v of ["flash", "tl"]) {
      records.set(...rec(`P${n}/pretrain/${v}/r0`, "pretrain", { returns: [], pairs: ["a", "b"].slice(0, n), episodes: 40, seconds: 1 }));
      for (const p of ["p", "q"]) records.set(...rec(`P${n}/adapt/${v}/${p}/r0`, "adapt", { returns: step(v === "flash" ? 2 : 8), seconds: 1 }));
    }
    records.set(...rec(`P${n}/serve/r0`, "sweep-serve", served(0, [flashReward, flashReward - 100], [-400, -400])));
  }
  const s = summarise(fake, {}, records, [2, 4]);
  t.equal(s.reward_drop.flash, null, "no A/B test in a sweep");
  const [p2, p4] = s.sweep!;
  t.equal(p2.reward_drop.flash!.mean.toFixed(12), (0.25).toFixed(12));
  t.equal(p4.reward_drop.flash!.mean.toFixed(12), (0.1).toFixed(12));
  t.equal(p4.reward_drop.tl!.mean.toFixed(12), (0.3).toFixed(12));
  t.equal(p2.speedup_vs_tl!.n, 2);
  const flashDrop = s.sweep_power!.find((e) => e.metric === "drop_flash")!;
  t.equal(flashDrop.observed.toFixed(12), (-0.15).toFixed(12));
  t.equal(flashDrop.overlap, true, "two tests per size (0.25 and 0.1, each ± 0.64: t(1) = 12.7) overlap");
  t.equal(flashDrop.means.map((m) => m.n).join(","), "2,2");
});

t.test("the sweep profiles offer 48 distinct pool pairs; a larger size is a clear error", async (t) => {
  const pendulum = createClassicFamilyTask();
  const pc = pendulum.profile("sweep", 0);
  t.equal(pc.poolPairs.length, 48);
  const physics = new Set(pc.poolPairs.map((p) => JSON.stringify(p.params)));
  t.equal(physics.size, 48, "48 distinct physics");
  t.equal(pendulum.pairs(pc, 48).pool.length, 48);
  t.throws(() => pendulum.pairs(pc, 49), {
    name: "OptionValueError",
    message: /--pool-sizes: expected at most the 48 pool pairs of pendulum-family.s config, got 49/,
  });
  t.same(pendulum.profile("sweep", 0, { poolSize: 6 }).testPairs, pc.testPairs, "the new pairs do not move with the pool size");
  t.doesNotThrow(() => checkSweepBudget(pendulum.budgets(pc), [6, 12, 24, 48], "sweep"));

  const as = createAutoscalingTask();
  const ac = autoscalingProfile("sweep", 0, { traces: null, apps: null });
  t.equal(ac.poolPairs.length, 48);
  t.equal(new Set(ac.poolPairs.map((p) => JSON.stringify(p.app.segments) + p.app.sloMs + p.app.load)).size, 48, "48 distinct applications");
  t.equal(new Set(ac.poolPairs.map((p) => JSON.stringify(p.trace))).size, 48, "48 distinct traces");
  t.same(ac.updatePairs, [], "no update experiment in a sweep");
  t.throws(() => as.pairs(ac, 64), { name: "OptionValueError", message: /at most the 48 pool pairs of autoscaling.s config, got 64/ });
  t.doesNotThrow(() => checkSweepBudget(as.budgets(ac), [6, 12, 24, 48], "sweep"));
  t.same(as.validateConfig(structuredClone(ac), "cfg"), ac, "the sweep profile validates as written");
});
