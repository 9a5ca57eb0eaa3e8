// The congestion task: the 625-cell grid, profiles and their validation, Figure 12's
// updated pairs, trace pairs, and a seeded reference run with the baselines.
import t from "tap";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../../flash/backend.js";
import { congestionProfile, createCongestionTask } from "../../../experiments/tasks/congestion.js";
import { makePairEnv, SUBRANGES, shuffledCells, validateCongestionConfig, type LinkPair } from "../../../experiments/tasks/congestion-pairs.js";
import { rlTask } from "../../../experiments/tasks/index.js";
import { datasetPath } from "../../../experiments/datasets.js";
import { goldenTest } from "../../helpers/golden.js";

await selectBackend();
const root = mkdtempSync(path.join(os.tmpdir(), "congestion-task-"));

t.test("the grid: 625 distinct cells; links inside their sub-ranges", async (t) => {
  const cells = shuffledCells(0);
  t.equal(new Set(cells.map((c) => c.join())).size, 625);
  t.same(shuffledCells(0), cells, "seeded order");
  t.ok(Math.abs(SUBRANGES.bandwidth[5] - 128) < 1e-9 && Math.abs(SUBRANGES.delay[0] - 1) < 1e-12 && Math.abs(SUBRANGES.queue[5] - 10240) < 1e-6);
  const cfg = congestionProfile("quick", 0);
  t.equal(cfg.poolPairs.length, 12);
  t.equal(cfg.testPairs.length, 4);
  for (const p of [...cfg.poolPairs, ...cfg.testPairs] as LinkPair[]) {
    const [b, d, , l] = p.cell;
    t.ok(p.link.bandwidthMbps >= SUBRANGES.bandwidth[b] * 0.99 && p.link.bandwidthMbps <= SUBRANGES.bandwidth[b + 1] * 1.01, `${p.id} bandwidth`);
    t.ok(p.link.delayMs >= SUBRANGES.delay[d] * 0.99 && p.link.delayMs <= SUBRANGES.delay[d + 1] * 1.01, `${p.id} delay`);
    t.ok(p.link.lossRate >= SUBRANGES.loss[l] - 1e-9 && p.link.lossRate <= SUBRANGES.loss[l + 1] + 1e-9, `${p.id} loss`);
  }
  const full = congestionProfile("full", 0);
  t.equal(full.poolPairs.length + full.testPairs.length, 625, "full: 200 pool + 425 new");
});

t.test("Figure 12's updates move one parameter (or all) and keep the rest", async (t) => {
  const cfg = congestionProfile("quick", 1);
  t.same(
    cfg.updatePairs.map((u) => u.scenario),
    ["bandwidth", "delay", "queue", "loss", "all"],
  );
  for (const u of cfg.updatePairs) {
    const src = cfg.testPairs.find((p) => p.id === u.from) as LinkPair;
    const moved = u.cell.map((c, i) => (c !== src.cell[i] ? i : -1)).filter((i) => i >= 0);
    t.same(moved.length, u.scenario === "all" ? 4 : 1, u.id);
    const keys = ["bandwidthMbps", "delayMs", "queuePackets", "lossRate"] as const;
    for (const [i, k] of keys.entries()) if (!moved.includes(i)) t.equal(u.link[k], src.link[k], `${u.id} keeps ${k}`);
  }
});

t.test("configs round-trip through validation; bad fields are named", async (t) => {
  const task = await rlTask("congestion");
  const cfg = congestionProfile("golden", 0);
  t.same(task.validateConfig(JSON.parse(JSON.stringify(cfg)), "cfg"), cfg);
  const bad = JSON.parse(JSON.stringify(cfg));
  bad.poolPairs[0].link.queuePackets = 0;
  t.throws(() => validateCongestionConfig(bad, "cfg"), /cfg\.poolPairs\[0\]\.link\.queuePackets: expected an integer >= 1/);
  const bad2 = JSON.parse(JSON.stringify(cfg));
  bad2.env.historyLength = 5;
  t.throws(() => task.validateConfig(bad2, "cfg"), /cfg\.env\.historyLength: expected 10/);
  t.throws(() => congestionProfile("nope", 0), /known profiles/);
});

t.test("--traces network-traces adds trace pairs to the new pairs", async (t) => {
  const cfg = congestionProfile("quick", 0, { traces: "network-traces" });
  const tr = cfg.testPairs.filter((p) => p.kind === "trace");
  t.equal(tr.length, 2);
  t.equal(cfg.traces, datasetPath("network-traces"), "the name resolves inside the repository's data/");
  t.ok(tr.every((p) => p.kind === "trace" && p.file.startsWith(datasetPath("network-traces"))));
  const env = makePairEnv(cfg.env, tr[0], 0);
  env.reset(0);
  let thr = 0;
  for (let i = 0; i < 20; i++) thr += env.step([0]).info!.throughputMbps as number;
  t.ok(thr > 0, "a trace pair's link delivers");
  t.same(congestionProfile("quick", 0, { traces: "synthetic" }), congestionProfile("quick", 0), "synthetic: the link cells alone, the default");
  t.equal(congestionProfile("quick", 0).traces, null, "no trace pairs by default (the paper's link cells)");
});

t.test("a folder outside data/ in the same layout (test/fixtures/network-traces); bad names are usage errors", async (t) => {
  const dir = path.resolve("test/fixtures/network-traces");
  const cfg = congestionProfile("demo", 0, { traces: dir });
  const tr = cfg.testPairs.filter((p) => p.kind === "trace");
  t.equal(tr.length, 1, "demo adds one trace pair");
  t.ok(tr[0].kind === "trace" && tr[0].file.startsWith(dir));
  t.equal(congestionProfile("full", 0, { traces: dir }).testPairs.filter((p) => p.kind === "trace").length, 3, "all three files of the folder");
  t.throws(() => congestionProfile("quick", 0, { traces: "nope" }), {
    name: "MissingPathError",
    message: /--traces: "nope" does not exist and is not a dataset name; known names: network-traces, synthetic/,
  });
  t.throws(() => congestionProfile("quick", 0, { traces: "load-traces" }), {
    name: "UsageError",
    message: /--traces: dataset load-traces holds request-rate traces.*which this option does not read; known: network-traces, synthetic/,
  });
});

await goldenTest("congestion");

t.test("a seeded reference run with the baselines repeats exactly", async (t) => {
  const task = createCongestionTask();
  const cfg = congestionProfile("golden", 0);
  const pair = cfg.testPairs[0].id;
  const a = await task.reference(cfg, pair, 1, path.join(root, "ref"), () => {});
  t.equal(a.returns.length, cfg.budgets.referenceEpisodes);
  t.same(Object.keys(a.baselines ?? {}), ["oracle", "aimd", "bbr"]);
  for (const k of ["oracle", "aimd", "bbr", "reference"]) t.ok(Number.isFinite(a.metrics?.[k]?.throughputMbps), `${k} metrics`);
  const b = await task.reference(cfg, pair, 1, path.join(root, "ref2"), () => {});
  t.same(b.returns, a.returns);
  t.same(b.baselines, a.baselines);
  t.equal(b.evalReturn, a.evalReturn);
});

t.test("oracle: a link's log bandwidth, log delay, log queue and loss rate", async (t) => {
  const task = createCongestionTask();
  const cfg = congestionProfile("demo", 0);
  const p = cfg.poolPairs[0] as LinkPair;
  const o = task.oracle!(cfg, p.id);
  t.same(o, [Math.log(p.link.bandwidthMbps), Math.log(p.link.delayMs), Math.log(p.link.queuePackets), p.link.lossRate]);
});
