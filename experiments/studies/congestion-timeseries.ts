/**
 * One episode, MI by MI, of the congestion-control policies on one link trace: sending
 * rate, throughput and queueing delay over time for the non-ML senders (oracle, AIMD,
 * BBR-like) and, given a finished `flash reproduce congestion` run, its PPO agents
 * without retraining: Aurora (the reference agent of the run's first new pair), TL (the
 * pool-pretrained agent) and FLASH-Aurora, served as the A/B test serves them (the trace
 * as the run's new pair, `RlTask.serve` with the replicate's A/B seed and `recordSteps`;
 * FLASH first embeds the trace from its context episodes). Every policy runs the same
 * evaluation episode (reset `EVAL_SEED`).
 *
 *   flash congestion-timeseries --trace FILE [--run runs/congestion-quick] [--steps 200] [--out DIR]
 *
 * Writes <out>/timeseries.json and the figure <out>/timeseries.{vl.json,svg,png}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AimdSender, BbrSender, FixedRateSender } from "../../agents/baselines/congestion.js";
import { loadLinkTrace } from "../../sim/network/trace.js";
import { congestionProfile, runSender } from "../tasks/congestion.js";
import { makePairEnv, validateCongestionConfig, type CongestionConfig, type TracePair } from "../tasks/congestion-pairs.js";
import { rlTask } from "../tasks/index.js";
import { EVAL_SEED } from "../tasks/rl-flash-kit.js";
import { existingPath, finishedRun, servedSteps } from "./finished-run.js";
import { writeTimePanels } from "./time-panels.js";

/** What --trace expects. */
export const TRACE_FILE = "a link trace file, .json Pantheon or .csv";

export interface Row {
  policy: string;
  step: number;
  timeS: number;
  rateMbps: number;
  throughputMbps: number;
  queueingDelayMs: number;
  capacityMbps: number;
}

/** Appends each step of `policy`'s episode to `rows` (the env's info: rate, throughput, delay, capacity, time). */
function record(policy: string, rows: Row[]): (r: { info?: Record<string, unknown> }) => void {
  let i = 0;
  return (r) => {
    const info = r.info!;
    rows.push({
      policy,
      step: i++,
      timeS: Number(info.timeS),
      rateMbps: Number(info.rateMbps),
      throughputMbps: Number(info.throughputMbps),
      queueingDelayMs: Number(info.queueingDelayMs),
      capacityMbps: Number(info.capacityMbps),
    });
  };
}

export interface TimeseriesOptions {
  /** A link trace file (.json Pantheon or .csv). */
  trace: string;
  /** A finished `flash reproduce congestion` run folder: adds its PPO agents. */
  run?: string;
  /** MIs in the episode. */
  steps: number;
  out: string;
}

/** Runs the episode of every policy on the trace; writes timeseries.json and the figure; returns the rows. */
export async function congestionTimeseries(options: TimeseriesOptions): Promise<Row[]> {
  const file = options.trace;
  existingPath("--trace", file, TRACE_FILE);
  const tr = loadLinkTrace(file);
  const run = options.run ? finishedRun(options.run, "congestion", validateCongestionConfig) : null;
  const base: CongestionConfig = run ? run.cfg : congestionProfile("quick", 0);
  // The trace as the run's one new pair, episodes of --steps MIs, one evaluation episode.
  const pair: TracePair = {
    id: "trace:timeseries",
    kind: "trace",
    file,
    link: { delayMs: tr.link?.delayMs ?? 20, queuePackets: tr.link?.queuePackets ?? 100, lossRate: tr.link?.lossRate ?? 0 },
  };
  const cfg: CongestionConfig = {
    ...base,
    env: { ...base.env, maxEpisodeSteps: options.steps },
    testPairs: [pair],
    budgets: { ...base.budgets, evalEpisodes: 1 },
  };
  const seed = run ? run.abSeed : 0;
  const rows: Row[] = [];
  for (const s of [new FixedRateSender(), new AimdSender(), new BbrSender()])
    runSender(makePairEnv(cfg.env, pair, seed), s, EVAL_SEED, record(s.name === "aimd-cubic" ? "aimd" : s.name, rows));
  if (run) {
    const ref = base.testPairs[0].id;
    const served = await servedSteps(await rlTask("congestion"), run, cfg, pair.id, [
      { label: `Aurora (reference of ${ref})`, variant: "original", unit: `ref/${ref}/r${run.replicate}`, trainedOn: ref },
      { label: "TL (pool-pretrained)", variant: "tl", unit: `pretrain/tl/r${run.replicate}` },
      { label: "FLASH", variant: "flash", unit: `pretrain/flash/r${run.replicate}` },
    ]);
    for (const { label, steps } of served) steps.forEach(record(label, rows));
  }
  const out = options.out;
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "timeseries.json"), JSON.stringify({ trace: file, rows }, null, 1) + "\n");
  const long = rows.flatMap((r) => [
    { policy: r.policy, x: r.timeS, panel: "sending rate (Mbps)", value: r.rateMbps },
    { policy: r.policy, x: r.timeS, panel: "throughput (Mbps)", value: r.throughputMbps },
    { policy: r.policy, x: r.timeS, panel: "queueing delay (ms)", value: r.queueingDelayMs },
  ]);
  const cap = rows
    .filter((r) => r.policy === "oracle")
    .flatMap((r) => ["sending rate (Mbps)", "throughput (Mbps)"].map((panel) => ({ policy: "capacity", x: r.timeS, panel, value: r.capacityMbps })));
  await writeTimePanels(out, "timeseries", `One episode on ${path.basename(file)}`, "time (s)", [...long, ...cap]);
  return rows;
}
