/** The autoscaling environment (FIRM's MDP on sim/k8s) and its action/observation scaling. */
export * from "./env.js";
export * from "./spaces.js";
