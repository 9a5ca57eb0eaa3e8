import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { CPUFREQ_PROFILES, createCpufreqTask, cpufreqProfile, governorRewards, validateCpufreqConfig } from "../../../experiments/tasks/cpufreq.js";
import { CPUFREQ_ORACLE_FEATURES, cpufreqTrace, makeCpufreqEnv, SYNTHETIC_LOAD, type CpufreqPair } from "../../../experiments/tasks/cpufreq-pairs.js";
import { processorByName } from "../../../sim/cpufreq/processor.js";
import { cpufreqFrequencyTraces } from "../../../experiments/studies/cpufreq-trace.js";
import { studyCommands } from "../../../experiments/studies/commands.js";
import { finishedRun } from "../../../experiments/studies/finished-run.js";
import { validateCongestionConfig } from "../../../experiments/tasks/congestion-pairs.js";
import { runRl } from "../../../experiments/runner/run-rl.js";
import { rlTask } from "../../../experiments/tasks/index.js";
import { goldenTest } from "../../helpers/golden.js";
import { selectBackend } from "../../../flash/backend.js";
import { FlashModel } from "../../../flash/models.js";
import { SCENARIOS } from "../../../sim/k8s/scenarios.js";

await selectBackend();

t.test("profiles: (application, processor) pairs over every processor; config round-trips through validation", async (t) => {
  const cfg = cpufreqProfile("quick", 0);
  t.equal(cfg.poolPairs.length, 12);
  t.equal(cfg.testPairs.length, 6);
  t.same(new Set(cfg.poolPairs.map((p) => p.processor)).size, 3, "the pool covers the three processors");
  const back = validateCpufreqConfig(JSON.parse(JSON.stringify(cfg)), "config");
  t.same(back, cfg);
  t.same(cpufreqProfile("quick", 0), cfg, "deterministic in the run seed");
  t.not(JSON.stringify(cpufreqProfile("quick", 1).testPairs), JSON.stringify(cfg.testPairs));
  // The update experiment: app updates through the shared scenarios, and processor changes.
  const byScenario = new Map(cfg.updatePairs.map((u) => [u.scenario, u]));
  t.equal(cfg.updatePairs.filter((u) => u.scenario === "processor").length, 6, "each test app moved to another processor");
  for (const u of cfg.updatePairs) {
    const src = cfg.testPairs.find((p) => p.id === u.from)!;
    t.same(u.trace, src.trace, "same load");
    if (u.scenario === "processor") t.ok(u.processor !== src.processor && u.app.name === src.app.name);
    else t.ok((SCENARIOS as readonly string[]).includes(u.scenario) && u.processor === src.processor && u.app.name !== src.app.name);
  }
  t.ok(byScenario.has("loadLevel"), "loadLevel applies to every app");
  t.throws(() => cpufreqProfile("huge", 0), new RegExp(`unknown profile "huge"; known profiles: ${Object.keys(CPUFREQ_PROFILES).join(", ")}`));
});

t.test("synthetic load: log-noise correlated over a minute (AR 0.3 per minute), not per second; each pair's parameters within SYNTHETIC_LOAD", async (t) => {
  const cfg = cpufreqProfile("quick", 0);
  const pair = { ...cfg.testPairs[0], trace: { ...cfg.testPairs[0].trace, burstsPerHour: 0, noiseStd: 0.4, seconds: 36_000 } } as CpufreqPair;
  const x = Array.from(cpufreqTrace(pair).rates, (r) => Math.log(r));
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const ac = (lag: number) => {
    let c = 0;
    let v = 0;
    for (let i = 0; i < x.length; i++) v += (x[i] - m) ** 2;
    for (let i = lag; i < x.length; i++) c += (x[i] - m) * (x[i - lag] - m);
    return c / v;
  };
  t.ok(Math.abs(ac(60) - 0.3) < 0.1, `lag 60 s: ${ac(60).toFixed(3)} ~ 0.3`);
  t.ok(ac(1) > 0.95, `lag 1 s: ${ac(1).toFixed(3)} ~ 0.3^(1/60) = 0.98`);
  for (const p of [...cfg.poolPairs, ...cfg.testPairs]) {
    if (p.trace.source !== "synthetic") continue;
    t.ok(p.trace.noiseStd >= SYNTHETIC_LOAD.noiseStd[0] && p.trace.noiseStd <= SYNTHETIC_LOAD.noiseStd[1]);
    t.ok(p.trace.burstsPerHour >= SYNTHETIC_LOAD.burstsPerHour[0] && p.trace.burstsPerHour <= SYNTHETIC_LOAD.burstsPerHour[1]);
  }
});

