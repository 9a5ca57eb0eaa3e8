/**
 * CartPole-v1, ported from Gymnasium
 * (Farama-Foundation/Gymnasium, `gymnasium/envs/classic_control/cartpole.py`,
 * registered with `max_episode_steps=500` in `gymnasium/envs/__init__.py`;
 * originally Barto, Sutton and Anderson 1983, http://incompleteideas.net/sutton/book/code/pole.c).
 *
 * ## Description
 * A pole is attached by an un-actuated joint to a cart moving along a
 * frictionless track. The pole starts upright; the goal is to keep it balanced
 * by pushing the cart left or right with a force of fixed magnitude.
 *
 * ## Action space
 * `Discrete(2)`, passed as a one-element array: `[0]` pushes the cart left,
 * `[1]` pushes it right. Anything else (2, 0.5, NaN, a wrong length) throws;
 * Gymnasium asserts the same.
 *
 * ## Observation space
 * `Box(4,)`: `[x, x_dot, theta, theta_dot]`, bounds
 * `±[4.8, float32 max, 24 deg in rad, float32 max]` (twice the termination
 * thresholds, so the terminating observation is still inside the box).
 *
 * ## Reward
 * +1 for every step, including the terminating one.
 *
 * ## Transition
 * `temp = (F + m_p l theta_dot^2 sin theta) / M`,
 * `theta_acc = (g sin theta - cos theta temp) / (l (4/3 - m_p cos^2 theta / M))`,
 * `x_acc = temp - m_p l theta_acc cos theta / M`, with `l` the pole's *half*
 * length and `M = m_c + m_p`; then explicit Euler with `tau = 0.02`:
 * positions are advanced with the old velocities.
 *
 * ## Starting state
 * All four state variables ~ U(-0.05, 0.05).
 *
 * ## Episode end
 * Terminated when |x| > 2.4 or |theta| > 12 deg (12 * 2 pi / 360 rad);
 * truncated at step 500 (`maxEpisodeSteps`).
 *
 * ## Arguments
 * `gravity` (9.8), `masscart` (1.0), `masspole` (0.1), `length` (0.5, half the
 * pole), `forceMag` (10.0), `tau` (0.02), `maxEpisodeSteps` (500), `seed` (0).
 * Gymnasium exposes none of the physics; they exist for the meta-RL family
 * (`family.ts`). The defaults are exactly CartPole-v1.
 */
import { Rng } from "../../flash/rng.js";
import { box, discrete, type BoxSpace, type DiscreteSpace, type Env, type StepResult } from "../env.js";
import { checkDiscreteAction, EpisodeClock, physicsParams } from "./episode.js";

export interface CartPoleParams {
  gravity: number;
  masscart: number;
  masspole: number;
  /** Half the pole's length, m. */
  length: number;
  forceMag: number;
  tau: number;
}

export const CARTPOLE_DEFAULTS: Readonly<CartPoleParams> = Object.freeze({
  gravity: 9.8,
  masscart: 1.0,
  masspole: 0.1,
  length: 0.5,
  forceMag: 10.0,
  tau: 0.02,
});

export interface CartPoleOptions extends Partial<CartPoleParams> {
  /** Seed of the environment's RNG until `reset(seed)` re-seeds it. Default 0. */
  seed?: number;
  /** Default 500, as CartPole-v1 is registered. */
  maxEpisodeSteps?: number;
  /** Overrides `id` (the family uses its own). */
  id?: string;
}

export const CARTPOLE_THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
export const CARTPOLE_X_THRESHOLD = 2.4;
const FLOAT32_MAX = 3.4028234663852886e38;

export class CartPole implements Env {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: DiscreteSpace;
  readonly maxEpisodeSteps: number;
  readonly params: Readonly<CartPoleParams>;

  private rng: Rng;
  private readonly clock: EpisodeClock;
  private readonly totalMass: number;
  private readonly polemassLength: number;
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;

  constructor(options: CartPoleOptions = {}) {
    this.id = options.id ?? "CartPole-v1";
    const p = physicsParams(this.id, CARTPOLE_DEFAULTS, options);
    this.params = p;
    // Precomputed exactly as the source does in __init__, so rounding matches.
    this.totalMass = p.masspole + p.masscart;
    this.polemassLength = p.masspole * p.length;
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 500;
    this.clock = new EpisodeClock(this.id, this.maxEpisodeSteps);
    this.rng = new Rng(options.seed ?? 0);
    this.actionSpace = discrete(2);
    const high = [CARTPOLE_X_THRESHOLD * 2, FLOAT32_MAX, CARTPOLE_THETA_THRESHOLD * 2, FLOAT32_MAX];
    this.observationSpace = box(
      high.map((h) => -h),
      high,
    );
  }

  /** The raw state `[x, x_dot, theta, theta_dot]` (float64), for tests and diagnostics. */
  get state(): [number, number, number, number] {
    return [this.x, this.xDot, this.theta, this.thetaDot];
  }

  /** Starts an episode from a given state (Gymnasium: `env.unwrapped.state = ...`). */
  resetTo(x: number, xDot: number, theta: number, thetaDot: number): Float32Array {
    this.x = x;
    this.xDot = xDot;
    this.theta = theta;
    this.thetaDot = thetaDot;
    this.clock.start();
    return this.observe();
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.x = this.rng.uniform(-0.05, 0.05);
    this.xDot = this.rng.uniform(-0.05, 0.05);
    this.theta = this.rng.uniform(-0.05, 0.05);
    this.thetaDot = this.rng.uniform(-0.05, 0.05);
    this.clock.start();
    return this.observe();
  }

  step(action: Float32Array | number[]): StepResult {
    this.clock.assertRunning();
    const a = checkDiscreteAction(this.id, action, 2);
    const { gravity, masspole, length, forceMag, tau } = this.params;
    const totalMass = this.totalMass;
    const polemassLength = this.polemassLength;
    const force = a === 1 ? forceMag : -forceMag;
    const costheta = Math.cos(this.theta);
    const sintheta = Math.sin(this.theta);
    const thetaDot = this.thetaDot;

    const temp = (force + polemassLength * thetaDot ** 2 * sintheta) / totalMass;
    const thetaacc = (gravity * sintheta - costheta * temp) / (length * (4.0 / 3.0 - (masspole * costheta ** 2) / totalMass));
    const xacc = temp - (polemassLength * thetaacc * costheta) / totalMass;

    // Explicit Euler, the source's default `kinematics_integrator = "euler"`.
    this.x = this.x + tau * this.xDot;
    this.xDot = this.xDot + tau * xacc;
    this.theta = this.theta + tau * thetaDot;
    this.thetaDot = thetaDot + tau * thetaacc;

    const terminated =
      this.x < -CARTPOLE_X_THRESHOLD || this.x > CARTPOLE_X_THRESHOLD || this.theta < -CARTPOLE_THETA_THRESHOLD || this.theta > CARTPOLE_THETA_THRESHOLD;
    const truncated = this.clock.tick(terminated);
    return { observation: this.observe(), reward: 1.0, terminated, truncated };
  }

  private observe(): Float32Array {
    const o = new Float32Array(4);
    o[0] = this.x;
    o[1] = this.xDot;
    o[2] = this.theta;
    o[3] = this.thetaDot;
    return o;
  }
}
