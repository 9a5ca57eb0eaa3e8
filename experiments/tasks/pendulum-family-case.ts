/** The pendulum-family case study's descriptor (case-study.ts): the harness's proof on classic control. */
import type { CaseStudy } from "./case-study.js";
import type { RlTask } from "./types.js";

export const pendulumFamilyCaseStudy: CaseStudy = {
  name: "pendulum-family",
  summary: "Pendulum physics pairs; DDPG, FLASH-conditioned DDPG, transfer learning (the harness's proof)",
  rl: async () => (await import("./classic-family.js")).createClassicFamilyTask() as unknown as RlTask,
  golden: {
    description: "pendulum-family, golden profile (tiny budgets, 2 pool + 2 new pairs), 1 replicate, run seed 0: every protocol step once",
    profile: "golden",
    seeds: 1,
    seed: 0,
  },
};
