/**
 * AuroraCongestion-v0 at Aurora's original training ranges (PCC-RL's defaults): bandwidth
 * 100-500 packets/s (1.2-6 Mbps), one-way delay 50-500 ms, queue 1 + floor(e^U(0, 8)) =
 * 2-2981 packets, loss 0-5%, a new link every episode. Used by `flash aurora-curve`
 * (Aurora's learning curve), the network benchmark and the PCC-RL comparison
 * (bench/pcc-rl.ts), which all need the same link randomisation.
 */
import type { Rng } from "../../flash/rng.js";
import type { LinkSpec } from "../../sim/network/link.js";
import { ppsToMbps } from "../../sim/network/link.js";
import { CongestionEnv } from "./env.js";

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

/** An environment that draws a new link at Aurora's ranges on every reset. */
export function auroraEnv(seed: number, pair = "aurora-ranges"): CongestionEnv {
  // `links` is only the path before the first reset: every reset draws a new one.
  return new CongestionEnv({ pair, links: [{ bandwidthMbps: 3.6, delayMs: 275, queuePackets: 100, lossRate: 0 }], seed, sampleLinks: auroraLink });
}
