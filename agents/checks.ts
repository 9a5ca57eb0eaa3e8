/**
 * Input validation shared by the agents: every public entry point checks sizes and
 * finiteness so a mistake fails at the call that made it, with a message naming what
 * was expected, instead of as a NaN loss thousands of updates later.
 */
import { ShapeError, ValueError, assertFinite } from "../flash/errors.js";
import type { Space } from "../envs/env.js";

export function checkObs(what: string, obs: ArrayLike<number>, dim: number): void {
  if (!obs || obs.length !== dim) throw new ShapeError(what, `an observation of ${dim} numbers`, obs ? `${obs.length}` : String(obs));
  assertFinite(what, obs);
}

export function checkReward(what: string, r: number): void {
  if (typeof r !== "number" || !Number.isFinite(r)) throw new ValueError(`${what}: expected a finite reward, got ${r}`);
}

/** An action as the environment takes it: inside a Box, or an integer index of a Discrete space. */
export function checkAction(what: string, a: ArrayLike<number>, space: Space): void {
  if (space.kind === "discrete") {
    if (!a || a.length !== 1) throw new ShapeError(what, "one integer index", a ? `${a.length} numbers` : String(a));
    const i = a[0];
    if (!Number.isInteger(i) || i < 0 || i >= space.n) throw new ValueError(`${what}: expected an integer in [0, ${space.n}), got ${i}`);
    return;
  }
  const d = space.shape[0];
  if (!a || a.length !== d) throw new ShapeError(what, `${d} numbers`, a ? `${a.length}` : String(a));
  assertFinite(what, a);
}

/** Positive integer hyper-parameter. */
export function checkPositiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ValueError(`${what}: expected a positive integer, got ${v}`);
}
