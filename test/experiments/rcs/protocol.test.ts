import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../../flash/backend.js";
import { Rng } from "../../../flash/rng.js";
import { SizelessRegressor } from "../../../agents/sizeless.js";
import { chooseBases, loadMultiCloud, loadServerless, makeQuery, type RcsWorkload } from "../../../envs/rcs/index.js";
import {
  evaluatePlan,
  fmtSeconds,
  halfSplitPlan,
  METHODS,
  providerPlan,
  RcsModels,
  rcsCommand,
  runCost,
  scoreCandidates,
  selectionAccuracy,
  splitByApp,
  type RcsModelConfig,
} from "../../../experiments/rcs/index.js";
import { parseArgs } from "../../../experiments/args.js";
import { RCS_FIXTURES, TINY_RCS_MODEL } from "../../helpers/rcs.js";

await selectBackend();

const FIX = RCS_FIXTURES;
const TINY = TINY_RCS_MODEL;
const ds = loadServerless(path.join(FIX, "serverless"));

function tmp(t: { teardown(f: () => void): void }): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "rcs-exp-"));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test("split by app keeps every variant of an app on one side", async (t) => {
  for (let i = 0; i < 5; i++) {
    const { train, test } = splitByApp(ds.workloads, new Rng(i));
    const a = new Set(train.map((w) => w.app));
    t.ok(test.every((w) => !a.has(w.app)));
    t.equal(train.length + test.length, ds.workloads.length);
    t.equal(a.size, 3);
  }
});

for (const variant of [{}, { context: "compact", contextLabels: "std", embeddingScale: 3 }] as const)
  t.test(`LEAK (end to end): every method's predictions ignore what was measured at the targets ${JSON.stringify(variant)}`, async (t) => {
    const split = splitByApp(ds.workloads, new Rng(3));
    const models = new RcsModels(ds, { ...TINY, ...variant });
    t.teardown(() => models.dispose());
    await models.train(split.train);
    const w = split.test.find((x) => x.variant === "1") ?? split.test[0];
    for (const X of [1, 2, 3]) {
      const tampered: RcsWorkload = structuredClone(w);
      const bases = chooseBases(w, X, new Rng(X));
      for (const p of tampered.points) {
        if (bases.includes(p.key)) continue;
        p.duration *= 50;
        p.metrics = p.metrics.map((v) => v + 7);
      }
      const a = await models.predict(makeQuery(w, bases).query, METHODS, `a${X}`);
      const b = await models.predict(makeQuery(tampered, bases).query, METHODS, `b${X}`);
      for (const m of METHODS) t.same(b[m], a[m], `${m} ${X}-shot`);
      t.same(models.embedding(`b${X}`), models.embedding(`a${X}`), "embedding");
    }
  });

t.test("evaluatePlan: all methods and shots, 1-shot tl = sizeless, flash_finetune = flash; no tensor leak; seeded", async (t) => {
  const n0 = tf.memory().numTensors;
  const run = () => evaluatePlan(halfSplitPlan(ds), { shots: [1, 2], iterations: 2, model: TINY, seed: 5 });
  const r = await run();
  t.same(Object.keys(r.summary), [...METHODS]);
  t.ok(r.iterations.every((it) => it.mape.tl["1"] === it.mape.sizeless["1"] && it.mape.flash_finetune["1"] === it.mape.flash["1"]));
  t.ok(r.rows.length > 0 && r.rows.every((x) => METHODS.every((m) => Number.isFinite(x.pred[m]))));
  t.ok(Number.isFinite(r.summary.flash["2"].ci95));
  t.equal(tf.memory().numTensors, n0, "no tensors left behind");
  const again = await run();
  t.same(again.summary, r.summary, "same seed, same numbers");
  const sa = selectionAccuracy(r, ds);
  t.ok(sa.accuracy.naive["1"].n > 0 && sa.accuracy.flash["2"].within15 >= sa.accuracy.flash["2"].exact);
  t.match(sa.markdown, /Selection accuracy/);
});

