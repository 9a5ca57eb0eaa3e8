/**
 * The cost plan (`--plan`): unit work against the planner, the pool's schedule replayed,
 * rates from a finished run's units, and a calibration; through the real runner on the
 * autoscaling golden profile as a per-pair sweep (workers 0: this thread).
 */
import t from "tap";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { planRl } from "../../../experiments/protocols/rl-reproduce.js";
import { distinctPairs, meanDistinctPairs, unitWork } from "../../../experiments/protocols/unit-work.js";
import { calibrate } from "../../../experiments/runner/calibrate.js";
import { loadRunConfig } from "../../../experiments/runner/config.js";
import { estimateUnits, finishedIds, loadFactor, planLines, ratesFromRun, simulateWall, storedRecords } from "../../../experiments/runner/plan.js";
import { planRun } from "../../../experiments/runner/plan-run.js";
import { prepareRl, rerunOptions, runRl } from "../../../experiments/runner/run-rl.js";
import { planUnits, type PlannedUnit } from "../../../experiments/runner/units.js";
import { selectBackend } from "../../../flash/backend.js";
import { autoscalingProfile, createAutoscalingTask } from "../../../experiments/tasks/autoscaling.js";
import type { RlTask } from "../../../experiments/tasks/types.js";

const root = mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test("distinct pairs per batch: the expected count of a uniform draw, averaged over a round-robin pretraining", async (t) => {
  t.equal(distinctPairs(1), 1);
  t.equal(distinctPairs(2, 2), 1.5, "two draws from two pairs: 1.5 distinct on average");
  t.ok(Math.abs(distinctPairs(200, 64) - 200 * (1 - (199 / 200) ** 64)) < 1e-12);
  t.ok(distinctPairs(200, 64) > 54 && distinctPairs(200, 64) < 56, "about 55 of 200 pairs in a batch of 64");
  t.equal(meanDistinctPairs(2, 2, 2), (1 + 1.5) / 2, "episode 1 sees one pair, episode 2 two");
});

t.test("simulateWall: the pool's critical-path schedule replayed with estimated durations", async (t) => {
  const u = (id: string, cost: number, deps: string[] = []) => ({ id, kind: "k", deps, input: null, cost });
  // a (10) -> c (5); b (10) independent; d (1) independent.
  const plan = planUnits([u("a", 10), u("b", 10), u("c", 5, ["a"]), u("d", 1)], 0, "x");
  const secs = new Map([
    ["a", 10],
    ["b", 10],
    ["c", 5],
    ["d", 1],
  ]);
  t.equal(simulateWall(plan, secs, 1, new Set()), 26, "one worker: the sum");
  // Two workers: a and b first (the longest chains), then c after a and d after b: 10 + 5.
  t.equal(simulateWall(plan, secs, 2, new Set()), 15);
  t.equal(simulateWall(plan, secs, 2, new Set(["a", "b"])), 5, "finished units cost nothing; c runs at once");
  t.equal(loadFactor(0, 2, 2), 1);
  t.equal(loadFactor(20, 2, 2), 11, "20 others and 2 workers on 2 cores: each worker gets 1/11 of a core");
});

