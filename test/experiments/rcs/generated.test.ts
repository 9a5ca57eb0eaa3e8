/**
 * The generated splits (gen-new, gen-real, gen-loao), the evaluation restricted to a test
 * subset, the fit report, and the `rcs fit` / `rcs generate` / `reproduce rcs` options,
 * on data generated from a segment model with known numbers (test/helpers/rcs.ts) that
 * plays the real data (source "synthetic": names list their segments).
 */
import t from "tap";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../../flash/backend.js";
import { generateDataset, loadSegmentModel, loadServerless, type RcsDataset } from "../../../envs/rcs/index.js";
import {
  evaluatePlan,
  fitReportMarkdown,
  generatedLeaveRealOutPlan,
  generatedPoolPlan,
  rcsCommand,
  realFolds,
  reproduceRcs,
  restrictEvaluation,
  scaleTable,
  segmentFitReport,
  splitPoolEvaluation,
} from "../../../experiments/rcs/index.js";
import { parseArgs } from "../../../experiments/args.js";
import { harnessCommands } from "../../../experiments/runner/commands.js";
import { knownSegmentModel, TINY_RCS_MODEL } from "../../helpers/rcs.js";

await selectBackend();

const known = knownSegmentModel();
/** "Real" applications (source synthetic; names g1000-... apart from any pool's), drawn from the known model. */
function realData(apps = 8): RcsDataset {
  const g = generateDataset(known, { apps, seed: "real", inputSpread: 0, firstIndex: 1000 }, "<real>");
  return { ...g, workloads: g.workloads.map((w) => ({ ...w, source: "synthetic" })) };
}

function tmp(t: { teardown(f: () => void): void }): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "rcs-genexp-"));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const [log, err] = [console.log, console.error];
  console.log = () => {};
  console.error = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
    console.error = err;
  }
}

t.test("realFolds: every real application in exactly one fold; bad fold counts are errors", async (t) => {
  const real = realData();
  const apps = [...new Set(real.workloads.map((w) => w.app))].sort();
  for (const k of [2, 3, apps.length]) {
    const folds = realFolds(real, k, 1);
    t.equal(folds.length, k);
    t.same(folds.flat().sort(), apps);
  }
  t.same(realFolds(real, 3, 1), realFolds(real, 3, 1), "seeded");
  t.throws(() => realFolds(real, 1, 1), /folds must be an integer in 2\.\.8/);
  t.throws(() => realFolds(real, 9, 1), /folds must be an integer in 2\.\.8/);
});

t.test("gen-loao: the held-out applications are nowhere in training; the rest of the real ones and the pool are", async (t) => {
  const real = realData();
  const plan = generatedLeaveRealOutPlan(real, { pool: 5, folds: 4, seed: 3 });
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const s = plan.draw(i, undefined as never);
    const held = new Set(s.test.map((w) => w.app));
    t.ok(held.size >= 1);
    for (const a of held) seen.add(a);
    t.notOk(
      s.train.some((w) => held.has(w.app)),
      `fold ${i}: no held-out app in training`,
    );
    t.equal(s.train.filter((w) => w.source === "generated").length, 5, "the pool");
    t.equal(s.train.filter((w) => w.source === "synthetic").length + s.test.length, real.workloads.length, "every other real workload trains");
  }
  t.equal(seen.size, 8, "every application is held out once over the folds");
});