t.test("bad configs: unknown processor, pair id that is not <app>@<processor>, bad processor spec", async (t) => {
  const cfg = () => JSON.parse(JSON.stringify(cpufreqProfile("demo", 0)));
  const c1 = cfg();
  c1.testPairs[0].processor = "pentium-4";
  t.throws(() => validateCpufreqConfig(c1, "config"), {
    name: "CpufreqConfigError",
    message: /config\.testPairs\[0\]\.processor: expected one of the config's processors/,
  });
  const c2 = cfg();
  c2.poolPairs[0].id = "app-9999@epyc-7302p";
  t.throws(() => validateCpufreqConfig(c2, "config"), /config\.poolPairs\[0\]\.id: expected "app-\d+@/);
  const c3 = cfg();
  c3.processors[0].maxGHz = 0.5;
  t.throws(() => validateCpufreqConfig(c3, "config"), /config\.processors\[0\]: field "maxGHz": expected a maximum frequency >= minGHz/);
  const c4 = cfg();
  c4.testPairs[0].app.segments[0].kind = "bitcoinMining";
  t.throws(() => validateCpufreqConfig(c4, "config"), /segments\[0\]\.kind/);
  const c5 = cfg();
  c5.updatePairs[0].scenario = "newKernel";
  t.throws(() => validateCpufreqConfig(c5, "config"), /scenario: expected one of fileSize, .*processor, got "newKernel"/);
  const task = createCpufreqTask();
  const ok = task.profile("demo", 0);
  await t.rejects(
    task.reference(ok, "app-0000@nowhere", 0, os.tmpdir(), () => {}),
    /cpufreq: unknown pair "app-0000@nowhere"/,
  );
});

t.test("governors beside the agents: rewards and metrics on the evaluation windows; plain reward favours f_max", async (t) => {
  const cfg = cpufreqProfile("demo", 0);
  const pair = cfg.testPairs[0].id;
  const r = governorRewards(cfg, pair, 0);
  t.same(Object.keys(r.baselines), ["performance", "powersave", "ondemand", "conservative", "schedutil"]);
  t.ok(r.metrics.performance.ghz > r.metrics.powersave.ghz);
  t.ok(r.metrics.performance.energyJ > r.metrics.powersave.energyJ, "f_max costs energy");
  t.ok(r.metrics.performance.gips >= r.metrics.powersave.gips - 1e-9);
  t.same(governorRewards(cfg, pair, 0), r, "deterministic");
  // Without the power term, holding f_max is never worse on SLO: performance's reward >= powersave's.
  const plain = { ...cfg, env: { ...cfg.env, powerWeight: 0 } };
  const rp = governorRewards(plain, pair, 0);
  t.ok(
    rp.baselines.performance >= rp.baselines.powersave - 0.5,
    `plain: performance ${rp.baselines.performance.toFixed(2)} vs powersave ${rp.baselines.powersave.toFixed(2)}`,
  );
  const env = makeCpufreqEnv(cfg, cfg.testPairs[0], 0);
  t.equal(env.pair, pair);
});

t.test("the registered task runs a reference (DQN) and serves it, deterministically", async (t) => {
  const task = await rlTask("cpufreq");
  const cfg = task.profile("demo", 0);
  const pair = (cfg as unknown as ReturnType<typeof cpufreqProfile>).testPairs[0].id;
  const dir = mkdtempSync(path.join(os.tmpdir(), "cpufreq-task-"));
  const ref = await task.reference(cfg, pair, 1, dir, () => {});
  t.equal(ref.returns.length, 2);
  t.ok(ref.baselines && "schedutil" in ref.baselines);
  t.ok(ref.metrics?.reference && "energyJ" in ref.metrics.reference);
  const again = await task.reference(cfg, pair, 1, mkdtempSync(path.join(os.tmpdir(), "cpufreq-task-")), () => {});
  t.same(again.returns, ref.returns);
  t.equal(again.evalReturn, ref.evalReturn);
  const served = await task.serve(cfg, { variant: "original", modelDir: dir, trainedOn: pair, pairs: [pair], seed: 1, workDir: dir });
  t.equal(served[0].reward, ref.evalReturn, "serving the reference on its own pair gives its evaluation return");
});

await goldenTest("cpufreq");

t.test("frequency traces of a finished run: every governor, the reference, TL and FLASH, one row per second", async (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), "cpufreq-run-"));
  await runRl({ task: "cpufreq", profile: "demo", seeds: 1, seed: 0, out, workers: 0, noFigures: true, log: () => {} });
  t.teardown(() => FlashModel.unregister("cpufreq"));
  const csv = path.join(out, "trace.csv");
  const n = await cpufreqFrequencyTraces(out, csv);
  const rows = readFileSync(csv, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(","));
  t.equal(n, 8 * 20, "8 policies x 20 steps");
  t.same([...new Set(rows.map((r) => r[0]))], ["performance", "powersave", "ondemand", "conservative", "schedutil", "reference", "tl", "flash"]);
  // TL and FLASH are served as the A/B test served them: their episode's rewards add up to the A/B unit's served reward (demo: 1 evaluation episode).
  const ab = (
    JSON.parse(readFileSync(path.join(out, "units", "ab__r0.json"), "utf8")) as { result: { samples: { variant: string; pair: string; reward: number }[] } }
  ).result.samples;
  const first = (JSON.parse(readFileSync(path.join(out, "config.json"), "utf8")) as { taskConfig: { testPairs: { id: string }[] } }).taskConfig.testPairs[0].id;
  for (const v of ["tl", "flash"]) {
    const served = ab.find((x) => x.variant === v && x.pair === first)?.reward;
    const sum = rows.filter((r) => r[0] === v).reduce((a, r) => a + Number(r[r.length - 1]), 0);
    t.ok(served !== undefined && Math.abs(sum - served) < 2e-3, `${v}: the traced episode's rewards sum to the A/B test's served reward (${sum} vs ${served})`);
  }
  t.ok(
    rows.filter((r) => r[0] === "performance").every((r) => [3.3, 3.0, 3.1].includes(Number(r[3]))),
    "performance requests f_max",
  );
  t.ok(
    rows.every((r) => Number(r[2]) <= Number(r[3]) + 1e-9),
    "the cores never run above the request",
  );
  await t.rejects(cpufreqFrequencyTraces(out, csv, "nope@nowhere"), {
    name: "UnknownNameError",
    message: /unknown test pair "nope@nowhere"; known test pairs: /,
  });
  // `flash cpufreq-trace --run DIR`: the CSV and its figure in DIR/frequency-traces; a cpufreq run is no congestion run.
  await studyCommands({ type: "string", description: "backend" })["cpufreq-trace"].run({ run: out, replicate: "0" }, []);
  for (const f of ["frequency-traces.csv", "frequency-traces.vl.json", "frequency-traces.svg", "frequency-traces.png"])
    t.ok(existsSync(path.join(out, "frequency-traces", f)), `cpufreq-trace wrote ${f}`);
  t.throws(() => finishedRun(out, "congestion", validateCongestionConfig), {
    name: "UsageError",
    message: /a cpufreq run; expected a run of flash reproduce congestion/,
  });
});

