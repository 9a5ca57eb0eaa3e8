/**
 * One episode, MI by MI, of the congestion-control policies on one link trace: sending
 * rate, throughput and queueing delay over time for the non-ML senders (oracle, AIMD,
 * BBR-like) and, given a finished `flash reproduce congestion` run, its PPO agents
 * without retraining: Aurora (the reference agent of the run's first new pair) and TL
 * (the pool-pretrained agent), the same deterministic policies the A/B test serves.
 * FLASH-Aurora is not drawn: its embedding comes from the kit's serving step, which
 * reports per-episode means only (no per-step hook); adding one is the kit's change.
 *
 *   node dist/experiments/congestion-timeseries.js --trace FILE [--run runs/congestion-quick] [--steps 200] --out DIR
 *
 * Writes <out>/timeseries.json and the figure <out>/timeseries.{vl.json,svg,png}.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PPO } from "../agents/ppo.js";
import { CongestionEnv } from "../envs/congestion/env.js";
import type { StepResult } from "../envs/env.js";
import { selectBackend } from "../flash/backend.js";
import { loadLinkTrace } from "../sim/network/trace.js";
import { parseArgs, UsageError } from "./args.js";
import { writeFigure } from "./report/figures.js";
import { congestionProfile, ppoConfig, runSender } from "./tasks/congestion.js";
import { AimdSender, BbrSender, FixedRateSender } from "../agents/baselines/congestion.js";
import type { CongestionConfig } from "./tasks/congestion-pairs.js";

interface Row {
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

async function main(): Promise<void> {
  const { options } = parseArgs(process.argv.slice(2), {
    trace: { type: "string", description: "a link trace file (.json Pantheon or .csv)" },
    run: { type: "string", description: "a finished congestion run folder (adds its PPO agents)" },
    steps: { type: "string", default: "200", description: "MIs in the episode" },
    out: { type: "string", default: "runs/congestion-timeseries", description: "output folder" },
  });
  if (!options.trace) throw new UsageError("congestion-timeseries needs --trace FILE");
  await selectBackend("wasm");
  const file = String(options.trace);
  const tr = loadLinkTrace(file);
  const cfg: CongestionConfig = options.run
    ? (JSON.parse(readFileSync(path.join(String(options.run), "config.json"), "utf8")).taskConfig as CongestionConfig)
    : congestionProfile("quick", 0);
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
  if (options.run) {
    const work = path.join(String(options.run), "work");
    const agents: Record<string, string> = {
      [`Aurora (reference of ${cfg.testPairs[0].id})`]: path.join(work, `ref__${cfg.testPairs[0].id}__r0`, "agent"),
      "TL (pool-pretrained)": path.join(work, "pretrain__tl__r0", "agent"),
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
  const out = String(options.out);
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "timeseries.json"), JSON.stringify({ trace: file, rows }, null, 1) + "\n");
  const long = rows.flatMap((r) => [
    { policy: r.policy, timeS: r.timeS, panel: "sending rate (Mbps)", value: r.rateMbps },
    { policy: r.policy, timeS: r.timeS, panel: "throughput (Mbps)", value: r.throughputMbps },
    { policy: r.policy, timeS: r.timeS, panel: "queueing delay (ms)", value: r.queueingDelayMs },
  ]);
  const cap = rows
    .filter((r) => r.policy === "oracle")
    .flatMap((r) => ["sending rate (Mbps)", "throughput (Mbps)"].map((panel) => ({ policy: "capacity", timeS: r.timeS, panel, value: r.capacityMbps })));
  await writeFigure(out, "timeseries", {
    title: `One episode on ${path.basename(file)}`,
    data: { values: [...long, ...cap] },
    facet: { row: { field: "panel", type: "nominal", title: null } },
    spec: {
      width: 640,
      height: 160,
      mark: { type: "line", interpolate: "step-after" },
      encoding: {
        x: { field: "timeS", type: "quantitative", title: "time (s)" },
        y: { field: "value", type: "quantitative", title: null },
        color: { field: "policy", type: "nominal" },
      },
    },
    resolve: { scale: { y: "independent" } },
  });
  process.stderr.write(`wrote ${out}/timeseries.json and ${out}/timeseries.{vl.json,svg,png}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await main();
