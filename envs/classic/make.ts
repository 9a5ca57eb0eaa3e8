/**
 * Make a classic-control environment by its Gymnasium id, so experiment code and
 * configuration files can name environments as strings.
 */
import type { Env } from "../env.js";
import { CartPole } from "./cartpole.js";
import { MountainCarContinuous } from "./mountain-car-continuous.js";
import { Pendulum } from "./pendulum.js";
import { UsageError } from "../../errors.js";

export const CLASSIC_ENV_IDS = ["Pendulum-v1", "CartPole-v1", "MountainCarContinuous-v0"] as const;
export type ClassicEnvId = (typeof CLASSIC_ENV_IDS)[number];

/** True when `id` names one of the classic-control environments. */
export function isClassicEnvId(id: string): id is ClassicEnvId {
  return (CLASSIC_ENV_IDS as readonly string[]).includes(id);
}

/**
 * A fresh environment with Gymnasium's default constants and time limit.
 * @param seed seeds the environment's RNG (default 0); `reset(seed)` re-seeds it.
 */
export function makeClassicEnv(id: ClassicEnvId, seed?: number): Env {
  switch (id) {
    case "Pendulum-v1":
      return new Pendulum({ seed });
    case "CartPole-v1":
      return new CartPole({ seed });
    case "MountainCarContinuous-v0":
      return new MountainCarContinuous({ seed });
    default: {
      // Reached from untyped callers (JSON configs, the CLI).
      const given: string = id;
      throw new UsageError(`unknown classic environment id "${given}": known ids are ${CLASSIC_ENV_IDS.map((k) => `"${k}"`).join(", ")}`);
    }
  }
}
