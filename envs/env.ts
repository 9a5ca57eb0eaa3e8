/**
 * The RL environment interface every task implements (after Gymnasium's `Env`).
 *
 * Small and stable on purpose: `reset(seed?)` starts an episode, `step(action)`
 * advances it. `terminated` means the MDP reached a terminal state (no bootstrap
 * from the next state); `truncated` means a time limit or other cut (bootstrap as
 * usual). Observations and actions are plain Float32Arrays; discrete actions are
 * passed as a one-element array holding the integer index.
 */

/** A box of real vectors, bounds per dimension (may be +/-Infinity). */
export interface BoxSpace {
  kind: "box";
  shape: [number];
  low: Float32Array;
  high: Float32Array;
}

/** `n` discrete choices, 0..n-1. */
export interface DiscreteSpace {
  kind: "discrete";
  n: number;
}

export type Space = BoxSpace | DiscreteSpace;

/** What `step` returns. */
export interface StepResult {
  observation: Float32Array;
  reward: number;
  /** Reached a terminal state of the MDP: do not bootstrap. */
  terminated: boolean;
  /** Cut short (time limit): bootstrap from `observation`. */
  truncated: boolean;
  /** Diagnostics; never needed for learning. */
  info?: Record<string, number | string | boolean>;
}

export interface Env {
  /** A stable identifier of the environment family, e.g. "Pendulum-v1". */
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  /** Episode step limit after which `truncated` is set. */
  readonly maxEpisodeSteps: number;
  /** Start an episode. With a seed, re-seeds the environment's own RNG first. */
  reset(seed?: number): Float32Array;
  /** Advance one step. Throws a clear error on a wrong-sized, NaN, or out-of-space action. */
  step(action: Float32Array | number[]): StepResult;
}

/** An environment whose dynamics belong to one (application, environment) pair. */
export interface PairEnv extends Env {
  /** The pair's identity, the key under which FLASH stores its data. */
  readonly pair: string;
}

/** Number of action inputs an agent emits for a space (1 for discrete). */
export function actionDim(space: Space): number {
  return space.kind === "box" ? space.shape[0] : 1;
}

/** A box space from bounds. */
export function box(low: ArrayLike<number>, high: ArrayLike<number>): BoxSpace {
  if (low.length !== high.length) throw new RangeError(`box: low has ${low.length} dims, high has ${high.length}`);
  return { kind: "box", shape: [low.length], low: Float32Array.from(low), high: Float32Array.from(high) };
}

/** A discrete space of n actions. */
export function discrete(n: number): DiscreteSpace {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`discrete: expected a positive integer n, got ${n}`);
  return { kind: "discrete", n };
}
