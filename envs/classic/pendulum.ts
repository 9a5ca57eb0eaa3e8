/**
 * Pendulum-v1, ported from Gymnasium
 * (Farama-Foundation/Gymnasium, `gymnasium/envs/classic_control/pendulum.py`,
 * registered with `max_episode_steps=200` in `gymnasium/envs/__init__.py`).
 *
 * ## Description
 * The inverted pendulum swing-up problem: a pendulum hangs from a fixed pivot;
 * torque applied at the pivot must swing it up and keep it upright, centre of
 * gravity above the pivot. theta = 0 is upright, positive counter-clockwise.
 * With the default constants the torque limit is too small to lift the pendulum
 * directly, so it has to be swung.
 *
 * ## Action space
 * `Box(-maxTorque, maxTorque, (1,))`: torque in N m. Like the Python source
 * (`np.clip(u, -max_torque, max_torque)`), an out-of-range action is clipped,
 * both in the dynamics and in the cost. A wrong length or a non-finite value
 * throws.
 *
 * ## Observation space
 * `Box([-1, -1, -maxSpeed], [1, 1, maxSpeed], (3,))`: `[cos theta, sin theta, theta_dot]`.
 *
 * ## Reward
 * `-(angle_normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2)`, computed on the
 * state *before* the step; `angle_normalize` maps to [-pi, pi). The range is
 * [-16.2736044, 0] with the default constants.
 *
 * ## Transition
 * `theta_dot' = clip(theta_dot + (3g/(2l) sin theta + 3/(m l^2) u) dt, -maxSpeed, maxSpeed)`,
 * then `theta' = theta + theta_dot' dt` (semi-implicit Euler, as in the source).
 *
 * ## Starting state
 * theta ~ U(-pi, pi), theta_dot ~ U(-1, 1).
 *
 * ## Episode end
 * Never terminates; truncated at step 200 (`maxEpisodeSteps`).
 *
 * ## Arguments
 * `g` (default 10.0), `m` (1.0), `l` (1.0), `maxTorque` (2.0), `maxSpeed` (8),
 * `dt` (0.05), `maxEpisodeSteps` (200), `seed` (0). Gymnasium exposes only `g`;
 * the others exist for the meta-RL family (`family.ts`). The defaults are exactly
 * Pendulum-v1.
 */
import { Rng } from "../../flash/rng.js";
import { box, type BoxSpace, type Env, type StepResult } from "../env.js";
import { checkBoxAction, EpisodeClock, physicsParams } from "./episode.js";

export interface PendulumParams {
  /** Gravity, m s^-2. */
  g: number;
  /** Mass, kg. */
  m: number;
  /** Length, m. */
  l: number;
  /** Torque limit, N m. */
  maxTorque: number;
  /** Angular speed limit, rad/s. */
  maxSpeed: number;
  /** Integration step, s. */
  dt: number;
}

export const PENDULUM_DEFAULTS: Readonly<PendulumParams> = Object.freeze({
  g: 10.0,
  m: 1.0,
  l: 1.0,
  maxTorque: 2.0,
  maxSpeed: 8,
  dt: 0.05,
});

export interface PendulumOptions extends Partial<PendulumParams> {
  /** Seed of the environment's RNG until `reset(seed)` re-seeds it. Default 0. */
  seed?: number;
  /** Default 200, as Pendulum-v1 is registered. */
  maxEpisodeSteps?: number;
  /** Overrides `id` (the family uses its own). */
  id?: string;
}

const TWO_PI = 2 * Math.PI;

/** Gymnasium's `angle_normalize`: `((x + pi) % (2 pi)) - pi` with Python's floored modulo. */
export function angleNormalize(x: number): number {
  let r = (x + Math.PI) % TWO_PI;
  // JS `%` truncates; Python/NumPy `%` takes the divisor's sign. Same fix-up as NumPy's npy_divmod.
  if (r !== 0 && r < 0) r += TWO_PI;
  return r - Math.PI;
}

export class Pendulum implements Env {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly maxEpisodeSteps: number;
  readonly params: Readonly<PendulumParams>;

  private rng: Rng;
  private readonly clock: EpisodeClock;
  private th = 0;
  private thdot = 0;

  constructor(options: PendulumOptions = {}) {
    this.id = options.id ?? "Pendulum-v1";
    const p = physicsParams(this.id, PENDULUM_DEFAULTS, options);
    this.params = p;
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 200;
    this.clock = new EpisodeClock(this.id, this.maxEpisodeSteps);
    this.rng = new Rng(options.seed ?? 0);
    this.actionSpace = box([-p.maxTorque], [p.maxTorque]);
    this.observationSpace = box([-1, -1, -p.maxSpeed], [1, 1, p.maxSpeed]);
  }

  /** The raw state `[theta, theta_dot]` (float64), for tests and diagnostics. */
  get state(): [number, number] {
    return [this.th, this.thdot];
  }

  /**
   * Starts an episode from a given state instead of a random one (Gymnasium
   * reaches the same through `env.unwrapped.state = ...`): for reference tests
   * and controllers that need a known start.
   */
  resetTo(theta: number, thetaDot: number): Float32Array {
    this.th = theta;
    this.thdot = thetaDot;
    this.clock.start();
    return this.observe();
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    // Same draw order as `np_random.uniform(low=[-pi, -1], high=[pi, 1])`.
    this.th = this.rng.uniform(-Math.PI, Math.PI);
    this.thdot = this.rng.uniform(-1, 1);
    this.clock.start();
    return this.observe();
  }

  step(action: Float32Array | number[]): StepResult {
    this.clock.assertRunning();
    checkBoxAction(this.id, action, 1);
    const { g, m, l, dt, maxTorque, maxSpeed } = this.params;
    const th = this.th;
    const thdot = this.thdot;
    const u = Math.min(Math.max(action[0], -maxTorque), maxTorque);
    const an = angleNormalize(th);
    const cost = an * an + 0.1 * thdot * thdot + 0.001 * (u * u);

    let newthdot = thdot + (((3 * g) / (2 * l)) * Math.sin(th) + (3.0 / (m * l * l)) * u) * dt;
    newthdot = Math.min(Math.max(newthdot, -maxSpeed), maxSpeed);
    this.th = th + newthdot * dt;
    this.thdot = newthdot;

    const truncated = this.clock.tick(false);
    return { observation: this.observe(), reward: -cost, terminated: false, truncated };
  }

  private observe(): Float32Array {
    const o = new Float32Array(3);
    o[0] = Math.cos(this.th);
    o[1] = Math.sin(this.th);
    o[2] = this.thdot;
    return o;
  }
}
