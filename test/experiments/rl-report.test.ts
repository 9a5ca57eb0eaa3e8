import t from "tap";
import { REPORT_BUDGETS } from "../helpers/fake-task.js";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { planRl, summarise } from "../../experiments/protocols/rl-reproduce.js";
import { analyseRoom } from "../../experiments/protocols/room.js";
import { rlFigures, rlMarkdown, writeRlReport } from "../../experiments/report/rl-report.js";
import type { UnitRecord } from "../../experiments/runner/pool.js";
import type { RlResults } from "../../experiments/runner/run-rl.js";
import type { RlBudgets, RlTask } from "../../experiments/tasks/types.js";
import { CLASSIC_PROFILES, createClassicFamilyTask, validateClassicConfig } from "../../experiments/tasks/classic-family.js";

const budgets: RlBudgets = REPORT_BUDGETS;
const fake = { budgets: () => budgets, pairs: () => ({ pool: ["a", "b"], test: ["p", "q"] }), describe: () => "fake" } as unknown as RlTask;

/** A 0 -> level step at episode `at` (1-based) on a pair with reference -100 and random -1100. */
const step = (at: number, n = 30) => Array.from({ length: n }, (_, i) => (i + 1 >= at ? -100 : -1100));
const rec = (id: string, kind: string, result: unknown): [string, UnitRecord] => [
  id,
  { id, kind, seed: 1, key: "k", result, seconds: 2, worker: 0, finishedAt: "" },
];

function records(): Map<string, UnitRecord> {
  return new Map([
    rec("ref/p/r0", "reference", { returns: step(21), evalReturn: -100, baseline: -1100, seconds: 1 }),
    rec("ref/q/r0", "reference", { returns: step(16), evalReturn: -100, baseline: -1100, seconds: 1 }),
    rec("pretrain/flash/r0", "pretrain", { returns: [], pairs: ["a", "b"], episodes: 40, seconds: 10 }),
    rec("pretrain/tl/r0", "pretrain", { returns: [], pairs: ["a", "b"], episodes: 40, seconds: 5 }),
    rec("adapt/flash/p/r0", "adapt", { returns: step(1), seconds: 1 }),
    rec("adapt/flash/q/r0", "adapt", { returns: step(3), seconds: 1 }),
    rec("adapt/tl/p/r0", "adapt", { returns: step(6), seconds: 1 }),
    rec("adapt/tl/q/r0", "adapt", { returns: step(11), seconds: 1 }),
    rec("ab/r0", "ab", {
      samples: [
        { variant: "original", replicate: 0, pair: "q", trainedOn: "p", reward: -600 },
        { variant: "original", replicate: 0, pair: "p", trainedOn: "q", reward: -400 },
        { variant: "flash", replicate: 0, pair: "p", reward: -150 },
        { variant: "flash", replicate: 0, pair: "q", reward: -200 },
        { variant: "tl", replicate: 0, pair: "p", reward: -300 },
        { variant: "tl", replicate: 0, pair: "q", reward: -350 },
      ],
      testEmbeddings: { p: [1, 0], q: [0.5, 0.5] },
      poolEmbeddings: { a: [1, 0.1], b: [0, 1] },
    }),
  ]);
}

t.test("planRl: the units of a reproduction and of a sweep", async (t) => {
  const ids = planRl(fake, "fake", {}, 2).map((u) => u.id);
  t.ok(ids.includes("ref/p/r1") && ids.includes("pretrain/flash/r0") && ids.includes("adapt/tl/q/r1") && ids.includes("ab/r0"));
  // Per replicate: 2 references, 3 pretrainings (FLASH, TL, the paper's TL; no oracle hook), 3 x 2 adaptations, 1 A/B.
  t.equal(ids.length, 2 * (2 + 3 + 6 + 1));
  const sweep = planRl(fake, "fake", {}, 1, [1, 2]).map((u) => u.id);
  t.ok(sweep.includes("P1/pretrain/flash/r0") && sweep.includes("P2/adapt/tl/p/r0") && sweep.includes("ref/p/r0"));
  t.notOk(
    sweep.some((id) => id.startsWith("ab/")),
    "a sweep measures adaptation, not A/B",
  );
  t.notOk(
    sweep.some((id) => id.includes("tl-paper")),
    "a sweep compares FLASH and TL only",
  );
});

