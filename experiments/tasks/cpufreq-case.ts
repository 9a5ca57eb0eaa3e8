/** The cpufreq case study's descriptor (case-study.ts): FLASH paper 5.3 on the DVFS server simulator. */
import { benchFigure, type CaseStudy } from "./case-study.js";
import type { RlTask } from "./types.js";

export const cpufreqCaseStudy: CaseStudy = {
  name: "cpufreq",
  summary: "CPU frequency scaling (FLASH 5.3): apps x processors on a DVFS server simulator; SmartOverclock's DQN, FLASH, transfer learning, Linux governors",
  rl: async () => (await import("./cpufreq.js")).createCpufreqTask() as unknown as RlTask,
  golden: {
    description:
      "cpufreq, demo profile (20-step episodes, 3 pool + 2 new pairs, update and processor-change pairs), 1 replicate, run seed 0: every protocol step once",
    profile: "demo",
    seeds: 1,
    seed: 0,
  },
  bench: {
    title: "DVFS server simulator (cpufreq)",
    async run() {
      const r = await (await import("./cpufreq-bench.js")).benchCpufreq();
      return {
        results: { ...r },
        lines: [
          `cpufreq_server_seconds_per_s ${benchFigure(r.cpufreq_server_seconds_per_s)}  cpufreq_env_steps_per_s ${benchFigure(r.cpufreq_env_steps_per_s)}`,
        ],
      };
    },
  },
};
