/** The CPU frequency scaling environment (SmartOverclock's MDP on sim/cpufreq). */
export * from "./env.js";