t.test("planRl: paired units share environment seeds (common random numbers); the paper's TL trains on one pool pair", async (t) => {
  const units = planRl(fake, "fake", {}, 2, undefined, 7);
  const envSeed = (id: string) => (units.find((u) => u.id === id)?.input as { envSeed?: number }).envSeed;
  for (const pair of ["p", "q"]) {
    for (const k of [0, 1]) {
      const seeds = [`ref/${pair}/r${k}`, `adapt/flash/${pair}/r${k}`, `adapt/tl/${pair}/r${k}`, `adapt/tl-paper/${pair}/r${k}`].map(envSeed);
      t.ok(Number.isInteger(seeds[0]), "an environment seed is set");
      t.same(seeds, [seeds[0], seeds[0], seeds[0], seeds[0]], `scratch, FLASH, TL and the paper's TL on ${pair}/r${k} share it`);
    }
  }
  t.not(envSeed("ref/p/r0"), envSeed("ref/p/r1"), "replicates draw other environments");
  t.not(envSeed("ref/p/r0"), envSeed("ref/q/r0"), "pairs draw other environments");
  t.not(
    envSeed("ref/p/r0"),
    (planRl(fake, "fake", {}, 1, undefined, 8).find((u) => u.id === "ref/p/r0")?.input as { envSeed: number }).envSeed,
    "the run seed changes them",
  );
  const pool = (id: string) => (units.find((u) => u.id === id)?.input as { pool: string[] }).pool;
  t.same([pool("pretrain/tl-paper/r0"), pool("pretrain/tl-paper/r1")], [["a"], ["b"]], "one previously seen pair per replicate");
  t.same(pool("pretrain/tl/r0"), ["a", "b"]);
  const withOracle = planRl({ ...fake, oracle: () => [1] } as unknown as RlTask, "fake", {}, 1).map((u) => u.id);
  t.ok(withOracle.includes("pretrain/oracle/r0") && withOracle.includes("adapt/oracle/q/r0"), "a task with the oracle hook gets the oracle control");
});

t.test("summarise: the protocols over finished units", async (t) => {
  const s = summarise(fake, {}, records());
  // Steps at 1, 3 (FLASH) and 6, 11 (TL) converge at 1, 12 and 15, 20 (expanding MA of 10); scratch at 21 -> 30, 16 -> 25.
  const cost = (v: string, p: string) => s.adaptation.costs.find((c) => c.variant === v && c.pair === p)?.episodes;
  t.same([cost("flash", "p"), cost("flash", "q"), cost("tl", "p"), cost("tl", "q"), cost("scratch", "p"), cost("scratch", "q")], [1, 12, 15, 20, 30, 25]);
  t.equal(s.adaptation_speedup_vs_tl!.mean, (15 / 1 + 20 / 12) / 2);
  t.equal(s.adaptation_speedup_vs_tl!.n, 2);
  // Drops against reference -100, random -1100.
  t.same(s.reward_drop.original!.mean, (0.5 + 0.3) / 2);
  t.same(s.reward_drop.flash!.mean, (0.05 + 0.1) / 2);
  t.equal(s.reward_drop.samples.length, 6);
  t.equal(s.similarity.drop.n, 2);
  t.equal(s.similarity.cost.n, 4);
  t.ok(s.amortisation && s.amortisation.length === 3);
  t.equal(s.pretraining.flash.episodes, 42, "FLASH's warm-up episodes count as pretraining");
  t.equal(s.adaptation.curves.filter((c) => c.variant === "flash").length, 30);
});

