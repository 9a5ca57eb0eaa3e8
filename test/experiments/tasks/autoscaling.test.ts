import t from "tap";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../../flash/backend.js";
import {
  AUTOSCALING_PROFILES,
  autoscalingProfile,
  createAutoscalingTask,
  nonMlRewards,
  type AutoscalingConfig,
} from "../../../experiments/tasks/autoscaling.js";
import { drawPairs, episodeSeconds, makePairEnv, updatePairsFor, validateAutoscalingConfig } from "../../../experiments/tasks/autoscaling-pairs.js";
import { rlTask } from "../../../experiments/tasks/index.js";
import { datasetPath } from "../../../experiments/datasets.js";
import { goldenTest } from "../../helpers/golden.js";
import { generateApplications, writeApplications } from "../../../sim/k8s/generate.js";
import { writeTraceCsv } from "../../../traces/csv.js";
import { syntheticTrace } from "../../../traces/synthetic.js";

await selectBackend();
const root = mkdtempSync(path.join(os.tmpdir(), "autoscaling-task-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const task = createAutoscalingTask();
const golden = (seed = 0): AutoscalingConfig => autoscalingProfile("golden", seed, { traces: null, apps: null });
const clone = <T>(x: T): T => structuredClone(x);

t.test("registered, and profiles validate as written", async (t) => {
  t.equal((await rlTask("autoscaling")).name, "autoscaling");
  for (const p of ["golden", "quick", "full", "paper", "sweep-paper"]) {
    const cfg = autoscalingProfile(p, 3, { traces: null, apps: null });
    t.same(task.validateConfig(clone(cfg), "cfg"), cfg, `${p} round-trips through validateConfig`);
  }
  const full = autoscalingProfile("full", 0, { traces: null, apps: null });
  t.equal(full.poolPairs.length, 200);
  t.equal(full.testPairs.length, 100);
  t.same(full.agent.netArch, [400, 300]);
  // The paper profile: the paper's pool and per-pair pretraining budget with quick's networks (issue 26).
  const paper = autoscalingProfile("paper", 0, { traces: null, apps: null });
  const quick = autoscalingProfile("quick", 0, { traces: null, apps: null });
  t.equal(paper.poolPairs.length, 200);
  t.ok(paper.testPairs.length >= 30, "at least 30 new pairs served");
  t.equal(paper.budgets.pretrainEpisodes / paper.poolPairs.length, 35, "35 pretraining episodes per pool pair");
  t.ok(paper.budgets.adaptPairs! >= 10 && paper.budgets.adaptEpisodes >= 200, "at least 10 adapted with a cap of at least 200");
  t.ok(paper.budgets.referenceCap! > paper.budgets.referenceEpisodes, "references to a plateau with a cap");
  t.same([paper.agent.netArch, paper.flash], [quick.agent.netArch, quick.flash], "quick's network sizes");
  const sp = autoscalingProfile("sweep-paper", 0, { traces: null, apps: null });
  t.ok(sp.poolPairs.length >= 96, "pool sizes up to at least 96");
  t.equal(AUTOSCALING_PROFILES["sweep-paper"].sweepPerPair, 35);
  t.throws(() => autoscalingProfile("nope", 0), new RegExp(`unknown profile "nope"; known profiles: ${Object.keys(AUTOSCALING_PROFILES).join(", ")}`));
});

t.test("config validation errors name the field", async (t) => {
  const DELETE = Symbol("delete");
  /** Sets (or deletes) the value at a dotted path such as "poolPairs.0.app.sloMs" in a copy of the golden config. */
  const bad = (at: string, value: unknown, re: RegExp, what: string) => {
    const c = clone(golden()) as unknown as Record<string, unknown>;
    const keys = at.split(".");
    let o = c;
    for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
    const last = keys[keys.length - 1];
    if (value === DELETE) delete o[last];
    else o[last] = value;
    t.throws(() => task.validateConfig(c, "cfg"), re, what);
  };
  const g = golden();
  bad("task", "pendulum", /cfg\.task: expected "autoscaling"/, "task");
  bad("agent.netArch", [64, 0], /cfg\.agent\.netArch: expected a non-empty array of positive integers/, "netArch");
  bad("agent.actorLearningRate", -1, /cfg\.agent\.actorLearningRate: expected a number > 0/, "lr");
  bad("agent.gamma", 1.5, /cfg\.agent\.gamma: expected a number >= 0 and <= 1/, "gamma");
  bad("flash.maxSteps", DELETE, /cfg\.flash\.maxSteps: missing/, "missing field");
  bad("budgets.extra", 1, /cfg\.budgets\.extra: unknown field/, "unknown field");
  bad("budgets.adaptEpisodes", 2.5, /cfg\.budgets\.adaptEpisodes: expected an integer >= 1/, "budget");
  bad("env.alpha", 2, /cfg\.env\.alpha: expected a number >= 0 and <= 1/, "alpha");
  bad(
    "env.traceSeconds",
    600,
    /cfg\.env\.traceSeconds: expected at least one episode plus its warm-up interval, 630 s, got 600/,
    "trace too short for an episode",
  );
  bad("poolPairs.0.app.sloMs", 0, /cfg\.poolPairs\[0\]\.app: field "sloMs": expected a finite number > 0/, "app schema");
  bad("testPairs.1.app.segments.0.size", -3, /cfg\.testPairs\[1\]\.app: field "segments\[0\]\.size"/, "segment size");
  bad("poolPairs.1.id", "x@y", /cfg\.poolPairs\[1\]\.id: expected "app-\d+@syn\d+"/, "id must be the env's pair name");
  bad("poolPairs.0.trace.source", "ftp", /cfg\.poolPairs\[0\]\.trace\.source: expected "synthetic" or "file"/, "trace source");
  bad("poolPairs.0.trace.diurnalAmplitude", 1, /cfg\.poolPairs\[0\]\.trace\.diurnalAmplitude/, "trace parameter");
  bad("testPairs.0", clone(g.poolPairs[0]), /pair id "app-\d+@syn\d+" appears twice/, "duplicate pair");
  bad("traces", 3, /cfg\.traces: expected a folder path or null/, "traces folder");
});

t.test("pairs are deterministic in the seed; test pairs first, stable under pool size", async (t) => {
  const a = golden(7);
  t.same(golden(7), a, "same seed, same config");
  const b = golden(8);
  t.not(JSON.stringify(b.testPairs), JSON.stringify(a.testPairs), "another seed, other pairs");
  const quick = autoscalingProfile("quick", 7, { traces: null, apps: null });
  const small = autoscalingProfile("quick", 7, { traces: null, apps: null, poolSize: 2 });
  t.same(small.testPairs, quick.testPairs, "pool size does not move the test pairs");
  t.same(small.poolPairs, quick.poolPairs.slice(0, 2));
  t.same(
    task.pairs(quick, 3).pool,
    quick.poolPairs.slice(0, 3).map((p) => p.id),
  );
  t.throws(() => task.pairs(quick, 99), {
    name: "OptionValueError",
    message: /--pool-sizes: expected at most the 12 pool pairs of autoscaling.s config, got 99/,
  });
  const ids = [...quick.testPairs, ...quick.poolPairs].map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, "ids unique");
  // Same pair, same environment numbers.
  const e1 = makePairEnv(quick.env, quick.testPairs[0], 1);
  const e2 = makePairEnv(quick.env, quick.testPairs[0], 1);
  t.same(Array.from(e1.reset(5)), Array.from(e2.reset(5)));
  t.equal(e1.step([0, 0, 0]).reward, e2.step([0, 0, 0]).reward);
});

t.test("trace sources: quick replays the repository's load traces by default; names and synthetic choose others", async (t) => {
  const quick = autoscalingProfile("quick", 0, { apps: null });
  t.equal(quick.traces, datasetPath("load-traces"), "quick: data/load-traces (the paper replayed a real trace)");
  const pairs = [...quick.testPairs, ...quick.poolPairs];
  t.ok(
    pairs.every((p) => p.trace.source === "file" && p.trace.file.startsWith(datasetPath("load-traces"))),
    "every pair a window of a real trace",
  );
  t.ok(new Set(pairs.map((p) => (p.trace.source === "file" ? p.trace.file : ""))).size >= 4, "spread over the traces");
  t.same(task.validateConfig(clone(quick), "cfg"), quick, "round-trips");
  t.equal(autoscalingProfile("golden", 0, { apps: null }).traces, null, "golden: synthetic traces (its checked-in numbers)");
  t.equal(autoscalingProfile("sweep", 0, { apps: null }).traces, null, "sweep: synthetic traces (as measured)");
  t.same(autoscalingProfile("quick", 0, { traces: "synthetic", apps: null }), autoscalingProfile("quick", 0, { traces: null, apps: null }), "synthetic = none");
  const one = autoscalingProfile("golden", 0, { traces: "azure-functions-2019", apps: null });
  t.ok(
    [...one.testPairs, ...one.poolPairs].every((p) => p.trace.source === "file" && p.trace.file === datasetPath("azure-functions-2019")),
    "one trace by its name",
  );
  t.throws(() => autoscalingProfile("golden", 0, { traces: "network-traces", apps: null }), {
    name: "UsageError",
    message: /--traces: dataset network-traces holds 537 Pantheon link-bandwidth traces .*which this option does not read/,
  });
});

t.test("traces and apps from folders; bad files are named", async (t) => {
  const tdir = path.join(root, "traces");
  mkdirSync(tdir);
  writeTraceCsv(path.join(tdir, "long.csv"), syntheticTrace({ seed: 1, seconds: 6 * 3600, name: "long" }));
  const env = golden().env;
  const pairs = drawPairs(0, 3, env, { traces: tdir });
  t.equal(pairs[0].trace.source, "file");
  t.match(pairs[0].id, /^app-0000@long\.w0$/);
  t.same(drawPairs(0, 3, env, { traces: tdir }), pairs, "deterministic");
  const e = makePairEnv(env, pairs[1], 0);
  t.equal(e.pair, pairs[1].id);
  t.ok(
    Number.isFinite(
      e.step(
        Array.from(e.reset(0))
          .slice(0, 3)
          .map(() => 0),
      ).reward,
    ),
  );

  // Folders through profile(): the option, else the environment variable; a missing folder is named with its source.
  const viaOpt = autoscalingProfile("golden", 0, { traces: tdir, apps: null });
  t.equal(viaOpt.traces, tdir);
  t.equal(viaOpt.testPairs[0].trace.source, "file");
  t.throws(
    () => autoscalingProfile("golden", 0, { traces: path.join(root, "no-such"), apps: null }),
    /--traces: ".*no-such" does not exist and is not a dataset name; known names: load-traces, azure-functions-2019, /,
  );
  t.throws(
    () => autoscalingProfile("golden", 0, { traces: null, apps: path.join(tdir, "long.csv") }),
    /apps folder ".*long\.csv" \(from --apps\) is not a folder/,
  );
  process.env.FLASH_AUTOSCALING_TRACES = tdir;
  try {
    t.equal(autoscalingProfile("golden", 0, { apps: null }).traces, tdir, "FLASH_AUTOSCALING_TRACES still works");
    t.equal(autoscalingProfile("golden", 0, { traces: null, apps: null }).traces, null, "an explicit null overrides the variable");
    process.env.FLASH_AUTOSCALING_TRACES = path.join(root, "gone");
    t.throws(() => autoscalingProfile("golden", 0, { apps: null }), /FLASH_AUTOSCALING_TRACES: ".*gone" does not exist and is not a dataset name/);
    process.env.FLASH_AUTOSCALING_TRACES = "twitter-2021";
    t.ok(
      autoscalingProfile("golden", 0, { apps: null }).testPairs.every((p) => p.trace.source === "file" && p.trace.file === datasetPath("twitter-2021")),
      "the variable takes a dataset name too",
    );
  } finally {
    delete process.env.FLASH_AUTOSCALING_TRACES;
  }

  // A folder outside data/ in the layout of data/load-traces (a user's copy of a real file, and a t,rate trace).
  const fixture = path.resolve("test/fixtures/load-traces");
  const fromFixture = autoscalingProfile("golden", 0, { traces: fixture, apps: null });
  t.equal(fromFixture.traces, fixture);
  t.same(
    new Set([...fromFixture.testPairs, ...fromFixture.poolPairs].map((p) => p.traceKey.replace(/\.w\d+$/, ""))),
    new Set(["azure-functions-2019", "user-diurnal"]),
    "both traces of the folder, round-robin",
  );

  // A trace shorter than one episode: the error names the file and the field.
  writeTraceCsv(path.join(tdir, "short.csv"), { name: "short", stepSeconds: 60, rates: Float64Array.from([1, 2, 3]) });
  const need = episodeSeconds(env);
  t.throws(
    () => drawPairs(0, 3, env, { traces: tdir }),
    new RegExp(`short\\.csv: duration: expected at least one episode plus its warm-up interval, ${need} s.*got "180 s"`),
  );
  // The same through a config that points at the file.
  const cfg = clone(golden());
  cfg.testPairs[0].trace = { source: "file", file: path.join(tdir, "short.csv"), offsetSeconds: 0, seconds: 3600 };
  t.throws(() => makePairEnv(cfg.env, cfg.testPairs[0], 0), /short\.csv: duration: expected at least one episode/);
  cfg.testPairs[0].trace = { source: "file", file: path.join(tdir, "missing.csv"), offsetSeconds: 0, seconds: 3600 };
  t.throws(() => makePairEnv(cfg.env, cfg.testPairs[0], 0), /missing\.csv: \(file\)/);

  // Broken CSV: file, line and field.
  const bdir = path.join(root, "bad-traces");
  mkdirSync(bdir);
  writeFileSync(path.join(bdir, "broken.csv"), "t,rate\n0,1\n60,-5\n");
  t.throws(() => drawPairs(0, 1, env, { traces: bdir }), /broken\.csv: .*rate/);

  // Applications from a folder, and a malformed one.
  const adir = path.join(root, "apps");
  writeApplications(
    adir,
    generateApplications("user", 2).map((a, i) => ({ ...a, name: `mine-${i}` })),
  );
  const up = drawPairs(0, 3, env, { apps: adir });
  t.same(new Set(up.map((p) => p.app.name)), new Set(["mine-0", "mine-1"]), "user apps, reused round-robin");
  t.equal(new Set(up.map((p) => p.id)).size, 3, "each pair its own trace, so its own id");
  writeFileSync(
    path.join(adir, "zz-bad.json"),
    JSON.stringify({ schema: "flash-adapt/k8s-app@1", name: "bad", segments: [{ kind: "sleep", size: 10 }], runtimeMemoryMB: -1, sloMs: 100, load: 1 }),
  );
  t.throws(() => drawPairs(0, 3, env, { apps: adir }), /zz-bad\.json: field "runtimeMemoryMB": expected a finite number > 0/);
  writeFileSync(path.join(adir, "zz-bad.json"), "{ not json");
  t.throws(() => drawPairs(0, 3, env, { apps: adir }), /zz-bad\.json: field "\(root\)": expected valid JSON/);
});

t.test("golden profile: reference, pretrain, adapt, serve end to end", async (t) => {
  const cfg = golden();
  const { pool, test } = task.pairs(cfg);
  const dir = (n: string) => {
    const d = path.join(root, n);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const ref = await task.reference(cfg, test[0], 1, dir("ref"), () => {});
  t.equal(ref.returns.length, cfg.budgets.referenceEpisodes);
  // Judged on evaluation curves: one deterministic return on window 0 after each episode;
  // the last one is the final policy's (golden evaluates one window, so it is evalReturn).
  t.equal(task.convergenceCurve, "evaluation");
  t.equal(ref.evalCurve?.length, cfg.budgets.referenceEpisodes);
  t.equal(cfg.budgets.evalEpisodes, 1);
  t.equal(ref.evalCurve?.at(-1), ref.evalReturn, "the curve's last point is the final deterministic evaluation");
  t.ok(Number.isFinite(ref.evalReturn) && Number.isFinite(ref.baseline));
  const nonMl = ref.baselines as { hpa: number; vpa: number };
  t.same(Object.keys(nonMl), ["hpa", "vpa"], "the harness's baselines slot");
  t.same(Object.keys(task.baselineLabels ?? {}), ["hpa", "vpa"], "labelled for the report");
  t.same(nonMl, nonMlRewards(cfg, test[0], 99).baselines, "HPA/VPA rewards are deterministic on the evaluation windows");
  // Figure 8's operational metrics: the reference agent's and each baseline's, in [0, 1].
  t.same(Object.keys(ref.metrics ?? {}).sort(), ["hpa", "reference", "vpa"]);
  for (const [who, m] of Object.entries(ref.metrics ?? {})) {
    t.same(Object.keys(m).sort(), ["cpuUtil", "slo"], `${who} metrics`);
    t.ok(
      Object.values(m).every((x) => x >= 0 && x <= 1),
      `${who} metrics in [0, 1]`,
    );
  }
  t.same(Object.keys(task.metricLabels ?? {}), ["cpuUtil", "slo"]);
  t.ok(nonMl.hpa > 0 && nonMl.hpa <= 2 * cfg.env.maxEpisodeSteps);
  const again = await task.reference(cfg, test[0], 1, dir("ref2"), () => {});
  t.same(again.returns, ref.returns, "same seed, same training returns");
  t.equal(again.evalReturn, ref.evalReturn);

  for (const v of ["flash", "tl"] as const) {
    const pre = await task.pretrain(cfg, v, pool, 2, dir(`pre-${v}`), () => {});
    t.equal(pre.returns.length, cfg.budgets.pretrainEpisodes, `${v} pretrain`);
    t.same(pre.pairs, pool.slice(0, cfg.budgets.pretrainEpisodes));
    const ad = await task.adapt(cfg, v, dir(`pre-${v}`), test[1], 3, dir(`adapt-${v}`), () => {});
    t.equal(ad.returns.length, cfg.budgets.adaptEpisodes, `${v} adapt`);
    t.equal(ad.evalCurve?.length, cfg.budgets.adaptEpisodes, `${v} adapt evaluation curve`);
    const served = await task.serve(cfg, { variant: v, modelDir: dir(`pre-${v}`), pairs: test, seed: 4, workDir: dir(`serve-${v}`) });
    t.same(
      served.map((s) => s.pair),
      test,
    );
    t.ok(served.every((s) => Number.isFinite(s.reward)));
    t.ok(
      served.every((s) => s.metrics && s.metrics.slo >= 0 && s.metrics.slo <= 1),
      "served with operational metrics",
    );
    if (v === "flash") {
      t.equal(served[0].embedding?.length, cfg.flash.embeddingDim, "FLASH serving returns the embedding");
      const emb = await task.poolEmbeddings(cfg, dir("pre-flash"), dir("pool-emb"));
      t.same(Object.keys(emb).sort(), [...pool].sort());
    } else t.equal(served[0].embedding, undefined);
  }
  const orig = await task.serve(cfg, { variant: "original", modelDir: dir("ref"), trainedOn: test[0], pairs: [test[1]], seed: 4, workDir: dir("serve-orig") });
  t.equal(orig.length, 1);
  t.ok(task.describe(cfg).includes("FIRM DDPG net 16x16"));
});

t.test("update pairs: one per applicable scenario, validated, servable", async (t) => {
  const quick = autoscalingProfile("quick", 0, { traces: null, apps: null });
  const ups = quick.updatePairs;
  t.ok(ups.length >= 1 && ups.length <= 7);
  t.equal(new Set(ups.map((u) => u.scenario)).size, ups.length, "one pair per scenario");
  const tests = new Map(quick.testPairs.map((p) => [p.id, p]));
  for (const u of ups) {
    const src = tests.get(u.from);
    t.ok(src, `${u.id} comes from a test pair`);
    t.equal(u.traceKey, src!.traceKey, "same trace");
    t.not(JSON.stringify(u.app.segments) + u.app.load, JSON.stringify(src!.app.segments) + src!.app.load, `${u.scenario} changed the application`);
    t.equal(u.id, `${u.app.name}@${u.traceKey}`);
  }
  t.same(
    task.updates!(quick),
    ups.map((u) => ({ pair: u.id, from: u.from, scenario: u.scenario })),
  );
  // updatePairsFor: a scenario that changes no test application is skipped.
  const noImages = quick.testPairs
    .map((p) => ({ ...p, app: { ...p.app, segments: p.app.segments.filter((s) => !s.kind.startsWith("image")) } }))
    .filter((p) => p.app.segments.length > 0);
  t.ok(updatePairsFor(noImages, 7).skipped.includes("imageDimension"));

  // Round trip through validation; bad update pairs name the field.
  const cfg = golden();
  t.equal(cfg.updatePairs.length, 1);
  t.same(validateAutoscalingConfig(clone(cfg), "cfg"), cfg);
  const { updatePairs: _, ...old } = clone(cfg);
  t.same(validateAutoscalingConfig(old, "cfg").updatePairs, [], "configs written before the field still load");
  const bad = clone(cfg);
  bad.updatePairs[0].from = "nope";
  t.throws(() => validateAutoscalingConfig(bad, "cfg"), /cfg\.updatePairs\[0\]\.from: expected the id of a test pair, got "nope"/);
  const bad2 = clone(cfg);
  (bad2.updatePairs[0] as { scenario: string }).scenario = "colour";
  t.throws(() => validateAutoscalingConfig(bad2, "cfg"), /cfg\.updatePairs\[0\]\.scenario: expected one of fileSize, .*got "colour"/);
  const bad3 = clone(cfg);
  bad3.updatePairs[0].factor = 0;
  t.throws(() => validateAutoscalingConfig(bad3, "cfg"), /cfg\.updatePairs\[0\]\.factor/);
  // The kit resolves the updated pair like any other: its environment runs the updated application.
  const env = makePairEnv(cfg.env, cfg.updatePairs[0], 0);
  t.equal(env.pair, cfg.updatePairs[0].id);
});

await goldenTest("autoscaling");