t.test("progress lines: iteration i/N, method, elapsed and ETA", async (t) => {
  const lines: string[] = [];
  await evaluatePlan(halfSplitPlan(ds, "p"), {
    shots: [1],
    iterations: 2,
    model: TINY,
    seed: 2,
    methods: ["naive", "flash"],
    log: (m) => lines.push(m),
    progressEvery: 0,
  });
  t.ok(
    lines.some((l) => /^\[p\] iteration 1\/2: training sizeless; elapsed \d+ s, ETA \?$/.test(l)),
    "first iteration training: ETA unknown",
  );
  t.ok(lines.some((l) => /^\[p\] iteration 1\/2: training flash; elapsed/.test(l)));
  t.ok(
    lines.some((l) => /^\[p\] iteration 1\/2: testing naive, flash on workload 2\/\d+; elapsed \d+ s, ETA \d+ s$/.test(l)),
    "testing: ETA extrapolated",
  );
  t.ok(
    lines.some((l) => /^\[p\] iteration 2\/2: training sizeless; elapsed \d+ s, ETA \d+ s$/.test(l)),
    "later iterations: ETA from finished ones",
  );
  t.ok(lines.some((l) => /^\[p\] iteration 2\/2 done: naive [\d.]+, flash [\d.]+ \(\d+ s\); elapsed \d+ s, ETA 0 s$/.test(l)));
  t.equal(fmtSeconds(65), "1 min 05 s");
  t.equal(fmtSeconds(7325), "2 h 02 min");
  t.equal(fmtSeconds(NaN), "?");
});

t.test("multi-cloud: across workloads and across providers run on the fixture", async (t) => {
  const mc = loadMultiCloud(path.join(FIX, "multi-cloud"));
  const r = await evaluatePlan(providerPlan(mc), { shots: [1, 3], iterations: 2, model: TINY, seed: 1, methods: ["naive", "flash"] });
  t.same(
    r.iterations.map((i) => i.split),
    ["across-providers:A", "across-providers:B"],
  );
  t.ok(
    r.rows.every((x) => x.target.startsWith(r.iterations[x.iteration].split.slice(-1))),
    "targets in the held-out cloud only",
  );
  const s = selectionAccuracy(r, mc);
  t.ok(s.accuracy.flash["3"].n > 0);
});

t.test("FLASH pretraining on 1-shot contexts only (one-row contexts): the meta learner's weights move", async (t) => {
  for (const layers of [1, 2]) {
    const models = new RcsModels(ds, { ...TINY, trainShots: [1], mlp: { ...TINY.mlp, batchSize: 4 }, encoder: { ...TINY.encoder, layers } });
    t.teardown(() => models.dispose());
    const before = models.flash.trainableVariables().map((v) => Array.from(v.dataSync()));
    t.ok(before.length > 0);
    const rep = await models.train(ds.workloads);
    t.ok(Number.isFinite(rep.trainMape.flash), `${layers} layer(s): finite training MAPE`);
    const after = models.flash.trainableVariables().map((v) => Array.from(v.dataSync()));
    const changed = after.filter((w, i) => w.some((x, j) => x !== before[i][j])).length;
    // Pretraining reaches every meta learner variable although every context is one step long.
    t.equal(changed, after.length, `${layers} layer(s): ${changed}/${after.length} meta learner variables changed`);
    t.ok(after.flat().every(Number.isFinite));
  }
});

t.test("price model and scoring", async (t) => {
  t.ok(Math.abs(runCost({ memoryMb: 1024 }, 1000) - (0.0000166667 + 0.0000002)) < 1e-12);
  t.equal(runCost({ pricePerMs: 2 }, 3), 6);
  const c = [
    { key: "a", timeMs: 100, cost: 1, measured: true },
    { key: "b", timeMs: 50, cost: 4, measured: true },
  ];
  t.equal(scoreCandidates(c, 1), 0, "alpha 1: cheapest");
  t.equal(scoreCandidates(c, 0), 1, "alpha 0: fastest");
});

