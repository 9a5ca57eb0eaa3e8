/**
 * What every classic-control environment shares: the episode life cycle
 * (Gymnasium's `OrderEnforcing` + `TimeLimit` wrappers folded into the env) and
 * action validation. Kept apart so that the three ports read like their Python
 * sources, with the bookkeeping out of the way.
 */
import { ShapeError, ValueError } from "../../flash/errors.js";
import { StateError } from "../../errors.js";

/**
 * Tracks one episode: refuses `step()` before `reset()` or after the episode
 * ended (Gymnasium only warns and then returns undefined dynamics; an agent that
 * does this has a bug we want to see), and sets `truncated` at the step limit
 * exactly like `TimeLimit`: `truncated = elapsed >= maxEpisodeSteps`.
 */
export class EpisodeClock {
  private elapsed = 0;
  private running = false;
  private everReset = false;

  constructor(
    private readonly envId: string,
    readonly maxEpisodeSteps: number,
  ) {
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new RangeError(`${envId}: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  /** Steps taken in the current (or last) episode. */
  get steps(): number {
    return this.elapsed;
  }

  start(): void {
    this.elapsed = 0;
    this.running = true;
    this.everReset = true;
  }

  /** Call at the top of `step()`, before touching the state. */
  assertRunning(): void {
    if (this.running) return;
    if (!this.everReset) throw new StateError(`${this.envId}: step() called before reset(); call reset() to start an episode`);
    throw new StateError(`${this.envId}: step() called after the episode ended (after ${this.elapsed} steps); call reset() to start a new one`);
  }

  /** Counts the step and returns `truncated`; ends the episode if either flag is set. */
  tick(terminated: boolean): boolean {
    this.elapsed++;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    if (terminated || truncated) this.running = false;
    return truncated;
  }
}

/** Throws unless `action` is an array of `dim` finite numbers. Allocates nothing. */
export function checkBoxAction(envId: string, action: ArrayLike<number>, dim: number): void {
  if (action === null || typeof action !== "object" || typeof action.length !== "number") {
    throw new ShapeError(`${envId} action`, `an array of ${dim} number(s)`, String(action));
  }
  if (action.length !== dim) {
    throw new ShapeError(`${envId} action`, `length ${dim}`, `length ${action.length}`);
  }
  for (let i = 0; i < dim; i++) {
    const v = action[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ValueError(`${envId} action: expected finite numbers, got ${v} at index ${i}`);
    }
  }
}

/**
 * Returns the discrete index held in a one-element action array, or throws
 * unless it is exactly an integer in [0, n). A 0.5 or 1.0000001 is a policy bug
 * (a forgotten argmax or sampling step), never silently rounded.
 */
export function checkDiscreteAction(envId: string, action: ArrayLike<number>, n: number): number {
  checkBoxAction(envId, action, 1);
  const a = action[0];
  if (!Number.isInteger(a) || a < 0 || a >= n) {
    throw new ValueError(`${envId} action: expected an integer in 0..${n - 1}, got ${a}`);
  }
  return a;
}

/**
 * An env's physics constants: each from `options` when given, else its default, in the
 * defaults' key order; every one checked by `checkPositive`. Frozen.
 */
export function physicsParams<P extends object>(envId: string, defaults: Readonly<P>, options: Partial<P>): Readonly<P> {
  const p = {} as P;
  for (const k of Object.keys(defaults) as (keyof P & string)[]) {
    const v = options[k] ?? defaults[k];
    checkPositive(envId, k, v as number);
    p[k] = v as P[keyof P & string];
  }
  return Object.freeze(p);
}

/** Throws unless `value` is a finite number > 0; used for physics constants. */
export function checkPositive(envId: string, name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${envId}: parameter ${name} must be a finite number > 0, got ${value}`);
  }
}
