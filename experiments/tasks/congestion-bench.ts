/**
 * Speed of the congestion-control environment: our env steps per second only (target:
 * >= 25,000 at Aurora's default link settings). A step is one monitor interval of
 * AuroraCongestion-v0 (the packets it carries, the statistics and the observation).
 * PCC-RL's simulator is not run here, so no ratio to it is reported: `bench/pcc-rl.ts`
 * measures both in one run. As context only: PCC-RL measured 2026-11-29 on this kind of
 * machine ran 1,200 steps/s on Aurora-range links with changing rates and 3,550 on a
 * steady 500 packets/s link. Aurora's settings: a new link per episode from
 * PCC-RL's ranges (1.2-6 Mbps, 50-500 ms, queue 2-2981, loss 0-5%), rate clamp [40, 1000],
 * actions from a fixed sine so the rate moves. Also simulated packets per second, and the
 * cost against bandwidth (0.1-128 Mbps at 50 ms one-way, the grid's range) with a sender
 * held at 90% of capacity. Best of `repeats` after a warm-up.
 */
import { CongestionEnv } from "../../envs/congestion/env.js";
import { auroraEnv } from "../../envs/congestion/aurora.js";

export interface NetworkBench {
  network_env_steps_per_s: number;
  network_packets_per_s: number;
  network_by_bandwidth: { mbps: number; env_steps_per_s: number; packets_per_step: number; packets_per_s: number }[];
}

function measure(env: CongestionEnv, episodes: number, act: (i: number) => number): { steps: number; packets: number; seconds: number } {
  let steps = 0;
  let packets = 0;
  const t0 = performance.now();
  for (let e = 0; e < episodes; e++) {
    env.reset(e);
    const before = env.simulator.totalPackets;
    for (let i = 0; i < env.maxEpisodeSteps; i++) {
      env.step([act(i)]);
      steps++;
    }
    packets += env.simulator.totalPackets - before;
  }
  return { steps, packets, seconds: (performance.now() - t0) / 1000 };
}

export async function benchNetwork(opts: { episodes?: number; repeats?: number } = {}): Promise<NetworkBench> {
  const episodes = opts.episodes ?? 20;
  const sine = (i: number) => 2 * Math.sin(i / 8);
  measure(auroraEnv(0), 2, sine);
  let best = { steps: 0, packets: 0, seconds: Infinity };
  for (let r = 0; r < (opts.repeats ?? 3); r++) {
    const m = measure(auroraEnv(r), episodes, sine);
    if (m.steps / m.seconds > best.steps / best.seconds) best = m;
  }
  const byBw = [0.1, 1, 8, 32, 128].map((mbps) => {
    const env = new CongestionEnv({
      pair: `bw${mbps}`,
      links: [{ bandwidthMbps: mbps, delayMs: 50, queuePackets: 1000, lossRate: 0.01 }],
      startRate: [0.9, 0.9],
      minRate: 5,
      maxRate: 20000,
      minIntervalPackets: 2,
    });
    const m = measure(env, Math.max(2, Math.round(episodes / 4)), () => 0);
    return {
      mbps,
      env_steps_per_s: Math.round(m.steps / m.seconds),
      packets_per_step: Math.round(m.packets / m.steps),
      packets_per_s: Math.round(m.packets / m.seconds),
    };
  });
  const sps = best.steps / best.seconds;
  return {
    network_env_steps_per_s: Math.round(sps),
    network_packets_per_s: Math.round(best.packets / best.seconds),
    network_by_bandwidth: byBw,
  };
}