t.test("a per-pair sweep end to end: the plan's units against the planner, resumed units, rates from the run, a calibration", async (t) => {
  await selectBackend();
  const task = createAutoscalingTask() as unknown as RlTask;
  const out = path.join(root, "sweep");
  const run = {
    task: "autoscaling",
    profile: "golden",
    seeds: 1,
    out,
    workers: 0,
    poolSizes: [1, 2],
    budget: { kind: "per-pair", episodes: 2 } as const,
    noFigures: true,
    log: () => {},
  };
  // The plan of a run that has not run: the units planRl gives, counted by kind.
  const prep = await prepareRl(run);
  const cfg = autoscalingProfile("golden", 0, { traces: null, apps: null, poolSize: 2 });
  const planner = planRl(task, "autoscaling", prep.cfg, 1, [1, 2], 0, 2);
  t.same(prep.plan.map((u) => u.id).sort(), planner.map((u) => u.id).sort());
  t.equal(cfg.poolPairs.length, 2);
  const r = await runRl(run);
  t.equal(loadRunConfig(out).pretrainPerPair, 2, "config.json records the per-pair budget");
  t.same(
    r.sweep!.map((s) => [s.pool_size, s.pretrain_episodes.tl, s.pretrain_episodes.oracle]),
    [
      [1, 2, 2],
      [2, 4, 4],
    ],
    "2 episodes per pool pair: 2 at size 1, 4 at size 2",
  );
  t.ok(
    r.sweep!.every((s) => s.adaptation.some((a) => a.variant === "oracle") && s.reward_drop.oracle),
    "the oracle adapts and serves at every size",
  );
  t.ok(r.sweep!.every((s) => s.adaptation.every((a) => a.restricted_mean && a.censored !== undefined)));

  // Resuming: every unit finished; the plan says so and takes its rates from the run (no calibration).
  const logs: string[] = [];
  const again = await planRun({ ...rerunOptions(out), workers: 2 }, { resumeDir: out, log: (l) => logs.push(l) });
  t.notOk(
    logs.some((l) => /calibrating/.test(l)),
    "no calibration: the run's own timings",
  );
  t.match(again.join("\n"), new RegExp(`${prep.plan.length} units, ${prep.plan.length} finished`));
  t.match(again.join("\n"), /estimated wall time on 2 worker\(s\), each with a core of its own: (\d+\.\d h|\d+m?\d*s)/);

  // A larger plan (2 replicates) priced from this run's timings: counts by kind equal the planner's.
  const bigger = { ...run, seeds: 2, out: path.join(root, "bigger") };
  const lines = await planRun(bigger, { timings: out, log: (l) => logs.push(l) });
  const big = await prepareRl(bigger);
  const groups = new Map<string, number>();
  for (const u of big.plan) groups.set(unitWork(u, task).group, (groups.get(unitWork(u, task).group) ?? 0) + 1);
  for (const [g, n] of groups) t.match(lines.join("\n"), new RegExp(`\\n  ${g.replace("/", "\\/")} +${n} +${n} `), `${g}: ${n} units, all left`);
  t.equal(
    [...groups.values()].reduce((a, b) => a + b, 0),
    big.plan.length,
  );
  const ids = lines.filter((l) => /^ {2}\S+: \d/.test(l)).map((l) => l.trim().split(":")[0]);
  t.same(ids.sort(), big.plan.map((u) => u.id).sort(), "every unit listed once");

  // Rates fitted to the finished units: every group present, positive.
  const records = storedRecords(out);
  t.equal(finishedIds(prep.plan, records).size, prep.plan.length);
  const rates = ratesFromRun(prep.plan, records, task, out);
  for (const g of ["reference", "pretrain/flash", "pretrain/plain", "adapt/flash", "adapt/plain"] as const)
    t.ok(rates.perEpisode[g]! > 0, `${g}: ${rates.perEpisode[g]} s per episode`);
  t.ok(rates.perEval! > 0);
  const est = estimateUnits(prep.plan, task, rates, new Set());
  t.ok(
    est.every((e) => Number.isFinite(e.seconds) && e.seconds >= 0),
    "every unit priced",
  );
  const text = planLines("h", prep.plan as PlannedUnit[], est, rates, 2, "m").join("\n");
  t.match(text, /per-episode seconds \(the \d+ finished units of/);

  // The calibration on the golden config: every rate finite and non-negative, in CPU seconds.
  const cal = await calibrate(task, prep.cfg, { small: 1, large: 2 });
  for (const g of ["reference", "pretrain/flash", "pretrain/plain", "adapt/flash", "adapt/plain"] as const)
    t.ok(Number.isFinite(cal.perEpisode[g]) && cal.perEpisode[g]! >= 0, `calibrated ${g}`);
  t.match(cal.source, /CPU seconds of a calibration/);
  t.notOk(readFileSync(path.join(out, "config.json"), "utf8").includes("bigger"), "planning wrote nothing");
});
