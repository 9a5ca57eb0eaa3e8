/** The Kubernetes simulator's public surface (see README.md). */
export * from "./app.js";
export * from "./cluster.js";
export * from "./errors.js";
export * from "./generate.js";
export * from "./profile.js";
export * from "./queue.js";
export * from "./scenarios.js";
export * from "./segments.js";
