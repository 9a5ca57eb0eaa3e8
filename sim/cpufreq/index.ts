/** The DVFS server simulator's public surface (see README.md). */
export * from "./errors.js";
export * from "./processor.js";
export * from "./server.js";
export * from "./workload.js";