t.test("SizelessRegressor.clone copies weights and standardisation, not the optimiser", async (t) => {
  const m = new SizelessRegressor(3, 1, { hidden: [8], epochs: 2 }, { seed: 1 });
  const x = [
    [1, 2, 3],
    [2, 3, 1],
    [0, 1, 1],
  ];
  m.fit(x, [1, 2, 3]);
  const c = m.clone();
  t.same(Array.from(c.predict(x)), Array.from(m.predict(x)));
  c.fit(x, [3, 3, 3], { epochs: 3 });
  t.notSame(Array.from(c.predict(x)), Array.from(m.predict(x)), "fine-tuning the clone leaves the original");
  m.dispose();
  c.dispose();
});

t.test("rcs evaluate writes results.json in the documented shape; bad input is a clear error", async (t) => {
  const out = tmp(t);
  const argv = [
    "evaluate",
    "--train",
    path.join(FIX, "serverless"),
    "--test",
    path.join(FIX, "serverless-other"),
    "--shots",
    "1,2",
    "--seeds",
    "2",
    "--epochs",
    "1",
    "--out",
    out,
  ];
  const { options, positionals } = parseArgs(argv, rcsCommand.options);
  const log = console.log;
  console.log = () => {};
  const err = console.error;
  console.error = () => {};
  try {
    await rcsCommand.run(options, positionals);
  } finally {
    console.log = log;
    console.error = err;
  }
  const res = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
  t.same(Object.keys(res), [...METHODS]);
  for (const m of METHODS) {
    t.same(Object.keys(res[m]), ["1", "2"]);
    t.same(Object.keys(res[m]["2"]), ["mape_mean", "mape_ci95"]);
    t.type(res[m]["2"].mape_mean, "number");
  }
  for (const f of ["report.md", "details.json", "ape-cdf.png", "ape-cdf.svg", "ape-cdf.vl.json"]) t.ok(existsSync(path.join(out, f)), f);
  t.match(readFileSync(path.join(out, "report.md"), "utf8"), /\| FLASH \|/);

  const bad = parseArgs(
    ["evaluate", "--train", path.join(FIX, "serverless"), "--test", path.join(FIX, "serverless-other"), "--shots", "1,5", "--out", out],
    rcsCommand.options,
  );
  await t.rejects(
    rcsCommand.run(bad.options, bad.positionals),
    /workload "fn0" \(app "fn0"\) is measured at 5 configuration\(s\); 5-shot needs 5 base\(s\) plus 1 target/,
  );
  const missing = parseArgs(["evaluate", "--train", "/nonexistent", "--test", "/nonexistent", "--out", out], rcsCommand.options);
  await t.rejects(rcsCommand.run(missing.options, missing.positionals), /does not exist/);
  await t.rejects(rcsCommand.run({ ...bad.options }, ["frobnicate"]), /expected a subcommand/);
});

t.test("rcs train + recommend: predicted time and cost per size and a pick", async (t) => {
  const d = tmp(t);
  const { trainCommand, recommendCommand } = await import("../../../experiments/rcs/recommend.js");
  await trainCommand({ data: path.join(FIX, "serverless"), out: path.join(d, "model"), model: TINY });
  // A user's function measured at two sizes only.
  const fn = path.join(d, "myfn");
  const { mkdirSync, copyFileSync } = await import("node:fs");
  mkdirSync(fn);
  copyFileSync(path.join(FIX, "serverless-other/fn0/256.csv"), path.join(fn, "256.csv"));
  copyFileSync(path.join(FIX, "serverless-other/fn0/1024.csv"), path.join(fn, "1024.csv"));
  const rec = await recommendCommand({ model: path.join(d, "model"), fn, runtime: "nodejs", alpha: 0.5, method: "flash" });
  t.equal(rec.length, 1);
  t.same(
    rec[0].sizes.map((s) => s.key),
    ["128", "256", "512", "1024", "2048"],
  );
  t.same(
    rec[0].sizes.map((s) => s.measured),
    [false, true, false, true, false],
  );
  t.ok(rec[0].sizes.every((s) => s.timeMs > 0 && s.cost > 0));
  t.ok(rec[0].sizes.some((s) => s.key === rec[0].recommended));
  await t.rejects(recommendCommand({ model: path.join(d, "nope"), fn, runtime: "nodejs", alpha: 0.5, method: "flash" }), /cannot read model\.json/);
});

