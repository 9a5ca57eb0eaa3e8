export * from "./env.js";
export * from "./aurora.js";
