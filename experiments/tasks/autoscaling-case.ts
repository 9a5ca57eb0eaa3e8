/** The autoscaling case study's descriptor (case-study.ts): FLASH paper 5.2 on the simulated Kubernetes cluster. */
import { benchFigure, type CaseStudy } from "./case-study.js";
import type { RlTask } from "./types.js";

export const autoscalingCaseStudy: CaseStudy = {
  name: "autoscaling",
  summary: "Kubernetes autoscaling (FLASH 5.2): apps x load traces on a simulated 5-node cluster; FIRM's DDPG, FLASH-FIRM, transfer learning, HPA/VPA",
  rl: async () => (await import("./autoscaling.js")).createAutoscalingTask() as unknown as RlTask,
  golden: {
    description:
      "autoscaling, golden profile (20-step episodes, generated apps x synthetic traces, update pairs, HPA/VPA), 1 replicate, run seed 0: every " +
      "protocol step once",
    profile: "golden",
    seeds: 1,
    seed: 0,
  },
  bench: {
    title: "Kubernetes simulator",
    async run() {
      const r = await (await import("./autoscaling-bench.js")).benchK8s();
      return { results: { ...r }, lines: [`k8s_steps_per_s ${benchFigure(r.k8s_steps_per_s)}`] };
    },
  },
};
