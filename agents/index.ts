/** The original agents (ARCHITECTURE.md, "Layers"): DDPG, DQN, PPO, the Sizeless regressor and their shared pieces. */
export { DDPG, SB3_DDPG_DEFAULTS, FIRM_DDPG_DEFAULTS, ZOO_DDPG_PENDULUM, type DDPGConfig, type AgentOptions } from "./ddpg.js";
export { DQN, SB3_DQN_DEFAULTS, SMARTOVERCLOCK_DQN_DEFAULTS, ZOO_DQN_CARTPOLE, type DQNConfig } from "./dqn.js";
export { PPO, SB3_PPO_DEFAULTS, AURORA_PPO_DEFAULTS, ZOO_PPO_CARTPOLE, ZOO_PPO_PENDULUM, type PPOConfig } from "./ppo.js";
export { SizelessRegressor, SIZELESS_DEFAULTS, type SizelessConfig } from "./sizeless.js";
export { train, type TrainOptions, type TrainResult, type TrainProgress, type Transition } from "./train.js";
export { FlashConditioner, EpisodeRecorder, type FlashConditionerOptions } from "./flash-conditioning.js";
export { evaluatePolicy, type EvaluateOptions, type EvaluateResult } from "./evaluate.js";
export type { ExtraInput } from "./extra.js";
export type { Policy, Algorithm, OffPolicyAlgorithm, OnPolicyAlgorithm, ActOptions } from "./types.js";
