/**
 * The application-update experiment (`RlTask.updates`) and the operational metrics
 * (`ServeResult.metrics`, `ReferenceResult.metrics`) through the real planner, runner,
 * summary and report, on a fake RL task with fixed numbers (workers 0: in this thread).
 */
import t from "tap";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { planRl } from "../../experiments/protocols/rl-reproduce.js";
import { rlMarkdown } from "../../experiments/report/rl-report.js";
import { runRl, type RlResults } from "../../experiments/runner/run-rl.js";
import { registerTask } from "../../experiments/tasks/index.js";
import type { RlTask } from "../../experiments/tasks/types.js";
import { FAKE_BUDGETS } from "../helpers/fake-task.js";
import { nonSnakeFields } from "../helpers/results-fields.js";

const root = mkdtempSync(path.join(os.tmpdir(), "updates-test-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const budgets = FAKE_BUDGETS;
/** Served rewards: reference -100 and random -1100 everywhere, so drop = (-100 - R) / 1000. */
const SERVED: Record<string, { test: number; updated: number }> = {
  original: { test: -400, updated: -700 },
  flash: { test: -200, updated: -300 },
  tl: { test: -400, updated: -500 },
  "tl-paper": { test: -450, updated: -550 },
  "flash-before": { test: -250, updated: -350 },
  "flash-zero": { test: -800, updated: -900 },
  shuffled: { test: -300, updated: -400 },
};
const CPU: Record<string, number> = {
  original: 0.3,
  flash: 0.5,
  tl: 0.4,
  "tl-paper": 0.45,
  "flash-before": 0.5,
  "flash-zero": 0.1,
  shuffled: 0.5,
  reference: 0.6,
  hpa: 0.2,
};
const UPDATED = new Set(["p+load", "q+size"]);
const served: { variant: string; pairs: string[]; trainedOn?: string }[] = [];

function fakeTask(): RlTask {
  return {
    name: "fake",
    summary: "fake",
    profiles: ["golden"],
    baselineLabels: { hpa: "HPA" },
    metricLabels: { cpuUtil: "CPU utilisation (mean per step)" },
    updates: () => [
      { pair: "p+load", from: "p", scenario: "loadLevel" },
      { pair: "q+size", from: "q", scenario: "fileSize" },
    ],
    profile: () => ({}),
    validateConfig: (raw) => raw as Record<string, unknown>,
    budgets: () => budgets,
    pairs: () => ({ pool: ["a"], test: ["p", "q"] }),
    describe: () => "fake agents",
    async reference() {
      return {
        returns: new Array(budgets.referenceEpisodes).fill(-100),
        evalReturn: -100,
        baseline: -1100,
        seconds: 0,
        baselines: { hpa: -600 },
        metrics: { reference: { cpuUtil: CPU.reference }, hpa: { cpuUtil: CPU.hpa } },
      };
    },
    pretrain: async (_c, _v, pool) => ({ returns: [1, 2, 3, 4], pairs: [...pool, ...pool, ...pool, ...pool], episodes: 4, seconds: 0 }),
    adapt: async () => ({ returns: new Array(budgets.adaptEpisodes).fill(-100), seconds: 0 }),
    poolEmbeddings: async () => ({}),
    async serve(_c, req) {
      served.push({ variant: req.variant, pairs: req.pairs, trainedOn: req.trainedOn });
      return req.pairs.map((pair) => ({ pair, reward: SERVED[req.variant][UPDATED.has(pair) ? "updated" : "test"], metrics: { cpuUtil: CPU[req.variant] } }));
    },
  };
}

t.test("planRl: one reference per updated pair (replicate 0), none in a sweep", async (t) => {
  const task = fakeTask();
  const ids = planRl(task, "fake", {}, 2).map((u) => u.id);
  t.same(ids.filter((id) => id.startsWith("ref/")).sort(), ["ref/p+load/r0", "ref/p/r0", "ref/p/r1", "ref/q+size/r0", "ref/q/r0", "ref/q/r1"]);
  const ab = planRl(task, "fake", {}, 1).find((u) => u.id === "ab/r0");
  t.same((ab?.input as { updates?: unknown }).updates, task.updates!({}));
  t.notOk(
    planRl(task, "fake", {}, 1, [1]).some((u) => u.id.includes("+")),
    "a sweep has no update units",
  );
});

t.test("runRl: updates summarised apart from the A/B test; operations per variant; report and figures", async (t) => {
  registerTask("fake-updates", { summary: "fake", rl: async () => fakeTask() });
  const out = path.join(root, "run");
  served.length = 0;
  const r = await runRl({ task: "fake-updates", profile: "golden", seeds: 2, out, workers: 0, noFigures: false, log: () => {} });
  // The original agent of p is served on its A/B target q and on p's update; FLASH/TL on every new and updated pair.
  t.ok(served.some((s) => s.variant === "original" && s.trainedOn === "p" && s.pairs.join() === "q,p+load"));
  // Then on its own pool pairs (last, so new pairs' numbers do not move): here the one pool pair a.
  t.ok(served.some((s) => s.variant === "flash" && s.pairs.join() === "p,q,p+load,q+size,a"));
  t.ok(
    served.some((s) => s.variant === "tl-paper" && s.pairs.join() === "p,q,p+load,q+size,a"),
    "the paper's TL is served like TL, and on the pool pair it was trained on",
  );
  // The shuffled control needs another pool pair's embedding: with one pool pair, none on the pool.
  for (const v of ["flash-before", "flash-zero", "shuffled"])
    t.ok(
      served.some((s) => s.variant === v && s.pairs.join() === "p,q"),
      `the control ${v} serves the new pairs only`,
    );

  // The main A/B drop ignores the updated pairs: FLASH -200 on p and q, 2 replicates.
  t.equal(r.reward_drop.flash!.n, 4);
  t.ok(Math.abs(r.reward_drop.flash!.mean - 0.1) < 1e-12);
  t.notOk(r.reward_drop.samples.some((s) => UPDATED.has(s.pair)));
  t.notOk(
    r.adaptation.costs.some((c) => UPDATED.has(c.pair)),
    "no scratch curve of an updated pair",
  );
  t.same(Object.keys(r.baselines.hpa.by_pair).sort(), ["p", "q"], "baselines of new pairs only");
  t.same(r.references.map((x) => x.pair).sort(), ["p", "q"], "references of new pairs only");
  t.same(r.updates!.references.map((x) => x.pair).sort(), ["p+load", "q+size"]);

  const u = r.updates!;
  t.same(Object.keys(u.by_scenario).sort(), ["fileSize", "loadLevel"]);
  t.same(u.by_scenario.loadLevel.pairs, ["p+load"]);
  const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-12;
  t.ok(close(u.all.original.reward_drop?.mean, 0.6), "original: (-100 - -700) / 1000");
  t.ok(close(u.all.flash.reward_drop?.mean, 0.2));
  t.ok(close(u.all.tl.reward_drop?.mean, 0.4));
  t.equal(u.all.flash.reward_drop?.n, 4, "2 updated pairs x 2 replicates");
  t.equal(u.by_scenario.fileSize.variants.original.reward_drop?.n, 2);

  const o = r.operations!;
  t.same(o.labels, { cpuUtil: "CPU utilisation (mean per step)" });
  for (const [v, x] of Object.entries(CPU)) t.ok(close(o.by_variant[v].cpuUtil?.mean, x), `${v} cpu`);
  t.equal(o.by_variant.flash.cpuUtil?.n, 4, "served tests of new pairs only");
  t.equal(o.by_variant.reference.cpuUtil?.n, 4, "one per new pair and replicate");

  const md = readFileSync(path.join(out, "report.md"), "utf8");
  t.match(md, /## Application updates/);
  t.match(md, /\| loadLevel \| p\+load \| 0\.200 /);
  t.match(md, /## Operational metrics/);
  t.match(md, /\| Kubernetes HPA \| 0\.200 /);
  for (const f of ["update-drop", "operations-cpuUtil"]) t.ok(existsSync(path.join(out, "figures", `${f}.png`)), `${f}.png`);
  const json = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")) as RlResults;
  t.same(json.updates, r.updates);
  t.equal(json.format, "flash-adapt-results@2");
  t.same(nonSnakeFields(json), [], "every field name of results.json snake_case (map keys are names)");

  // An old results.json without these fields still renders, without the sections.
  const old = { ...r } as Partial<RlResults>;
  delete old.updates;
  delete old.operations;
  t.notMatch(rlMarkdown(old as RlResults, []), /Application updates|Operational metrics/);
});
