export * from "./types.js";
export * from "./errors.js";
export * from "./csv.js";
export * from "./serverless.js";
export * from "./multicloud.js";
export * from "./features.js";
export * from "./load.js";
export * from "./synthetic.js";