t.test("report: Markdown with the verdict and every figure rendered", async (t) => {
  const s = summarise(fake, {}, records());
  const r = {
    ...s,
    format: "flash-adapt-results@2",
    task: "fake",
    profile: "quick",
    command: "reproduce",
    describe: "fake agents",
    paper: { speedup_vs_tl: 5.5, reward_drop_original: 0.37, reward_drop_flash: 0.105, source: "paper" },
    seeds: { run: 0, replicates: [0], units: {} },
    backend: "wasm",
    provenance: { git: { commit: "abc", dirty: false }, backend: null, node: "", machine: { cpus: 2, cpu_model: "", mem_gib: 1, platform: "" } },
    wall: { seconds: 10, unit_seconds_sum: 18, by_kind: {}, workers: 2, ran_units: 9, resumed_units: 0 },
    config: { seeds: 1 },
    units: [],
  } as unknown as RlResults;
  const figs = rlFigures(r);
  t.same(Object.keys(figs).sort(), ["amortisation", "learning-curves", "retraining-cost-cdf", "reward-drop-cdf", "similarity-vs-cost", "similarity-vs-drop"]);
  const md = rlMarkdown(r, Object.keys(figs));
  t.match(md, /adaptation speedup, FLASH vs TL .* \| 8\.33 ± /);
  t.match(md, /Adaptation: FLASH (beat|was faster than)/);
  t.match(md, /Reward drop: FLASH (beat|was lower than)/);
  t.match(md, /!\[reward-drop-cdf\]\(figures\/reward-drop-cdf.png\)/);
  const dir = mkdtempSync(path.join(os.tmpdir(), "rl-report-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await writeRlReport(dir, r);
  for (const f of Object.keys(figs)) for (const ext of ["vl.json", "svg", "png"]) t.ok(existsSync(path.join(dir, "figures", `${f}.${ext}`)), `${f}.${ext}`);
  t.match(readFileSync(path.join(dir, "figures", "reward-drop-cdf.svg"), "utf8"), /reward drop/);
});

t.test("report: the oracle verdict says no room only when the oracle's means are no better than TL's", async (t) => {
  const s = summarise(fake, {}, records());
  const base = {
    ...s,
    format: "flash-adapt-results@2",
    task: "fake",
    profile: "quick",
    command: "reproduce",
    describe: "",
    paper: null,
    seeds: { run: 0, replicates: [0], units: {} },
    backend: "wasm",
    wall: { seconds: 1, unit_seconds_sum: 1, by_kind: {}, workers: 1, ran_units: 1, resumed_units: 0 },
    config: { seeds: 1 },
    units: [],
  };
  const ci = (mean: number, ci95: number) => ({ mean, ci95, n: 6, ratio_of_means: mean, capped: 0 });
  const withOracle = (drop: number, speedup: number) =>
    ({
      ...base,
      reward_drop: { ...s.reward_drop, flash: ci(0.5, 0.1), tl: ci(0.3, 0.1) },
      adaptation_speedup_vs_tl: ci(0.9, 0.2),
      controls: { ...s.controls, oracle: { reward_drop: ci(drop, 0.5), speedup_vs_tl: ci(speedup, 3) }, shuffled: { reward_drop: null } },
    }) as unknown as RlResults;
  t.match(rlMarkdown(withOracle(0.8, 0.5), []), /did not beat TL .*no room for any embedding/, "worse means: no room");
  const row = (pair: string, r: number[]) => ({ pair, select: r, eval: r, randomSelect: 0, randomEval: 0, seconds: 1 });
  const measured = analyseRoom({
    labels: ["c0", "c1"],
    windows: { select: [1], eval: [0] },
    pairs: [
      { id: "p", application: "A", role: "new", row: row("p", [10, 0]) },
      { id: "q", application: "B", role: "new", row: row("q", [0, 10]) },
    ],
    tolerance: 0.05,
  });
  const room = { ...measured, verdict: { ...measured.verdict, outcome: "room" as const } };
  const roomy = rlMarkdown({ ...withOracle(0.8, 0.5), room } as unknown as RlResults, []);
  t.match(roomy, /did not beat TL .*yet the room benchmark below finds room/, "the room benchmark found room: the agent, not the task");
  t.notMatch(roomy, /no room for any embedding/);
  const unsure = rlMarkdown(withOracle(0.1, 3.4), []);
  t.match(unsure, /had a lower drop and a faster adaptation than TL on average .* the intervals overlap: this run cannot tell/, "better means: cannot tell");
  t.notMatch(unsure, /no room for any embedding/);
  // The autoscaling run of 2026-11-29: faster on average but a higher drop; the line must say which.
  const mixed = rlMarkdown(withOracle(0.67, 3.4), []);
  t.match(mixed, /had a faster adaptation than TL on average .*; its drop was higher, but the intervals overlap/, "mixed: says which was better");
  t.notMatch(mixed, /lower drop/);
});

t.test("pendulum-family config: profiles validate; errors name the field", async (t) => {
  const task = createClassicFamilyTask();
  for (const p of task.profiles) {
    const cfg = task.profile(p, 0);
    t.same(validateClassicConfig(JSON.parse(JSON.stringify(cfg)), "c"), cfg, `${p} round-trips`);
  }
  const q = task.profile("quick", 0);
  t.same(task.profile("quick", 0), q, "same run seed, same pairs");
  t.notSame(task.profile("quick", 1).testPairs, q.testPairs, "another run seed, other pairs");
  t.same(task.profile("quick", 0, { poolSize: 8 }).testPairs, q.testPairs, "a larger pool keeps the new pairs");
  t.throws(() => task.profile("nope", 0), new RegExp(`unknown profile "nope"; known profiles: ${Object.keys(CLASSIC_PROFILES).join(", ")}`));
  const bad = JSON.parse(JSON.stringify(q));
  bad.budgets.adaptEpisodes = 0;
  t.throws(() => validateClassicConfig(bad, "c"), /c.budgets.adaptEpisodes: expected an integer >= 1, got 0/);
  const dup = JSON.parse(JSON.stringify(q));
  dup.poolPairs[0].id = dup.testPairs[0].id;
  t.throws(() => validateClassicConfig(dup, "c"), /appears twice/);
  const extra = JSON.parse(JSON.stringify(q));
  extra.agent.lr = 1;
  t.throws(() => validateClassicConfig(extra, "c"), /c.agent.lr: unknown field/);
  t.throws(() => task.pairs(q, 99), { name: "OptionValueError", message: /expected at most the 4 pool pairs/ });
});
