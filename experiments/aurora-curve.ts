/**
 * Aurora's learning curve at its original training ranges (PCC-RL's defaults: bandwidth
 * 100-500 packets/s = 1.2-6 Mbps, one-way delay 50-500 ms, queue 1 + floor(e^U(0, 8)) =
 * 2-2981 packets, loss 0-5%, a new link every episode, rate clamped to [40, 1000] packets/s,
 * 400-MI episodes): Table 12's PPO trained on AuroraCongestion-v0, its deterministic policy
 * evaluated every `--every` steps on 10 fixed held-out links, next to two fixed-rate
 * senders on the same links: "hold" (the starting rate, 0.3-1.5 x capacity, never
 * changed: action 0) and the oracle at capacity.
 *
 *   npx tsc -p tsconfig.json && node dist/experiments/aurora-curve.js --steps 100000 --every 10000 --seed 0 --out runs/aurora-curve
 *
 * Writes <out>/aurora-curve.json after every evaluation (a partial run keeps its points).
 * A slow command, not a test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FixedRateSender } from "../agents/baselines/congestion.js";
import { evaluatePolicy } from "../agents/evaluate.js";
import { PPO } from "../agents/ppo.js";
import { train } from "../agents/train.js";
import { CongestionEnv } from "../envs/congestion/env.js";
import { backendInfo, selectBackend } from "../flash/backend.js";
import type { Rng } from "../flash/rng.js";
import type { LinkSpec } from "../sim/network/link.js";
import { ppsToMbps } from "../sim/network/link.js";
import { parseArgs } from "./args.js";
import { ppoConfig, runSender, TABLE12 } from "./tasks/congestion.js";
import { total } from "./tasks/rl-flash-kit.js";

/** PCC-RL's link randomisation (two links of equal settings there; here the bottleneck and a symmetric ack path). */
export function auroraLink(rng: Rng): LinkSpec[] {
  return [
    {
      bandwidthMbps: ppsToMbps(rng.uniform(100, 500)),
      delayMs: 1000 * rng.uniform(0.05, 0.5),
      queuePackets: 1 + Math.floor(Math.exp(rng.uniform(0, 8))),
      lossRate: rng.uniform(0, 0.05),
    },
  ];
}

export function auroraEnv(seed: number, pair = "aurora-ranges"): CongestionEnv {
  // `links` is only the path before the first reset: every reset draws a new one.
  return new CongestionEnv({ pair, links: [{ bandwidthMbps: 3.6, delayMs: 275, queuePackets: 100, lossRate: 0 }], seed, sampleLinks: auroraLink });
}

async function main(): Promise<void> {
  const { options } = parseArgs(process.argv.slice(2), {
    steps: { type: "string", default: "100000", description: "PPO training steps" },
    every: { type: "string", default: "10000", description: "steps between evaluations" },
    seed: { type: "string", default: "0", description: "run seed" },
    out: { type: "string", default: "runs/aurora-curve", description: "output folder" },
  });
  const steps = Number(options.steps);
  const every = Number(options.every);
  const seed = Number(options.seed);
  const out = String(options.out);
  await selectBackend("wasm");
  mkdirSync(out, { recursive: true });
  const env = auroraEnv(seed);
  const evalEnv = auroraEnv(seed, "aurora-eval");
  const agent = new PPO(env, ppoConfig(TABLE12), { seed });
  const EVAL = 5_000_000;
  const ev = (n: number) => evaluatePolicy(agent, evalEnv, { episodes: n, seed: EVAL }).mean;
  const fixed = (s: FixedRateSender | null) =>
    Array.from({ length: 10 }, (_, i) =>
      s
        ? total(runSender(evalEnv, s, EVAL + i))
        : evaluatePolicy({ algo: "hold", obsDim: 30, actionSpace: evalEnv.actionSpace, predict: () => Float32Array.of(0) }, evalEnv, {
            episodes: 1,
            seed: EVAL + i,
          }).mean,
    ).reduce((a, b) => a + b, 0) / 10;
  const result = {
    backend: backendInfo().name,
    config: TABLE12,
    evalLinks: 10,
    hold: fixed(null),
    oracle: fixed(new FixedRateSender()),
    curve: [] as { steps: number; evalReturn: number; trainRecent: number; seconds: number }[],
  };
  result.curve.push({ steps: 0, evalReturn: ev(10), trainRecent: NaN, seconds: 0 });
  const t0 = performance.now();
  for (let done = 0; done < steps; done += every) {
    const r = train(agent, env, { totalTimesteps: every, seed: done === 0 ? seed : undefined });
    const recent = r.episodeReturns.slice(-10);
    result.curve.push({
      steps: done + every,
      evalReturn: ev(10),
      trainRecent: recent.length ? total(recent) / recent.length : NaN,
      seconds: (performance.now() - t0) / 1000,
    });
    writeFileSync(path.join(out, "aurora-curve.json"), JSON.stringify(result, null, 2) + "\n");
    const last = result.curve[result.curve.length - 1];
    process.stderr.write(
      `${last.steps} steps: eval ${last.evalReturn.toFixed(1)} (hold ${result.hold.toFixed(1)}, oracle ${result.oracle.toFixed(1)}), train ` +
        `${last.trainRecent.toFixed(1)}, ${last.seconds.toFixed(0)} s\n`,
    );
  }
  agent.dispose();
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await main();
