import t from "tap";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { deriveSeed, planUnits, stableStringify, unitFileName, type Unit } from "../../experiments/runner/units.js";
import { runUnits, workDirOf } from "../../experiments/runner/pool.js";
import { ConfigError, loadRunConfig, parseRunConfig, saveRunConfig, RUN_CONFIG_FORMAT, type RunConfig } from "../../experiments/runner/config.js";

const root = mkdtempSync(path.join(os.tmpdir(), "runner-test-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const executor = "testing@1";
let dirs = 0;
const fresh = () => path.join(root, `run${dirs++}`);
const quiet = { log: () => {} };

/** A diamond and a chain: a -> {b, c} -> d, and e -> f. */
function units(extra: Partial<Record<string, object>> = {}): Unit[] {
  const u = (id: string, deps: string[] = []): Unit => ({ id, kind: "x", deps, input: { sleepMs: 20, ...(extra[id] ?? {}) } });
  return [u("a"), u("b", ["a"]), u("c", ["a"]), u("d", ["b", "c"]), u("e/with/slash"), u("f", ["e/with/slash"])];
}

t.test("seeds derive from the run seed and the unit id only", async (t) => {
  t.equal(deriveSeed(0, "ref/p/r0"), deriveSeed(0, "ref/p/r0"));
  t.not(deriveSeed(0, "ref/p/r0"), deriveSeed(1, "ref/p/r0"));
  t.not(deriveSeed(0, "ref/p/r0"), deriveSeed(0, "ref/p/r1"));
  const a = planUnits(units(), 7, "e");
  const b = planUnits([...units(), { id: "zzz", kind: "x", deps: [], input: null }], 7, "e");
  for (const u of a) t.equal(b.find((x) => x.id === u.id)?.seed, u.seed, `adding a unit does not shift ${u.id}`);
  t.ok(a.every((u) => u.seed >= 0 && u.seed < 2 ** 31));
  t.equal(stableStringify({ b: 1, a: [1, { d: 2, c: undefined }] }), '{"a":[1,{"d":2}],"b":1}');
  t.equal(unitFileName("adapt/flash/p-m1.2/r0"), "adapt__flash__p-m1.2__r0");
});

t.test("plans are checked: duplicate ids, unknown deps, cycles", async (t) => {
  t.throws(
    () =>
      planUnits(
        [
          { id: "a", kind: "x", deps: [], input: 1 },
          { id: "a", kind: "x", deps: [], input: 2 },
        ],
        0,
        "e",
      ),
    /appears twice/,
  );
  t.throws(() => planUnits([{ id: "a", kind: "x", deps: ["b"], input: 1 }], 0, "e"), /depends on "b", which is not in the run/);
  t.throws(
    () =>
      planUnits(
        [
          { id: "a", kind: "x", deps: ["b"], input: 1 },
          { id: "b", kind: "x", deps: ["a"], input: 1 },
        ],
        0,
        "e",
      ),
    /dependency cycle: a -> b -> a/,
  );
  t.throws(() => planUnits([{ id: "../x", kind: "x", deps: [], input: 1 }], 0, "e"), /relative name/);
  const order = planUnits(units(), 0, "e").map((u) => u.id);
  t.ok(order.indexOf("a") < order.indexOf("b") && order.indexOf("b") < order.indexOf("d") && order.indexOf("c") < order.indexOf("d"));
});

t.test("results do not depend on the number of workers (0 = this thread, 2)", async (t) => {
  const plan = planUnits(units(), 3, executor);
  const results: string[] = [];
  for (const workers of [0, 2]) {
    const out = fresh();
    const lines: string[] = [];
    const r = await runUnits(plan, { outDir: out, executor, workers, log: (l) => lines.push(l) });
    t.equal(r.ran, plan.length);
    results.push(stableStringify(plan.map((u) => r.records.get(u.id)!.result)));
    t.ok(
      lines.some((l) => /start d/.test(l)) && lines.some((l) => /done {2}d in/.test(l)) && lines.some((l) => /6\/6 done/.test(l)),
      `progress lines name units and counts (workers ${workers})`,
    );
    t.ok(existsSync(path.join(workDirOf(out, "e/with/slash"), "out.txt")), "each unit has its own work directory");
  }
  t.equal(results[1], results[0]);
  // d = rand(d) + b + c where b, c each include a.
  const parsed = JSON.parse(results[0]) as { value: number; deps: number }[];
  t.ok(parsed[3].deps > parsed[0].value * 2, "dependency results are passed on");
});

t.test("resume: finished units are reused, a failed one reruns, a changed input reruns", async (t) => {
  const out = fresh();
  const marker = `marker-${dirs}`; // a file name in the run directory
  const plan = planUnits(units({ d: { failOnce: marker } }), 5, executor);
  await t.rejects(runUnits(plan, { outDir: out, executor, workers: 2, ...quiet }), /fails its first attempt/);
  const kept = readdirSync(path.join(out, "units")).filter((f) => f.endsWith(".json")).length;
  t.ok(kept >= 3 && kept < plan.length, `finished units kept (${kept})`);
  const again = await runUnits(plan, { outDir: out, executor, workers: 0, ...quiet });
  t.equal(again.ran, plan.length - kept, "only what did not finish runs again");
  t.equal(again.resumed, kept);
  t.equal(again.records.get("d")!.resumed, undefined);
  t.equal(again.records.get("a")!.resumed, true);
  const third = await runUnits(plan, { outDir: out, executor, workers: 0, ...quiet });
  t.equal(third.ran, 0, "a finished run resumes to nothing");
  // A torn record file is rerun, not trusted.
  const rec = path.join(out, "units", "f.json");
  writeFileSync(rec, readFileSync(rec, "utf8").slice(0, 10));
  t.equal((await runUnits(plan, { outDir: out, executor, workers: 0, ...quiet })).ran, 1);
  // Another input for one unit changes its key: it (and only it) reruns.
  const changed = planUnits(units({ d: { failOnce: marker }, e: { sleepMs: 1 } }), 5, executor);
  t.equal(changed.find((u) => u.id === "e/with/slash")!.key, plan.find((u) => u.id === "e/with/slash")!.key);
  const changed2 = planUnits(units({ d: { failOnce: marker }, "e/with/slash": { sleepMs: 1 } }), 5, executor);
  t.equal((await runUnits(changed2, { outDir: out, executor, workers: 0, ...quiet })).ran, 1);
});

t.test("a failing unit rejects the run with its id and message", async (t) => {
  const plan = planUnits(units({ c: { fail: true } }), 0, executor);
  await t.rejects(runUnits(plan, { outDir: fresh(), executor, workers: 2, ...quiet }), /unit c failed: unit c was told to fail/);
});

t.test("heartbeat lines report running units and an ETA", async (t) => {
  const lines: string[] = [];
  const plan = planUnits(
    [
      { id: "slow", kind: "x", deps: [], input: { sleepMs: 700 } },
      { id: "s2", kind: "x", deps: [], input: { sleepMs: 50 } },
    ],
    0,
    executor,
  );
  await runUnits(plan, { outDir: fresh(), executor, workers: 0, log: (l) => lines.push(l), heartbeatSeconds: 0.2 });
  t.ok(
    lines.some((l) => /running: slow 50% \(half way\)/.test(l)),
    lines.join("\n"),
  );
  t.ok(lines.some((l) => /ETA/.test(l)));
});

t.test("run config: validated with errors naming the field; a directory refuses another config", async (t) => {
  const good: RunConfig = {
    format: RUN_CONFIG_FORMAT,
    command: "reproduce",
    task: "pendulum-family",
    profile: "quick",
    seed: 0,
    seeds: 2,
    workers: null,
    backend: null,
    taskConfig: { a: 1 },
  };
  t.same(parseRunConfig(JSON.parse(JSON.stringify(good)), "c.json"), good);
  t.throws(() => parseRunConfig({ ...good, extra: 1 }, "c.json"), { name: "ConfigError", message: /c.json: unknown field "extra"/ });
  t.throws(() => parseRunConfig({ ...good, seeds: 0 }, "c.json"), /c.json: seeds: expected an integer >= 1, got 0/);
  t.throws(() => parseRunConfig({ ...good, format: "v0" }, "c.json"), /format: expected "flash-adapt-run@1"/);
  t.throws(() => parseRunConfig({ ...good, command: "sweep" }, "c.json"), /poolSizes: a sweep needs/);
  t.throws(() => parseRunConfig({ ...good, poolSizes: [2] }, "c.json"), /only a sweep has pool sizes/);
  t.throws(() => parseRunConfig({ ...good, command: "sweep", poolSizes: [2, 0] }, "c.json"), /poolSizes\[1\]: expected an integer >= 1/);
  const out = fresh();
  saveRunConfig(out, good);
  t.same(loadRunConfig(out), good);
  saveRunConfig(out, { ...good, workers: 4 }); // how it runs may change
  t.throws(() => saveRunConfig(out, { ...good, seeds: 3, taskConfig: { a: 2 } }), /holds a run with another configuration \(differs in seeds, taskConfig\)/);
  t.throws(() => loadRunConfig(fresh()), ConfigError);
  // Each replicate's config (a task that draws each replicate's pairs) is recorded, checked as objects, derived again on rerun.
  const withReps = { ...good, replicateConfigs: [{ a: 3 }] };
  t.same(parseRunConfig(JSON.parse(JSON.stringify(withReps)), "c.json"), withReps);
  t.throws(() => parseRunConfig({ ...good, replicateConfigs: [1] }, "c.json"), /c.json: replicateConfigs: expected an array of task config objects/);
  saveRunConfig(out, withReps);
  t.same(loadRunConfig(out).replicateConfigs, [{ a: 3 }], "replicateConfigs are not part of what a resumed run must match");
  // A sweep's per-pair pretraining budget is part of what the results depend on.
  const sweep: RunConfig = { ...good, command: "sweep", poolSizes: [2, 4], pretrainPerPair: 35 };
  t.same(parseRunConfig(JSON.parse(JSON.stringify(sweep)), "c.json"), sweep);
  t.throws(() => parseRunConfig({ ...sweep, pretrainPerPair: 0 }, "c.json"), /c.json: pretrainPerPair: expected an integer >= 1, got 0/);
  t.throws(() => parseRunConfig({ ...good, pretrainPerPair: 35 }, "c.json"), /pretrainPerPair: only a sweep has a per-pair pretraining budget/);
  const sOut = fresh();
  saveRunConfig(sOut, sweep);
  t.throws(() => saveRunConfig(sOut, { ...sweep, pretrainPerPair: 20 }), /differs in pretrainPerPair/);
  t.throws(() => saveRunConfig(sOut, { ...sweep, pretrainPerPair: undefined }), /differs in pretrainPerPair/, "a total budget is another run");
});
