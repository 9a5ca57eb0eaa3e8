export {
  rcsCommand,
  reproduceRcs,
  rcsEvaluate,
  PROFILES,
  modelConfig,
  parseShots,
  type Profile,
  type ReproduceRcsOptions,
  type EvaluateCliOptions,
} from "./command.js";
export * from "./models.js";
export * from "./protocol.js";
export * from "./report.js";
export * from "./recommend.js";
export * from "./controls.js";
