/**
 * MountainCarContinuous-v0, ported from Gymnasium
 * (Farama-Foundation/Gymnasium, `gymnasium/envs/classic_control/continuous_mountain_car.py`,
 * registered with `max_episode_steps=999` in `gymnasium/envs/__init__.py`;
 * after Moore 1990).
 *
 * ## Description
 * A car sits at the bottom of a sinusoidal valley and must reach the flag on the
 * right hill. Its engine is too weak to climb directly, so it must first back up
 * the left hill to build momentum.
 *
 * ## Action space
 * `Box(-1, 1, (1,))`: the push. The dynamics clip it to [-1, 1] (as the source
 * does with `min(max(action[0], -1), 1)`); a wrong length or a non-finite value
 * throws.
 *
 * ## Observation space
 * `Box([-1.2, -0.07], [0.6, 0.07], (2,))`: `[position, velocity]`.
 *
 * ## Reward
 * `-0.1 a^2` per step, plus 100 on the step that reaches the goal. Note: the
 * Python source squares the *unclipped* `action[0]` here while the dynamics use
 * the clipped force; we keep that, so an out-of-range action costs more than
 * it pushes, exactly as in Gymnasium. For actions inside the space this is
 * `-0.1 force^2`.
 *
 * ## Transition
 * `velocity += force * 0.0015 - 0.0025 cos(3 position)`, clipped to ±0.07;
 * `position += velocity`, clipped to [-1.2, 0.6]; at the left wall a negative
 * velocity is zeroed (inelastic). The state is stored as float32 after every
 * step, as the source does (`np.array([...], dtype=np.float32)`), so
 * trajectories match Gymnasium's to float32 rounding.
 *
 * ## Starting state
 * position ~ U(-0.6, -0.4), velocity 0.
 *
 * ## Episode end
 * Terminated when position >= 0.45 and velocity >= goalVelocity (0);
 * truncated at step 999 (`maxEpisodeSteps`).
 *
 * ## Arguments
 * `goalVelocity` (0, as in Gymnasium), `maxEpisodeSteps` (999), `seed` (0).
 */
import { Rng } from "../../flash/rng.js";
import { box, type BoxSpace, type Env, type StepResult } from "../env.js";
import { checkBoxAction, EpisodeClock } from "./episode.js";

export interface MountainCarContinuousOptions {
  /** Velocity the car must have at the goal; Gymnasium's `goal_velocity`. Default 0. */
  goalVelocity?: number;
  /** Seed of the environment's RNG until `reset(seed)` re-seeds it. Default 0. */
  seed?: number;
  /** Default 999, as MountainCarContinuous-v0 is registered. */
  maxEpisodeSteps?: number;
}

export const MOUNTAIN_CAR = Object.freeze({
  minAction: -1.0,
  maxAction: 1.0,
  minPosition: -1.2,
  maxPosition: 0.6,
  maxSpeed: 0.07,
  goalPosition: 0.45,
  power: 0.0015,
});

export class MountainCarContinuous implements Env {
  readonly id = "MountainCarContinuous-v0";
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly maxEpisodeSteps: number;
  readonly goalVelocity: number;

  private rng: Rng;
  private readonly clock: EpisodeClock;
  private position = 0;
  private velocity = 0;

  constructor(options: MountainCarContinuousOptions = {}) {
    const goalVelocity = options.goalVelocity ?? 0;
    if (!Number.isFinite(goalVelocity)) throw new RangeError(`${this.id}: goalVelocity must be finite, got ${goalVelocity}`);
    this.goalVelocity = goalVelocity;
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 999;
    this.clock = new EpisodeClock(this.id, this.maxEpisodeSteps);
    this.rng = new Rng(options.seed ?? 0);
    const c = MOUNTAIN_CAR;
    this.actionSpace = box([c.minAction], [c.maxAction]);
    this.observationSpace = box([c.minPosition, -c.maxSpeed], [c.maxPosition, c.maxSpeed]);
  }

  /** The raw state `[position, velocity]`, for tests and diagnostics. */
  get state(): [number, number] {
    return [this.position, this.velocity];
  }

  /** Starts an episode from a given state (Gymnasium: `env.unwrapped.state = ...`). */
  resetTo(position: number, velocity: number): Float32Array {
    this.position = position;
    this.velocity = velocity;
    this.clock.start();
    return this.observe();
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.position = this.rng.uniform(-0.6, -0.4);
    this.velocity = 0;
    this.clock.start();
    return this.observe();
  }

  step(action: Float32Array | number[]): StepResult {
    this.clock.assertRunning();
    checkBoxAction(this.id, action, 1);
    const c = MOUNTAIN_CAR;
    let position = this.position;
    let velocity = this.velocity;
    const a = action[0];
    const force = Math.min(Math.max(a, c.minAction), c.maxAction);

    velocity += force * c.power - 0.0025 * Math.cos(3 * position);
    if (velocity > c.maxSpeed) velocity = c.maxSpeed;
    if (velocity < -c.maxSpeed) velocity = -c.maxSpeed;
    position += velocity;
    if (position > c.maxPosition) position = c.maxPosition;
    if (position < c.minPosition) position = c.minPosition;
    if (position === c.minPosition && velocity < 0) velocity = 0;

    // The source tests the float64 values, then stores them as float32.
    const terminated = position >= c.goalPosition && velocity >= this.goalVelocity;
    let reward = 0;
    if (terminated) reward = 100.0;
    reward -= a * a * 0.1;

    this.position = Math.fround(position);
    this.velocity = Math.fround(velocity);
    const truncated = this.clock.tick(terminated);
    return { observation: this.observe(), reward, terminated, truncated };
  }

  private observe(): Float32Array {
    const o = new Float32Array(2);
    o[0] = this.position;
    o[1] = this.velocity;
    return o;
  }
}
