/**
 * Rollout buffer for on-policy agents (SB3's RolloutBuffer): n_steps x n_envs rows in
 * typed arrays, GAE(lambda) returns and advantages computed once per rollout.
 * Row index = step * nEnvs + env.
 */
import { ValueError } from "../flash/errors.js";

export class RolloutBuffer {
  readonly obs: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly episodeStarts: Uint8Array;
  readonly values: Float32Array;
  readonly logProbs: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  readonly ctx: Int32Array;
  /** Steps filled so far (each step holds nEnvs rows). */
  pos = 0;

  constructor(
    readonly nSteps: number,
    readonly nEnvs: number,
    readonly obsDim: number,
    readonly actionDim: number,
  ) {
    const n = nSteps * nEnvs;
    this.obs = new Float32Array(n * obsDim);
    this.actions = new Float32Array(n * actionDim);
    this.rewards = new Float32Array(n);
    this.episodeStarts = new Uint8Array(n);
    this.values = new Float32Array(n);
    this.logProbs = new Float32Array(n);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
    this.ctx = new Int32Array(n);
  }

  get size(): number {
    return this.nSteps * this.nEnvs;
  }

  get full(): boolean {
    return this.pos === this.nSteps;
  }

  reset(): void {
    this.pos = 0;
  }

  /** Policy outputs for the current step (rewards come later via `setRewards`). */
  addPolicyStep(obs: Float32Array, actions: Float32Array, values: Float32Array, logProbs: Float32Array, ctx: Int32Array): void {
    if (this.pos >= this.nSteps) throw new ValueError("rollout buffer is full: call finish/train before adding more steps");
    const r = this.pos * this.nEnvs;
    this.obs.set(obs, r * this.obsDim);
    this.actions.set(actions, r * this.actionDim);
    this.values.set(values, r);
    this.logProbs.set(logProbs, r);
    this.ctx.set(ctx, r);
  }

  /** Rewards of the current step and whether the acted-on obs started an episode; advances. */
  setRewards(rewards: Float32Array, episodeStarts: Uint8Array): void {
    const r = this.pos * this.nEnvs;
    this.rewards.set(rewards, r);
    this.episodeStarts.set(episodeStarts, r);
    this.pos++;
  }

  /** SB3 compute_returns_and_advantage: GAE backwards over steps, returns = adv + V. */
  computeReturnsAndAdvantage(lastValues: Float32Array, dones: Uint8Array, gamma: number, gaeLambda: number): void {
    const n = this.nEnvs;
    for (let e = 0; e < n; e++) {
      let last = 0;
      for (let s = this.nSteps - 1; s >= 0; s--) {
        const i = s * n + e;
        let nextNonTerminal: number;
        let nextValue: number;
        if (s === this.nSteps - 1) {
          nextNonTerminal = 1 - dones[e];
          nextValue = lastValues[e];
        } else {
          nextNonTerminal = 1 - this.episodeStarts[i + n];
          nextValue = this.values[i + n];
        }
        const delta = this.rewards[i] + gamma * nextValue * nextNonTerminal - this.values[i];
        last = delta + gamma * gaeLambda * nextNonTerminal * last;
        this.advantages[i] = last;
        this.returns[i] = last + this.values[i];
      }
    }
  }
}
