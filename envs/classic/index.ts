/** Classic-control environments (Gymnasium ports) and their meta-RL pair family. */
export { Pendulum, PENDULUM_DEFAULTS, angleNormalize } from "./pendulum.js";
export type { PendulumParams, PendulumOptions } from "./pendulum.js";
export { CartPole, CARTPOLE_DEFAULTS, CARTPOLE_THETA_THRESHOLD, CARTPOLE_X_THRESHOLD } from "./cartpole.js";
export type { CartPoleParams, CartPoleOptions } from "./cartpole.js";
export { MountainCarContinuous, MOUNTAIN_CAR } from "./mountain-car-continuous.js";
export type { MountainCarContinuousOptions } from "./mountain-car-continuous.js";
export { makeClassicEnv, isClassicEnvId, CLASSIC_ENV_IDS } from "./make.js";
export type { ClassicEnvId } from "./make.js";
export {
  FAMILIES,
  FAMILY_NAMES,
  FamilyEnv,
  familySpec,
  generatePairs,
  isFamilyName,
  makeFamilyEnv,
  pairIdFor,
  validatePairId,
  validateParams,
} from "./family.js";
export type { FamilyName, FamilySpec, PairSpec, ParamSpec } from "./family.js";
export { loadPairFile, parsePairFile, savePairFile, validatePairs } from "./pair-file.js";
export type { PairFile } from "./pair-file.js";
