/** The congestion case study's descriptor (case-study.ts): FLASH paper A.5 on the packet-level link simulator. */
import { benchFigure, type CaseStudy } from "./case-study.js";
import type { RlTask } from "./types.js";

export const congestionCaseStudy: CaseStudy = {
  name: "congestion",
  summary:
    "congestion control (FLASH A.5): 625 link cells and Pantheon traces on a packet-level simulator; Aurora's PPO, FLASH-Aurora, transfer " +
    "learning, oracle/AIMD/BBR",
  rl: async () => (await import("./congestion.js")).createCongestionTask() as unknown as RlTask,
  golden: {
    description:
      "congestion, golden profile (20-MI episodes, 2 pool + 2 new link cells, 2 Figure 12 updates), 1 replicate, run seed 0: every protocol step once",
    profile: "golden",
    seeds: 1,
    seed: 0,
  },
  bench: {
    title: "congestion-control network simulator (AuroraCongestion-v0)",
    async run({ quick }) {
      const r = await (await import("./congestion-bench.js")).benchNetwork(quick ? { episodes: 5, repeats: 1 } : {});
      const lines = [
        `network_env_steps_per_s ${benchFigure(r.network_env_steps_per_s)}, packets/s ${benchFigure(r.network_packets_per_s)} ` +
          "(PCC-RL in the same run: node dist/bench/pcc-rl.js --pcc-rl DIR)",
        ...r.network_by_bandwidth.map(
          (b) =>
            `  ${String(b.mbps).padStart(5)} Mbps: ${benchFigure(b.env_steps_per_s)} steps/s, ${benchFigure(b.packets_per_step)} packets/step, ` +
            `${benchFigure(b.packets_per_s)} packets/s`,
        ),
      ];
      return { results: { ...r }, lines };
    },
  },
};
