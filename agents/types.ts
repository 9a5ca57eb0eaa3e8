/**
 * What the training loop (`train.ts`) and evaluation (`evaluate.ts`) need from an
 * agent. SB3's split: an off-policy algorithm collects `train_freq` steps into a
 * replay buffer then runs `gradient_steps` updates; an on-policy algorithm collects
 * `n_steps` on every environment into a rollout buffer then trains on it.
 */
import type { Space } from "../envs/env.js";

export interface ActOptions {
  /** The greedy / mean action (evaluation); default false. */
  deterministic?: boolean;
  /** Context id for the extra-input hook (see extra.ts); default 0. */
  ctx?: number;
}

/** Anything that maps one observation to an environment action. */
export interface Policy {
  readonly algo: string;
  readonly obsDim: number;
  readonly actionSpace: Space;
  /** The action to pass to `env.step` (discrete: one element holding the index). */
  predict(obs: ArrayLike<number>, opts?: ActOptions): Float32Array;
}

export interface OffPolicyAlgorithm extends Policy {
  readonly kind: "off-policy";
  readonly learningStarts: number;
  /** Env steps between training phases (SB3 train_freq in steps). */
  readonly trainFreq: number;
  /** Updates per training phase; -1 means as many as steps collected. */
  readonly gradientSteps: number;
  /**
   * The exploration action at global step `numTimesteps`: `env` goes to the
   * environment, `buffer` into the replay buffer (DDPG: the scaled [-1, 1] action).
   */
  collectAction(obs: Float32Array, numTimesteps: number, ctx: number): { env: Float32Array; buffer: Float32Array };
  store(obs: Float32Array, nextObs: Float32Array, bufferAction: Float32Array, reward: number, terminated: boolean, ctx: number): void;
  /** After every env step (SB3 `_on_step`): target updates and schedules. */
  onStep(numTimesteps: number, progressRemaining: number): void;
  /** At episode ends: exploration noise resets. */
  onEpisodeEnd(): void;
  /** Run `gradientSteps` updates; returns the mean loss (NaN when none ran). */
  train(gradientSteps: number, progressRemaining: number): number;
}

export interface OnPolicyAlgorithm extends Policy {
  readonly kind: "on-policy";
  readonly nSteps: number;
  readonly gamma: number;
  /** Prepare the rollout buffer for `nEnvs` environments (called once per learn). */
  startRollouts(nEnvs: number): void;
  /**
   * Sample actions for all envs (obs: nEnvs x obsDim row-major) and record obs,
   * action, value and log-probability at the current rollout step. Returns one env
   * action per env (Box: clipped to the space; the unclipped sample is stored).
   */
  act(obs: Float32Array, ctx: Int32Array): Float32Array[];
  /** Record the step's rewards and the episode-start flags of the *acted-on* obs. */
  record(rewards: Float32Array, episodeStarts: Uint8Array): void;
  /** V(obs) for nEnvs rows (truncation bootstrap and the rollout's last values). */
  values(obs: Float32Array, ctx: Int32Array): Float32Array;
  /** GAE over the rollout, given V(last obs) and whether each env just finished. */
  finishRollout(lastValues: Float32Array, lastDones: Uint8Array): void;
  /** Train on the finished rollout; returns the mean loss and the minibatch updates run. */
  train(progressRemaining: number): { loss: number; updates: number };
}

export type Algorithm = OffPolicyAlgorithm | OnPolicyAlgorithm;
