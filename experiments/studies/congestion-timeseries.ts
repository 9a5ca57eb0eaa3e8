/**
 * One episode, MI by MI, of the congestion-control policies on one link trace: sending
 * rate, throughput and queueing delay over time for the non-ML senders (oracle, AIMD,
 * BBR-like) and, given a finished `flash reproduce congestion` run, its PPO agents
 * without retraining: Aurora (the reference agent of the run's first new pair) and TL
 * (the pool-pretrained agent), the same deterministic policies the A/B test serves.
 * FLASH-Aurora is not drawn: its embedding comes from the kit's serving step, which
 * reports per-episode means only (no per-step hook); adding one is the kit's change.
 *
 *   flash congestion-timeseries --trace FILE [--run runs/congestion-quick] [--steps 200] [--out DIR]
 *
 * Writes <out>/timeseries.json and the figure <out>/timeseries.{vl.json,svg,png}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PPO } from "../../agents/ppo.js";
import { CongestionEnv } from "../../envs/congestion/env.js";
import type { StepResult } from "../../envs/env.js";
import { loadLinkTrace } from "../../sim/network/trace.js";
import { writeTimePanels } from "./time-panels.js";
import { congestionProfile, ppoConfig, runSender } from "../tasks/congestion.js";
import { AimdSender, BbrSender, FixedRateSender } from "../../agents/baselines/congestion.js";
import { validateCongestionConfig, type CongestionConfig } from "../tasks/congestion-pairs.js";
import { existingPath, finishedRun } from "./finished-run.js";

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

function record(policy: string, rows: Row[], env: CongestionEnv): (r: StepResult) => void {
  let i = 0;
  return (r) => {
    const info = r.info!;
    rows.push({
      policy,
      step: i++,
      timeS: env.simulator.now,
      rateMbps: +info.rateMbps,
      throughputMbps: +info.throughputMbps,
      queueingDelayMs: +info.queueingDelayMs,
      capacityMbps: +info.capacityMbps,
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
  const cfg: CongestionConfig = run ? run.cfg : congestionProfile("quick", 0);
  const make = () =>
    new CongestionEnv({
      pair: "timeseries",
      links: [{ bandwidthMbps: 0, delayMs: tr.link?.delayMs ?? 20, queuePackets: tr.link?.queuePackets ?? 100, lossRate: tr.link?.lossRate ?? 0, trace: tr }],
      seed: 0,
      ...cfg.env,
      maxEpisodeSteps: Number(options.steps),
    });
  const rows: Row[] = [];
  for (const s of [new FixedRateSender(), new AimdSender(), new BbrSender()]) {
    const env = make();
    runSender(env, s, 1_000_000, record(s.name === "aimd-cubic" ? "aimd" : s.name, rows, env));
  }
  if (run) {
    const agents: Record<string, string> = {
      [`Aurora (reference of ${cfg.testPairs[0].id})`]: run.agentDir(`ref/${cfg.testPairs[0].id}/r0`),
      "TL (pool-pretrained)": run.agentDir("pretrain/tl/r0"),
    };
    for (const [name, dir] of Object.entries(agents)) {
      const env = make();
      const agent = new PPO(env, ppoConfig(cfg.agent), { seed: 0 });
      try {
        await agent.load(dir, "congestion");
        const on = record(name, rows, env);
        let o = env.reset(1_000_000);
        for (;;) {
          const r = env.step(agent.predict(o, { deterministic: true }));
          on(r);
          if (r.truncated || r.terminated) break;
          o = r.observation;
        }
      } finally {
        agent.dispose();
      }
    }
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