t.test("oracle: the pair's workload, processor and trace parameters, finite, and different across pairs", async (t) => {
  const task = createCpufreqTask();
  const cfg = cpufreqProfile("demo", 0);
  const ids = [...cfg.poolPairs, ...cfg.testPairs].map((p) => p.id);
  const rows = ids.map((id) => task.oracle!(cfg, id));
  for (const r of rows) t.ok(r.length === CPUFREQ_ORACLE_FEATURES.length && r.every(Number.isFinite), "21 finite numbers");
  t.equal(CPUFREQ_ORACLE_FEATURES.length, 21);
  t.ok(new Set(rows.map((r) => r.join(","))).size === rows.length, "every pair has its own parameters");
  const at = (name: (typeof CPUFREQ_ORACLE_FEATURES)[number]) => CPUFREQ_ORACLE_FEATURES.indexOf(name);
  const same = cfg.testPairs.find((p) => p.processor === cfg.poolPairs[0].processor);
  if (same)
    t.same(
      task.oracle!(cfg, same.id).slice(at("minGHz"), at("memoryLatencyNs") + 1),
      rows[0].slice(at("minGHz"), at("memoryLatencyNs") + 1),
      "pairs on one processor share its parameters",
    );
  // The window loads: ordered quantiles, around the whole trace's offered utilisation, and what the env's windows carry.
  for (const r of rows) {
    t.ok(r[at("windowUtilisationP10")] <= r[at("windowUtilisationP50")] && r[at("windowUtilisationP50")] <= r[at("windowUtilisationP90")]);
    t.ok(
      r[at("windowUtilisationP10")] <= r[at("offeredUtilisationAtBase")] * 1.05 && r[at("windowUtilisationP90")] >= r[at("offeredUtilisationAtBase")] * 0.95,
    );
  }
  // The oracle's load is the env's: at a constant base request, the mean utilisation of an episode lies within the windows' range.
  const pair = cfg.testPairs[0];
  const env = makeCpufreqEnv(cfg, pair, 0);
  const proc = processorByName(pair.processor);
  const base = cfg.processors.find((p) => p.name === pair.processor)!.baseGHz;
  const o = task.oracle!(cfg, pair.id);
  for (let e = 0; e < 5; e++) {
    env.reset(100 + e);
    let u = 0;
    for (let s = 0; s < cfg.env.maxEpisodeSteps; s++) u += Number(env.stepFrequency(base).info!.utilisation);
    u /= cfg.env.maxEpisodeSteps;
    t.ok(
      u >= 0.5 * o[at("windowUtilisationP10")] && u <= 1.5 * o[at("windowUtilisationP90")] + 0.02,
      `episode utilisation ${u.toFixed(3)} within the oracle's window range (${proc.name})`,
    );
  }
});
