/**
 * Non-ML baselines in results.json and report.md, and the task folder options
 * (--traces / --apps) recorded in config.json: through the real runner on a fake RL task
 * (workers 0, so it runs in this thread and finds the task registered here).
 */
import t from "tap";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { baselineSummaries, pairReferences, summarise } from "../../experiments/protocols/rl-reproduce.js";
import { rewardDrop } from "../../experiments/protocols/reward-drop.js";
import { rlMarkdown } from "../../experiments/report/rl-report.js";
import { harnessCommands } from "../../experiments/runner/commands.js";
import { loadRunConfig, parseRunConfig, RUN_CONFIG_FORMAT } from "../../experiments/runner/config.js";
import type { UnitRecord } from "../../experiments/runner/pool.js";
import { runRl, type RlResults } from "../../experiments/runner/run-rl.js";
import { meanCi95 } from "../../experiments/stats.js";
import { registerTask } from "../../experiments/tasks/index.js";
import type { ProfileOptions, RlTask } from "../../experiments/tasks/types.js";
import { FAKE_BUDGETS } from "../helpers/fake-task.js";
import { nonSnakeFields } from "../helpers/results-fields.js";

const root = mkdtempSync(path.join(os.tmpdir(), "baselines-test-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const budgets = FAKE_BUDGETS;
/** Reference -100, random -1100 on every pair; HPA and VPA rewards per pair and replicate. */
const HPA: Record<string, number[]> = { p: [-300, -500], q: [-600, -600] };
const VPA: Record<string, number[]> = { p: [-900, -700], q: [-1300, -1100] };
/** In the runner test, each pair's baseline rewards (the same in both replicates). */
const RUN = { hpa: { p: -300, q: -700 }, vpa: { p: -900, q: -1100 } } as Record<string, Record<string, number>>;
const profiles: { name: string; opts: ProfileOptions | undefined }[] = [];

/** A fake task whose unit results are fixed numbers; `baselines` in its reference results. */
function fakeTask(withBaselines: boolean): RlTask {
  return {
    name: "fake",
    summary: "fake",
    profiles: ["golden"],
    folderOptions: withBaselines ? { traces: "fake traces" } : undefined,
    baselineLabels: withBaselines ? { hpa: "HPA label" } : undefined,
    profile(name, runSeed, opts) {
      profiles.push({ name, opts });
      return { traces: opts?.traces ?? null };
    },
    validateConfig: (raw) => raw as Record<string, unknown>,
    budgets: () => budgets,
    pairs: () => ({ pool: ["a"], test: ["p", "q"] }),
    describe: () => "fake agents",
    async reference(_cfg, pair) {
      const returns = Array.from({ length: budgets.referenceEpisodes }, () => -100);
      return { returns, evalReturn: -100, baseline: -1100, seconds: 0, ...(withBaselines ? { baselines: { hpa: RUN.hpa[pair], vpa: RUN.vpa[pair] } } : {}) };
    },
    pretrain: async (_c, _v, pool) => ({ returns: [1, 2, 3, 4], pairs: [...pool, ...pool, ...pool, ...pool], episodes: 4, seconds: 0 }),
    adapt: async () => ({ returns: Array.from({ length: budgets.adaptEpisodes }, () => -100), seconds: 0 }),
    poolEmbeddings: async () => ({}),
    serve: async (_c, req) => req.pairs.map((pair) => ({ pair, reward: req.variant === "flash" ? -200 : -400 })),
  };
}

const rec = (id: string, kind: string, result: unknown): [string, UnitRecord] => [
  id,
  { id, kind, seed: 1, key: "k", result, seconds: 1, worker: 0, finishedAt: "" },
];

t.test("baselines: reward and drop per (pair, replicate) with the agents' drop function", async (t) => {
  const ref = (pair: string, k: number) =>
    rec(`ref/${pair}/r${k}`, "reference", {
      returns: new Array(12).fill(-100),
      evalReturn: k === 0 ? -100 : -120,
      baseline: -1100,
      seconds: 1,
      baselines: { hpa: HPA[pair][k], vpa: VPA[pair][k] },
    });
  const records = new Map([ref("p", 0), ref("p", 1), ref("q", 0), ref("q", 1)]);
  const refs = pairReferences(records, 10);
  const b = baselineSummaries(records, refs, { hpa: "HPA label" });
  t.same(Object.keys(b), ["hpa", "vpa"]);
  t.equal(b.hpa.label, "HPA label");
  t.equal(b.vpa.label, "vpa", "no label: the key");
  // The pair reference is the mean over replicates (-110), as for the agents' A/B drops.
  const expect = (xs: Record<string, number[]>) => ["p", "q"].flatMap((pair) => xs[pair].map((r) => rewardDrop(r, -110, -1100)));
  for (const [name, xs] of [
    ["hpa", HPA],
    ["vpa", VPA],
  ] as const) {
    const all = [...xs.p, ...xs.q];
    t.same(b[name].reward, { mean: meanCi95(all).mean, ci95: meanCi95(all).ci95, n: 4 }, `${name} reward`);
    t.equal(b[name].reward_drop!.mean, meanCi95(expect(xs)).mean, `${name} drop`);
    t.equal(b[name].reward_drop!.n, 4);
    t.same(b[name].by_pair, { p: (xs.p[0] + xs.p[1]) / 2, q: (xs.q[0] + xs.q[1]) / 2 });
  }
  t.equal(b.hpa.excluded, 0);
  // A pair whose reference is no better than random: its tests are excluded and counted, as for the agents.
  const bad = new Map([
    ...records,
    rec("ref/z/r0", "reference", { returns: [-2000], evalReturn: -2000, baseline: -1100, seconds: 1, baselines: { hpa: -100, vpa: -100 } }),
  ]);
  const bz = baselineSummaries(bad, pairReferences(bad, 10));
  t.equal(bz.hpa.excluded, 1);
  t.equal(bz.hpa.reward_drop!.n, 4);
  t.equal(bz.hpa.reward!.n, 5);
  t.same(
    baselineSummaries(new Map([rec("ref/p/r0", "reference", { returns: [1], evalReturn: 1, baseline: 0, seconds: 1 })]), refs),
    {},
    "a task without baselines: empty",
  );
});

t.test("runRl: results.json has baselines, report.md a row per baseline, config.json the folder options", async (t) => {
  registerTask("fake-baselines", { summary: "fake", rl: async () => fakeTask(true) });
  const traces = path.join(root, "my-traces");
  mkdirSync(traces);
  const out = path.join(root, "run");
  const r = await runRl({ task: "fake-baselines", profile: "golden", seeds: 2, out, workers: 0, noFigures: false, log: () => {}, taskOptions: { traces } });
  t.same(profiles.at(-1), { name: "golden", opts: { traces } }, "the folder reaches profile()");
  const json = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")) as RlResults;
  t.same(json.baselines, r.baselines);
  t.same(Object.keys(json.baselines), ["hpa", "vpa"]);
  for (const name of ["hpa", "vpa"] as const) {
    const b = json.baselines[name];
    for (const k of ["mean", "ci95", "n"]) {
      t.ok(k in (b.reward as object), `${name}.reward.${k}`);
      t.ok(k in (b.reward_drop as object), `${name}.reward_drop.${k}`);
    }
    t.equal(b.reward!.n, 4, "one per (new pair, replicate)");
  }
  // Reference -100 and random -1100 on every pair: drop = (-100 - R) / 1000, as the agents' (FLASH served at -200: 0.1).
  t.ok(Math.abs(json.reward_drop.flash!.mean - 0.1) < 1e-12);
  t.ok(Math.abs(json.baselines.hpa.reward_drop!.mean - (0.2 + 0.6) / 2) < 1e-12, "hpa drop as the agents'");
  t.ok(Math.abs(json.baselines.vpa.reward_drop!.mean - (0.8 + 1.0) / 2) < 1e-12, "vpa drop as the agents'");
  t.same(json.baselines.hpa.by_pair, { p: -300, q: -700 });
  t.same(nonSnakeFields(json), [], "every field name of results.json snake_case (map keys are names)");
  // The invocation's CPU seconds (worker threads included; workers 0 here: this thread), the quiet-machine estimate's input.
  t.ok(json.wall.cpu_seconds! > 0 && json.wall.cpu_seconds! < 600, `cpu_seconds ${json.wall.cpu_seconds}`);
  t.equal(json.wall.invocations.at(-1)!.cpu_seconds, json.wall.cpu_seconds);
  const md = readFileSync(path.join(out, "report.md"), "utf8");
  t.match(md, /## Non-ML baselines users run today/);
  t.match(md, /\| HPA label \| -500 ± [0-9.]+ \(n=4\) \| 0\.400 ± [0-9.]+ \(n=4\) \|/);
  t.match(md, /\| vpa \| -1000 ± [0-9.]+ \(n=4\) \| 0\.900 ± [0-9.]+ \(n=4\) \|/);
  t.match(md, /\| FLASH, no retraining \| -200 /);
  t.match(md, /Against HPA label: FLASH without retraining had the lower reward drop/);
  t.match(md, /\| pair \| reference \(deterministic eval\) .* HPA label \| vpa \|/);

  const cfg = loadRunConfig(out);
  t.same(cfg.taskOptions, { traces }, "config.json records the folder");
  // rerun: the recorded options come back (and config.json is unchanged).
  const before = readFileSync(path.join(out, "config.json"), "utf8");
  await runRl({
    task: cfg.task,
    profile: cfg.profile,
    seeds: cfg.seeds,
    seed: cfg.seed,
    out,
    workers: 0,
    noFigures: true,
    log: () => {},
    taskOptions: cfg.taskOptions,
    taskConfig: cfg.taskConfig,
  });
  t.equal(readFileSync(path.join(out, "config.json"), "utf8"), before);

  await t.rejects(
    runRl({ task: "fake-baselines", profile: "golden", seeds: 1, out: path.join(root, "x"), workers: 0, taskOptions: { apps: traces } }),
    /--apps: task fake-baselines does not read this folder \(it reads --traces\)/,
  );
});

t.test("a task without baselines: an empty baselines object, no section in the report", async (t) => {
  registerTask("fake-plain", { summary: "fake", rl: async () => fakeTask(false) });
  const out = path.join(root, "plain");
  const r = await runRl({ task: "fake-plain", profile: "golden", seeds: 1, out, workers: 0, noFigures: true, log: () => {} });
  t.same(r.baselines, {});
  t.notOk(JSON.parse(readFileSync(path.join(out, "config.json"), "utf8")).taskOptions, "no folder options: not in config.json");
  t.notMatch(rlMarkdown(r, []), /Non-ML baselines/);
  // An old results.json without the field still renders.
  const old = { ...r } as Partial<RlResults>;
  delete old.baselines;
  t.notMatch(rlMarkdown(old as RlResults, []), /Non-ML baselines/);
  await t.rejects(
    runRl({ task: "fake-plain", profile: "golden", seeds: 1, out: path.join(root, "y"), workers: 0, taskOptions: { traces: root } }),
    /--traces: task fake-plain does not read this folder \(it reads no folder\)/,
  );
});

t.test("summarise on a task without labels keeps the keys", async (t) => {
  const task = { ...fakeTask(true), baselineLabels: undefined } as RlTask;
  const records = new Map([
    rec("ref/p/r0", "reference", { returns: new Array(12).fill(-100), evalReturn: -100, baseline: -1100, seconds: 1, baselines: { hpa: -300 } }),
  ]);
  const s = summarise(task, {}, records);
  t.same(s.baselines.hpa.reward, { mean: -300, ci95: null, n: 1 });
  t.equal(s.baselines.hpa.reward_drop!.mean, 0.2);
  t.equal(s.baselines.hpa.label, "hpa");
});

t.test("run config: taskOptions validated", async (t) => {
  const good = {
    format: RUN_CONFIG_FORMAT,
    command: "reproduce",
    task: "autoscaling",
    profile: "quick",
    seed: 0,
    seeds: 1,
    workers: null,
    backend: null,
    taskOptions: { traces: "/d/t" },
    taskConfig: {},
  };
  t.same(parseRunConfig(structuredClone(good), "c.json").taskOptions, { traces: "/d/t" });
  t.throws(() => parseRunConfig({ ...good, taskOptions: { traces: 3 } }, "c.json"), /c.json: taskOptions.traces: expected a folder path, got 3/);
  t.throws(() => parseRunConfig({ ...good, taskOptions: [] }, "c.json"), /taskOptions: expected an object/);
});

t.test("CLI: --traces/--apps/--data name a missing folder or an unknown dataset; tasks that do not read them refuse", async (t) => {
  const cmds = harnessCommands({ type: "string", description: "backend" });
  const base = { profile: "golden", seed: "0" };
  await t.rejects(cmds.reproduce.run({ ...base, traces: path.join(root, "nope") }, ["autoscaling"]), {
    name: "MissingPathError",
    message: new RegExp(`--traces: ".*nope" does not exist and is not a dataset name; known names: load-traces, `),
  });
  const file = path.join(root, "baselines-a-file");
  rmSync(file, { force: true });
  writeFileSync(file, "x");
  await t.rejects(cmds.reproduce.run({ ...base, apps: file }, ["autoscaling"]), {
    name: "MissingPathError",
    message: /--apps: ".*baselines-a-file" is not a folder/,
  });
  await t.rejects(cmds.reproduce.run({ ...base, traces: root }, ["pendulum-family"]), {
    name: "UsageError",
    message: /--traces: task pendulum-family does not read this folder/,
  });
  await t.rejects(cmds.reproduce.run({ ...base, traces: root }, ["rcs"]), {
    name: "UsageError",
    message: /task rcs does not read this folder \(it reads --data DIR\)/,
  });
  await t.rejects(cmds.reproduce.run({ ...base, data: root }, ["autoscaling"]), {
    name: "UsageError",
    message: /--data: task autoscaling does not read a data folder \(it reads --traces DIR, --apps DIR\)/,
  });
  await t.rejects(
    cmds.reproduce.run({ ...base, profile: "quick", data: "nope" }, ["rcs"]),
    { name: "MissingPathError", message: /--data: "nope" does not exist and is not a dataset name; known names: serverless-functions, multi-cloud/ },
    "rcs reads --data (optional: its default is the repository's datasets)",
  );
});