t.test("rcs train + recommend on a multi-cloud workload: configurations instead of sizes, the dataset's prices; bad input names the file", async (t) => {
  const d = tmp(t);
  const { trainCommand, recommendCommand } = await import("../../../experiments/rcs/recommend.js");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  await trainCommand({ data: path.join(FIX, "multi-cloud"), out: path.join(d, "model"), model: TINY });
  const lines = readFileSync(path.join(FIX, "multi-cloud/configs.csv"), "utf8").trim().split("\n");
  const header = lines[0];
  // The user's workload: runs of ds0-task0 at two configurations of cloud A, renamed.
  const runs = lines
    .slice(1)
    .filter((l) => l.includes(",ds0-task0,"))
    .slice(0, 2)
    .map((l) => l.replace(",ds0-task0,", ",mine-job,"));
  const fn = path.join(d, "mine");
  mkdirSync(fn);
  writeFileSync(path.join(fn, "runs.csv"), [header, ...runs].join("\n") + "\n");
  const mc = loadMultiCloud(path.join(FIX, "multi-cloud"));
  const allKeys = [...new Set(mc.workloads.flatMap((w) => w.points.map((p) => p.key)))].sort();
  for (const method of ["flash", "sizeless"] as const) {
    const rec = await recommendCommand({ model: path.join(d, "model"), fn, runtime: "nodejs", alpha: 0.5, method });
    t.equal(rec.length, 1);
    t.equal(rec[0].function, "mine-job");
    t.same(
      rec[0].sizes.map((s) => s.key),
      allKeys,
      "every configuration the model knows, by configuration key",
    );
    t.equal(rec[0].sizes.filter((s) => s.measured).length, 2);
    t.ok(rec[0].sizes.every((s) => s.timeMs > 0 && s.cost > 0 && Number.isFinite(s.score!)));
    t.match(rec[0].priceModel, /target_cost \/ target_runtime/);
    t.ok(allKeys.includes(rec[0].recommended));
    // alpha 1 = cheapest: the pick has the smallest cost.
    const cheap = await recommendCommand({ model: path.join(d, "model"), fn, runtime: "nodejs", alpha: 1, method });
    const minCost = Math.min(...cheap[0].sizes.map((s) => s.cost));
    t.equal(cheap[0].sizes.find((s) => s.key === cheap[0].recommended)!.cost, minCost);
  }
  // Bad input: missing, unparsable row, wrong columns, no usable row.
  await t.rejects(
    recommendCommand({ model: path.join(d, "model"), fn: path.join(d, "nope"), runtime: "", alpha: 0.5, method: "flash" }),
    /nope does not exist/,
  );
  writeFileSync(path.join(fn, "runs.csv"), [header, runs[0], runs[1].replace(/,ok$/, ",ok,extra")].join("\n") + "\n");
  await t.rejects(recommendCommand({ model: path.join(d, "model"), fn, runtime: "", alpha: 0.5, method: "flash" }), /runs\.csv:3: unparsable row/);
  writeFileSync(path.join(fn, "runs.csv"), [header, runs[0].replace(/,mine-job,[^,]*/, ",mine-job,slow")].join("\n") + "\n");
  await t.rejects(
    recommendCommand({ model: path.join(d, "model"), fn, runtime: "", alpha: 0.5, method: "flash" }),
    /runs\.csv:2: unparsable row: column "target_cost" is "slow"/,
  );
  const noB = header.split(",").filter((c) => !c.startsWith("B_"));
  const keep = header
    .split(",")
    .map((c, i) => (c.startsWith("B_") ? -1 : i))
    .filter((i) => i >= 0);
  writeFileSync(path.join(fn, "runs.csv"), [noB.join(","), ...runs.map((r) => keep.map((i) => r.split(",")[i]).join(","))].join("\n") + "\n");
  await t.rejects(
    recommendCommand({ model: path.join(d, "model"), fn, runtime: "", alpha: 0.5, method: "flash" }),
    /mine: configuration columns \(.*\) differ from the model's/,
  );
  writeFileSync(path.join(fn, "runs.csv"), [header, runs[0].replace(/,ok$/, ",failed")].join("\n") + "\n");
  await t.rejects(recommendCommand({ model: path.join(d, "model"), fn, runtime: "", alpha: 0.5, method: "flash" }), /mine: no usable row/);
  rmSync(path.join(fn, "runs.csv"));
  await t.rejects(recommendCommand({ model: path.join(d, "model"), fn, runtime: "", alpha: 0.5, method: "flash" }), /mine is empty/);
});

