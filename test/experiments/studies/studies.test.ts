/**
 * The study commands on real (tiny) runs, in this process: what each writes, and the
 * claims their docs make about it (the oracle sends at capacity; a finished run of another
 * task is refused; every seed is recorded beside the zoo's score).
 */
import t from "tap";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { selectBackend } from "../../../flash/backend.js";
import { FlashModel } from "../../../flash/models.js";
import { runRl } from "../../../experiments/runner/run-rl.js";
import { auroraCurve } from "../../../experiments/studies/aurora-curve.js";
import { classicProof, SB3_REFERENCE } from "../../../experiments/studies/classic-proof.js";
import { congestionTimeseries } from "../../../experiments/studies/congestion-timeseries.js";
import { existingPath } from "../../../experiments/studies/finished-run.js";
import { congestionProfile } from "../../../experiments/tasks/congestion.js";
import { ppsToMbps } from "../../../sim/network/link.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "flash-studies-"));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
await selectBackend("wasm");

/** The first Pantheon trace of the repository's copy. */
function firstTrace(dir = path.join(root, "data/network-traces/ethernet")): string {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (name.endsWith(".json")) return p;
    if (!name.includes(".")) return firstTrace(p);
  }
  throw new Error(`no trace under ${dir}`);
}

t.test("congestion-timeseries: every sender's episode MI by MI; the oracle sends at capacity", async (t) => {
  const out = path.join(tmp, "cts");
  const rows = await congestionTimeseries({ trace: firstTrace(), steps: 20, out });
  const policies = [...new Set(rows.map((r) => r.policy))];
  t.same(policies, ["oracle", "aimd", "bbr"], "the three non-ML senders without --run");
  for (const p of policies)
    t.same(
      rows.filter((r) => r.policy === p).map((r) => r.step),
      [...Array(20).keys()],
      `${p}: 20 MIs in order`,
    );
  // The oracle acts at MI boundaries: each MI it sends at the capacity the previous MI ended with (a trace's
  // capacity changes within MIs), up to the task's rate bound (quick: 20,000 packets/s = 240 Mbps).
  const cap = ppsToMbps(congestionProfile("quick", 0).env.maxRate);
  const oracle = rows.filter((r) => r.policy === "oracle");
  const lagged = oracle.slice(1).map((r, i) => [r.rateMbps, Math.min(oracle[i].capacityMbps, cap)]);
  t.ok(
    lagged.every(([rate, target]) => Math.abs(rate - target) <= 1e-9 * Math.max(1, target)),
    `the oracle's rate in each MI is min(the previous MI's capacity, ${cap} Mbps)`,
  );
  t.ok(new Set(oracle.map((r) => r.capacityMbps)).size > 1, "the trace's capacity changes within the episode (so the check above has teeth)");
  t.ok(
    rows.every((r) => r.throughputMbps >= 0 && r.queueingDelayMs >= 0 && Number.isFinite(r.timeS)),
    "throughput and delay non-negative",
  );
  const saved = JSON.parse(readFileSync(path.join(out, "timeseries.json"), "utf8")) as { rows: unknown[] };
  t.equal(saved.rows.length, rows.length, "timeseries.json holds the rows");
  for (const ext of ["vl.json", "svg", "png"]) t.ok(existsSync(path.join(out, `timeseries.${ext}`)), ext);
});

t.test("congestion-timeseries --run: the run's agents served on the trace as the A/B test serves, FLASH included", async (t) => {
  const run = path.join(tmp, "congestion-run");
  await runRl({ task: "congestion", profile: "golden", seeds: 1, seed: 0, out: run, workers: 0, noFigures: true, log: () => {} });
  t.teardown(() => FlashModel.unregister("congestion"));
  const rows = await congestionTimeseries({ trace: firstTrace(), run, steps: 12, out: path.join(tmp, "cts-run") });
  const first = (JSON.parse(readFileSync(path.join(run, "config.json"), "utf8")) as { taskConfig: { testPairs: { id: string }[] } }).taskConfig.testPairs[0].id;
  const agents = [`Aurora (reference of ${first})`, "TL (pool-pretrained)", "FLASH"];
  t.same([...new Set(rows.map((r) => r.policy))], ["oracle", "aimd", "bbr", ...agents]);
  for (const a of agents)
    t.same(
      rows.filter((r) => r.policy === a).map((r) => r.step),
      [...Array(12).keys()],
      `${a}: 12 MIs`,
    );
  t.ok(
    rows.every((r) => r.rateMbps > 0 && r.timeS > 0),
    "every served MI has a rate and a time",
  );
  await t.rejects(
    congestionTimeseries({ trace: firstTrace(), run: path.join(tmp, "cts"), steps: 12, out: path.join(tmp, "x") }),
    {
      name: "ConfigError",
      message: /no config\.json/,
    },
    "a folder that is not a run",
  );
});

t.test("classic-proof: each seed's evaluation and the zoo's score, in JSON and Markdown", async (t) => {
  const out = path.join(tmp, "proof");
  const base = await classicProof({ algo: "dqn", envId: "CartPole-v1", nSeeds: 2, first: 0, evalEpisodes: 2, steps: 200, normalize: true, out, log: () => {} });
  const json = JSON.parse(readFileSync(`${base}.json`, "utf8")) as {
    seeds: number[];
    perSeed: { evalReturns: number[] }[];
    sb3Reference: unknown;
    steps: number;
  };
  t.same(json.seeds, [0, 1]);
  t.equal(json.steps, 200, "--steps overrides the zoo's budget");
  t.ok(
    json.perSeed.every((s) => s.evalReturns.length === 2),
    "2 evaluation episodes per seed",
  );
  t.same(json.sb3Reference, SB3_REFERENCE["dqn/CartPole-v1"]);
  t.match(readFileSync(`${base}.md`, "utf8"), /\| SB3 zoo \(published, one run\) \| 500 \|/);
  await t.rejects(classicProof({ algo: "ddpg", envId: "CartPole-v1", nSeeds: 1, first: 0, evalEpisodes: 1, normalize: true, out }), {
    name: "UsageError",
    message: /no zoo setting for --algo ddpg --env CartPole-v1/,
  });
});

t.test("aurora-curve: a point per evaluation, the fixed senders beside it", async (t) => {
  const out = path.join(tmp, "aurora");
  const r = await auroraCurve({ steps: 96, every: 64, seed: 0, out, log: () => {} });
  t.same(
    r.curve.map((p) => p.steps),
    [0, 64, 96],
    "untrained, then after each chunk (the last one shorter)",
  );
  t.ok(r.curve.every((p) => Number.isFinite(p.evalReturn)));
  t.ok(r.oracle > r.hold, `the capacity oracle (${r.oracle.toFixed(1)}) beats holding the starting rate (${r.hold.toFixed(1)}) on the held-out links`);
  t.same(JSON.parse(readFileSync(path.join(out, "aurora-curve.json"), "utf8")).curve.length, 3, "the file has every point");
});

t.test("existingPath: a missing path is a usage error naming the option and what it expects", async (t) => {
  t.throws(() => existingPath("--run", path.join(tmp, "nope"), "a run folder", true), {
    name: "MissingPathError",
    message: /--run ".*nope" does not exist \(expected a run folder\)/,
  });
  t.throws(() => existingPath("--run", firstTrace(), "a run folder", true), { name: "MissingPathError" }, "a file where a folder is expected");
  t.equal(existingPath("--trace", firstTrace(), "a trace"), firstTrace());
});