t.test("gen-new and gen-real from one training: each scored on its own test set, as if tested alone", async (t) => {
  const real = realData(6);
  const plan = generatedPoolPlan(real, known, { pool: 6, test: 3, seed: 1 });
  const r = await evaluatePlan(plan, { shots: [1, 2], iterations: 2, model: TINY_RCS_MODEL, seed: 0, methods: ["naive", "sizeless", "flash"], controls: true });
  const parts = splitPoolEvaluation(r, real, { pool: 6, test: 3 });
  const realIds = new Set(real.workloads.map((w) => w.id));
  t.ok(parts["gen-new"].rows.length > 0 && parts["gen-new"].rows.every((row) => !realIds.has(row.workload)));
  t.ok(parts["gen-real"].rows.every((row) => realIds.has(row.workload)));
  t.equal(parts["gen-new"].rows.length + parts["gen-real"].rows.length, r.rows.length);
  t.equal(parts["gen-real"].iterations[0].testWorkloads, real.workloads.length);
  const newIds = new Set(parts["gen-new"].rows.map((row) => row.workload));
  t.equal(newIds.size, 6, "3 new applications per iteration, different in each");
  for (const [name, part] of Object.entries(parts)) {
    for (const it of part.iterations) {
      for (const s of [1, 2]) {
        const rows = part.rows.filter((row) => row.iteration === it.iteration && row.shots === s);
        const mape = rows.reduce((a, row) => a + Math.abs(row.pred.sizeless! - row.truth) / row.truth, 0) / rows.length;
        t.ok(Math.abs(it.mape.sizeless[String(s)] - mape) < 1e-12, `${name} iteration ${it.iteration}, ${s}-shot: MAPE over its own rows`);
      }
    }
  }
  const table = scaleTable(parts);
  t.equal(table.length, 4, "a header, a rule and one row per split");
  t.match(table[2], /^\| gen-new \| 6 \| [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \| -?\d+% ± \d+% \/ -?\d+% ± \d+% \| /, "FLASH below Sizeless, mean ± CI");
  const all = restrictEvaluation(r, () => true, r.plan);
  t.same(all.summary, r.summary, "restricting to every workload changes nothing");
  t.throws(() => restrictEvaluation(r, () => false, { name: "none", description: "" }), /tested no kept workload/);
});

t.test("fit report: one row per application, the three predictors, the magnitudes beside sim/k8s's", async (t) => {
  const real = realData(5);
  const r = await segmentFitReport(real, { shots: [1, 2], model: TINY_RCS_MODEL, seed: 0 });
  t.equal(r.apps.length, 5);
  for (const a of r.apps) {
    t.ok(a.ownMape < 1e-3, `${a.app}: the model reproduces a noise-free application from its own demand (${a.ownMape})`);
    t.ok(a.composedMape !== null && a.composedMape < 0.02, `${a.app}: and from its composition (${a.composedMape})`);
    for (const p of ["naive", "sizeless", "segment"] as const) t.ok(Number.isFinite(a.loao[p]["1"]) && Number.isFinite(a.loao[p]["2"]));
  }
  t.same(Object.keys(r.summary), ["naive", "sizeless", "segment"]);
  const md = fitReportMarkdown(r);
  t.match(md, /\| matrixMultiplication \| (fitted|assumed) \(\d+\) \|/);
  t.equal(md.split("\n").filter((l) => /^\| [a-z]+[A-Z]?\w* \| (fitted|assumed) \(/.test(l)).length, 16, "one magnitude row per segment");
});

t.test("rcs generate and rcs fit: written, read back; existing outputs refused; bad options are usage errors", async (t) => {
  const d = tmp(t);
  const modelFile = path.join(d, "known.json");
  writeFileSync(modelFile, JSON.stringify(known));
  const run = (argv: string[]) => {
    const { options, positionals } = parseArgs(argv, rcsCommand.options);
    return quiet(() => rcsCommand.run(options, positionals));
  };
  const out = path.join(d, "pool");
  await run(["generate", "--apps", "4", "--seed", "7", "--model", modelFile, "--out", out, "--invocations", "3"]);
  const ds = loadServerless(out);
  t.equal(ds.workloads.length, 4);
  t.same(ds.workloads, generateDataset(known, { apps: 4, seed: 7, invocations: 3 }).workloads, "the command's seed is the generator's");
  await t.rejects(run(["generate", "--apps", "4", "--seed", "7", "--model", modelFile, "--out", out]), { name: "UsageError", message: /is not empty/ });
  await t.rejects(run(["generate", "--apps", "4", "--out", path.join(d, "x")]), /exactly one of --model MODEL\.json .* or --data DIR/);
  await t.rejects(run(["generate", "--apps", "0", "--model", modelFile, "--out", path.join(d, "y")]), /--apps: expected an integer >= 1, got "0"/);
  await t.rejects(run(["generate", "--apps", "2", "--model", path.join(d, "nope.json"), "--out", path.join(d, "z")]), /nope\.json does not exist/);

  const fitted = path.join(d, "fitted.json");
  await run(["fit", "--data", out, "--out", fitted]);
  const m = loadSegmentModel(fitted);
  t.equal(m.fittedOn.apps.length, 4);
  await t.rejects(run(["fit", "--data", out, "--out", fitted]), { name: "UsageError", message: /fitted\.json already exists/ });
  await t.rejects(run(["fit", "--data", path.join(d, "missing"), "--out", path.join(d, "m2.json")]), /does not exist/);
  t.notOk(existsSync(path.join(d, "m2.json")), "nothing written on error");
});

t.test("reproduce rcs: unknown splits and a bad pool are usage errors; --pool and --splits only for rcs", async (t) => {
  const d = tmp(t);
  mkdirSync(path.join(d, "serverless-functions"));
  await t.rejects(reproduceRcs({ data: d, profile: "quick", out: path.join(d, "o"), splits: ["gen-everything"] }), {
    name: "UsageError",
    message: /rcs: unknown split "gen-everything"; known splits: fit, a, b, c-workloads, c-providers, gen-new, gen-real, gen-loao/,
  });
  await t.rejects(reproduceRcs({ data: d, profile: "quick", out: path.join(d, "o"), splits: ["gen-new"], pool: 0 }), /--pool: expected a positive integer/);
  const cmds = harnessCommands({ type: "string", description: "backend" });
  await t.rejects(cmds.reproduce.run({ profile: "golden", seed: "0", pool: "10" }, ["pendulum-family"]), {
    name: "UsageError",
    message: /--pool and --splits: only for rcs/,
  });
  t.notOk(existsSync(path.join(d, "o", "report.md")));
});