t.test("rcs recommend on a serverless function: bad input names the file or app", async (t) => {
  const d = tmp(t);
  const { trainCommand, recommendCommand } = await import("../../../experiments/rcs/recommend.js");
  const { mkdirSync, writeFileSync, copyFileSync } = await import("node:fs");
  await trainCommand({ data: path.join(FIX, "serverless"), out: path.join(d, "model"), model: TINY });
  const fn = path.join(d, "myfn");
  const rec = (f = fn) => recommendCommand({ model: path.join(d, "model"), fn: f, runtime: "nodejs", alpha: 0.5, method: "flash" });
  await t.rejects(rec(path.join(d, "gone")), /app "gone": folder .*gone is missing/);
  mkdirSync(fn);
  await t.rejects(rec(), /app "myfn": folder .*myfn holds no <memory_mb>\.csv file/);
  copyFileSync(path.join(FIX, "serverless-other/fn0/256.csv"), path.join(fn, "big.csv"));
  await t.rejects(rec(), /app "myfn": .*big\.csv lacks a memory size/);
  rmSync(path.join(fn, "big.csv"));
  const text = readFileSync(path.join(FIX, "serverless-other/fn0/256.csv"), "utf8").trim().split("\n");
  writeFileSync(path.join(fn, "256.csv"), [text[0], text[1], text[2].replace(/^[^,]*/, "fast")].join("\n") + "\n");
  await t.rejects(rec(), /256\.csv:3: unparsable row: column ".*" is "fast"/);
  writeFileSync(path.join(fn, "256.csv"), [text[0], text[1] + ",1"].join("\n") + "\n");
  await t.rejects(rec(), /256\.csv:2: unparsable row: \d+ fields, the header has \d+/);
});

t.test("save/load keeps the context variant (compact context scaler, label scale, embedding scale): same predictions", async (t) => {
  const d = tmp(t);
  const cfg: RcsModelConfig = { ...TINY, context: "compact", contextLabels: "std", embeddingScale: 3 };
  const split = splitByApp(ds.workloads, new Rng(4));
  const a = new RcsModels(ds, cfg, "save-load-a");
  t.teardown(() => a.dispose());
  await a.train(split.train);
  t.ok(a.contextLabelScale !== 1, "label scale fitted");
  await a.save(path.join(d, "m"), { layout: "serverless", candidates: [] });
  const w = split.test[0];
  const q = makeQuery(w, chooseBases(w, 2, new Rng(9))).query;
  const pa = await a.predict(q, ["flash", "sizeless"], "p");
  a.dispose();
  const { models: b } = await RcsModels.load(path.join(d, "m"));
  t.teardown(() => b.dispose());
  const pb = await b.predict(q, ["flash", "sizeless"], "p");
  for (const m of ["flash", "sizeless"] as const) pb[m]!.forEach((v, i) => t.ok(Math.abs(v - pa[m]![i]) <= 1e-4 * Math.abs(pa[m]![i]), `${m} ${i}`));
});
