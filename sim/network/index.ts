export * from "./errors.js";
export * from "./link.js";
export * from "./monitor.js";
export * from "./network.js";
export * from "./trace.js";
