/** Each replicate's own pool and new pairs (protocols/replicates.ts) on the real autoscaling and pendulum profiles, and in the planner. */
import t from "tap";
import { planRl } from "../../../experiments/protocols/rl-reproduce.js";
import { allTestPairs, pairsByReplicate, replicateConfigs } from "../../../experiments/protocols/replicates.js";
import { autoscalingProfile, createAutoscalingTask } from "../../../experiments/tasks/autoscaling.js";
import { createClassicFamilyTask } from "../../../experiments/tasks/classic-family.js";
import type { RlTask } from "../../../experiments/tasks/types.js";
import { FAKE_BUDGETS } from "../../helpers/fake-task.js";

type Cfg = Record<string, unknown>;
const ids = (xs: readonly { id: string }[]) => xs.map((x) => x.id);

t.test("autoscaling: replicate k draws block k of the run seed's pairs, disjoint, the update experiment in replicate 0 only", async (t) => {
  const task = createAutoscalingTask();
  const cfg = autoscalingProfile("golden", 3, { traces: null, apps: null });
  const cfgs = replicateConfigs(task as unknown as RlTask, cfg as unknown as Cfg, 3, 3) as unknown as (typeof cfg)[];
  t.equal(cfgs[0], cfg, "replicate 0 runs the run's own config");
  const all = cfgs.flatMap((c) => [...ids(c.testPairs), ...ids(c.poolPairs)]);
  t.equal(new Set(all).size, all.length, `no pair in two replicates (${all.join(", ")})`);
  const apps = cfgs.flatMap((c) => [...c.testPairs, ...c.poolPairs].map((p) => p.app.name));
  t.equal(new Set(apps).size, apps.length, "no generated application in two replicates");
  for (const c of cfgs.slice(1)) {
    t.equal(c.testPairs.length, cfg.testPairs.length);
    t.equal(c.poolPairs.length, cfg.poolPairs.length);
    t.same(c.updatePairs, [], "no update pairs beyond replicate 0");
    t.same(c.budgets, cfg.budgets);
  }
  t.ok(cfg.updatePairs.length > 0, "replicate 0 keeps its update pairs");
  // The same draw again: deterministic, and replicate 2 does not depend on how many replicates run.
  const again = replicateConfigs(task as unknown as RlTask, cfg as unknown as Cfg, 3, 4) as unknown as (typeof cfg)[];
  t.same(ids(again[2].testPairs), ids(cfgs[2].testPairs));
  t.same(again[2].testPairs, cfgs[2].testPairs);
  // Another run seed draws other pairs.
  const other = task.replicateConfig!(autoscalingProfile("golden", 4, { traces: null, apps: null }), 4, 1);
  t.not(JSON.stringify(other.testPairs.map((p) => p.app)), JSON.stringify(cfgs[1].testPairs.map((p) => p.app)));
  t.same(
    pairsByReplicate(task as unknown as RlTask, cfgs as unknown as Cfg[]).map((r) => r.test),
    cfgs.map((c) => ids(c.testPairs)),
  );
  t.equal(allTestPairs(task as unknown as RlTask, cfgs as unknown as Cfg[]).length, 3 * cfg.testPairs.length);
});

t.test("pendulum family: replicate k's pairs are block k of the run seed's draw", async (t) => {
  const task = createClassicFamilyTask();
  const cfg = task.profile("golden", 0);
  const [c0, c1, c2] = replicateConfigs(task as unknown as RlTask, cfg as unknown as Cfg, 0, 3) as unknown as (typeof cfg)[];
  t.equal(c0, cfg);
  const all = [c0, c1, c2].flatMap((c) => [...ids(c.testPairs), ...ids(c.poolPairs)]);
  t.equal(new Set(all).size, all.length, "distinct pairs");
  // Block 1 of a 2-block draw = the pairs a 2-replicate draw continues with.
  const longer = createClassicFamilyTask().profile("golden", 0, { poolSize: cfg.poolPairs.length });
  t.same(ids(longer.testPairs), ids(cfg.testPairs), "replicate 0 = the profile's draw");
  t.same(task.validateConfig(JSON.parse(JSON.stringify(c1)), "c1"), c1, "a replicate's config validates");
});

t.test("replicateConfigs: a task whose replicates repeat a pair is refused; a task without the hook repeats its config", async (t) => {
  const base = { name: "fake", pairs: (c: Cfg) => ({ pool: ["a"], test: [String(c.t)] }) } as unknown as RlTask;
  t.same(replicateConfigs(base, { t: "p" }, 0, 3), [{ t: "p" }, { t: "p" }, { t: "p" }]);
  const bad = { ...base, replicateConfig: (c: Cfg, _s: number, k: number) => ({ t: k === 2 ? "p" : `p${k}` }) } as unknown as RlTask;
  t.throws(() => replicateConfigs(bad, { t: "p" }, 0, 3), /gave pair "a" to replicates 0 and 1/);
  t.throws(() => replicateConfigs(base, {}, 0, 0), /positive integer/);
});

t.test("planRl: each replicate's units read its own config and pairs; an updated pair's reference is trained once", async (t) => {
  const byRep = (c: Cfg) => Number(c.k ?? 0);
  const task = {
    name: "fake",
    budgets: () => FAKE_BUDGETS,
    pairs: (c: Cfg) => ({ pool: [`a${byRep(c)}`, `b${byRep(c)}`], test: [`p${byRep(c)}`, `q${byRep(c)}`] }),
    updates: (c: Cfg) => (byRep(c) === 0 ? [{ pair: "p0+u", from: "p0", scenario: "u" }] : []),
    replicateConfig: (c: Cfg, _s: number, k: number) => ({ ...c, k }),
  } as unknown as RlTask;
  const units = planRl(task, "fake", { k: 0 }, 2);
  const unitIds = units.map((u) => u.id);
  t.ok(
    ["ref/p0/r0", "ref/q1/r1", "adapt/flash/q1/r1", "ref/p0+u/r0", "ab/r1"].every((id) => unitIds.includes(id)),
    unitIds.join(" "),
  );
  t.notOk(unitIds.includes("ref/p0/r1"), "replicate 1 does not train references on replicate 0's pairs");
  t.equal(unitIds.filter((id) => id.startsWith("ref/p0+u/")).length, 1);
  const ab1 = units.find((u) => u.id === "ab/r1")!.input as { cfg: Cfg; test: string[] };
  t.same(ab1.test, ["p1", "q1"]);
  t.same(ab1.cfg, { k: 1 });
  t.same((units.find((u) => u.id === "pretrain/tl/r1")!.input as { pool: string[] }).pool, ["a1", "b1"]);
});
