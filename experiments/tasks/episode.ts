/**
 * One episode of a policy on a pair's environment (the kit's random warm-up and baseline
 * episodes, the non-ML baselines, the fixed-action search): its own module so that the
 * kit and fixed-actions.ts share it without importing each other.
 */
import type { PairEnv, StepResult } from "../../envs/env.js";

export interface Episode {
  states: Float32Array;
  actions: Float32Array;
  rewards: number[];
}

/** One episode of `act` from `reset(seed)`; `onStep` sees every step's result. */
export function runEpisode(env: PairEnv, seed: number, act: (obs: Float32Array) => ArrayLike<number>, onStep?: (r: StepResult) => void): Episode {
  const states: number[] = [];
  const actions: number[] = [];
  const rewards: number[] = [];
  let o = env.reset(seed);
  for (;;) {
    const a = Array.from(act(o));
    const r = env.step(a);
    onStep?.(r);
    states.push(...o);
    actions.push(...a);
    rewards.push(r.reward);
    if (r.terminated || r.truncated) break;
    o = r.observation;
  }
  return { states: Float32Array.from(states), actions: Float32Array.from(actions), rewards };
}

export const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
