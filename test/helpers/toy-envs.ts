/**
 * Tiny environments shared by the agent tests (DDPG, DQN, PPO), so that each property
 * (learning, episode-end handling) is checked on one definition across algorithms.
 */
import { Rng } from "../../flash/rng.js";
import { box, discrete, type BoxSpace, type DiscreteSpace, type Env, type StepResult } from "../../envs/env.js";

/**
 * A 1-D reach task: move x toward 0 with actions in [-2, 2]; reward -x^2; episodes end
 * only by the 20-step time limit (truncation).
 */
export class Reach implements Env {
  readonly id = "Reach";
  readonly observationSpace = box([-1], [1]);
  readonly actionSpace = box([-2], [2]);
  readonly maxEpisodeSteps = 20;
  private x = 0;
  private n = 0;
  private rng = new Rng(0);
  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.x = this.rng.uniform(-1, 1);
    this.n = 0;
    return Float32Array.of(this.x);
  }
  step(a: Float32Array | number[]): StepResult {
    this.x = Math.max(-1, Math.min(1, this.x + 0.25 * a[0]));
    this.n++;
    return { observation: Float32Array.of(this.x), reward: -this.x * this.x, terminated: false, truncated: this.n >= this.maxEpisodeSteps };
  }
}

/** Box task: reward -(a - x)^2 for a in [-1, 1] given x; one-step episodes end by termination. */
export class Match implements Env {
  readonly id = "Match";
  readonly observationSpace = box([-1], [1]);
  readonly actionSpace = box([-1], [1]);
  readonly maxEpisodeSteps = 1;
  private x = 0;
  private rng = new Rng(0);
  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.x = this.rng.uniform(-0.8, 0.8);
    return Float32Array.of(this.x);
  }
  step(a: Float32Array | number[]): StepResult {
    return { observation: Float32Array.of(this.x), reward: -((a[0] - this.x) ** 2), terminated: true, truncated: false };
  }
}

export type EpisodeEnd = "terminated" | "truncated";

/**
 * Countdown: `steps` steps of reward 1 whatever the action, observation n / steps after
 * step n (0 at reset, 1 at the last step), then the episode ends the way `end` says.
 * The final observation is always exactly 1, so a stored transition is an episode end
 * if and only if its next observation is 1: the tests check episode-end handling with it.
 */
export class Countdown implements Env {
  readonly id: string;
  readonly observationSpace = box([0], [1]);
  readonly actionSpace: BoxSpace | DiscreteSpace;
  readonly maxEpisodeSteps: number;
  private n = 0;
  constructor(
    readonly steps: number,
    readonly end: EpisodeEnd,
    action: "box" | "discrete",
  ) {
    this.id = `Countdown-${steps}-${end}-${action}`;
    this.maxEpisodeSteps = steps;
    this.actionSpace = action === "box" ? box([-1], [1]) : discrete(2);
  }
  reset(): Float32Array {
    this.n = 0;
    return Float32Array.of(0);
  }
  step(): StepResult {
    this.n++;
    const last = this.n >= this.steps;
    return {
      observation: Float32Array.of(this.n / this.steps),
      reward: 1,
      terminated: last && this.end === "terminated",
      truncated: last && this.end === "truncated",
    };
  }
}
