/**
 * The classic-control meta-RL family: one *pair* (in FLASH's sense, an
 * (application, environment) pair) is one set of physics parameters of
 * Pendulum or CartPole. An agent trained on one parameter set is served on
 * others, so these are the cheapest stand-ins for FLASH's system tasks and the
 * place to check the harness end to end in seconds.
 *
 * Parameters, generation ranges and why:
 *
 * pendulum (Pendulum-v1 dynamics; `m`, `l`, `g` required, `maxTorque` optional, default 2):
 *   m in [0.5, 1.5] kg, l in [0.5, 1.5] m, g in [8, 12] m/s^2, maxTorque fixed at 2.
 *   - Solvable everywhere in the box: the torque that holds the pendulum
 *     horizontal is m g l / 2, from 2 (light, short, weak gravity) to 13.5, so
 *     most pairs, like the default (5), need swinging. Swinging up is limited by
 *     the 8 rad/s speed clip: with angular momentum capped, energy can only be
 *     added while climbing, and heavy short pendulums under strong gravity
 *     (m = 2, l = 0.5, g = 12) cannot reach the top at all; heavy long ones
 *     (m = 2, l = 1.5) need more than the 200-step limit. With m <= 1.5 every
 *     corner of the box is swung up from rest at the bottom within ~165 steps by
 *     an energy-pumping controller (held in test/envs/classic/family.test.ts).
 *   - A controller tuned for one pair degrades on others: the natural frequency
 *     sqrt(3g/(2l)) spans 2.8..4.2 rad/s and the torque-to-acceleration gain
 *     3/(m l^2) spans 0.9..24, so a policy's timing of energy pumping and its
 *     balancing gains are both wrong off its training pair (also held in the test).
 *
 * cartpole (CartPole-v1 dynamics; `length` (half the pole), `masspole`, `masscart`, `forceMag` required):
 *   length in [0.15, 1.5] m, masspole in [0.05, 1.0] kg, masscart in [0.5, 3.0] kg,
 *   forceMag in [5, 20] N; gravity 9.8 and tau 0.02 as in CartPole-v1.
 *   - Solvable: a full-state linear switching policy balances for (nearly) all
 *     500 steps at every corner. Shorter poles fall faster (time constant
 *     ~ sqrt(l/g)); a light cart with a strong push overshoots, a heavy cart with a
 *     weak one reacts slowly.
 *   - A policy tuned for one pair degrades on others: gains that balance a short
 *     pole last tens of steps on the 1.5 m pole and vice versa; the bang-bang
 *     force magnitude relative to the total mass sets the per-step velocity
 *     change, which a policy trained on one pair implicitly assumes.
 *
 * Draws are uniform and rounded to 3 decimals so that a generated pair, its id,
 * and the same pair written to and read back from a pair file are identical.
 */
import type { Rng } from "../../flash/rng.js";
import type { BoxSpace, Env, PairEnv, Space, StepResult } from "../env.js";
import { CartPole } from "./cartpole.js";
import { Pendulum } from "./pendulum.js";
import { ConfigError } from "../../errors.js";

export const FAMILY_NAMES = ["pendulum", "cartpole"] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

/** One physics parameter of a family. */
export interface ParamSpec {
  readonly name: string;
  readonly doc: string;
  /** Required in a pair file; optional ones fall back to `default`. */
  readonly required: boolean;
  readonly default?: number;
  /** Uniform range `generatePairs` draws from; absent: not varied (uses `default`). */
  readonly range?: readonly [number, number];
}

/** A family: its parameters and how to build an environment from them. */
export interface FamilySpec {
  readonly name: FamilyName;
  /** The Gymnasium environment whose dynamics the family varies. */
  readonly baseEnvId: string;
  /** `id` of the family's environments. */
  readonly envId: string;
  readonly params: readonly ParamSpec[];
}

/** A pair: a stable id and a full or partial parameter set (missing optional ones take defaults). */
export interface PairSpec {
  readonly id: string;
  readonly params: Readonly<Record<string, number>>;
}

export const FAMILIES: Readonly<Record<FamilyName, FamilySpec>> = Object.freeze({
  pendulum: {
    name: "pendulum",
    baseEnvId: "Pendulum-v1",
    envId: "PendulumFamily-v1",
    params: [
      { name: "m", doc: "mass, kg", required: true, range: [0.5, 1.5] },
      { name: "l", doc: "length, m", required: true, range: [0.5, 1.5] },
      { name: "g", doc: "gravity, m/s^2", required: true, range: [8, 12] },
      { name: "maxTorque", doc: "torque limit, N m", required: false, default: 2.0 },
    ],
  },
  cartpole: {
    name: "cartpole",
    baseEnvId: "CartPole-v1",
    envId: "CartPoleFamily-v1",
    params: [
      { name: "length", doc: "half the pole's length, m", required: true, range: [0.15, 1.5] },
      { name: "masspole", doc: "pole mass, kg", required: true, range: [0.05, 1.0] },
      { name: "masscart", doc: "cart mass, kg", required: true, range: [0.5, 3.0] },
      { name: "forceMag", doc: "push magnitude, N", required: true, range: [5, 20] },
    ],
  },
});

/** True when `name` is a known family. */
export function isFamilyName(name: unknown): name is FamilyName {
  return typeof name === "string" && (FAMILY_NAMES as readonly string[]).includes(name);
}

/** The family's spec, or a clear error listing the known families. */
export function familySpec(family: string, where = "family"): FamilySpec {
  if (!isFamilyName(family)) {
    throw new ConfigError(`${where}: unknown family ${JSON.stringify(family)}; known families are ${FAMILY_NAMES.map((f) => `"${f}"`).join(", ")}`);
  }
  return FAMILIES[family];
}

/**
 * Checks a parameter object against the family: every key known, every
 * required key present, every value a finite number > 0. `where` prefixes the
 * message (e.g. `pairs.json: pairs[3].params`) so the caller can find the field.
 */
export function validateParams(family: FamilyName, params: unknown, where: string): Record<string, number> {
  const spec = FAMILIES[family];
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    throw new ConfigError(`${where}: expected an object of ${family} parameters, got ${describe(params)}`);
  }
  const known = spec.params.map((p) => p.name);
  const obj = params as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw new ConfigError(`${where}.${key}: unknown ${family} parameter; known parameters are ${known.join(", ")}`);
    }
  }
  const out: Record<string, number> = {};
  for (const p of spec.params) {
    const v = obj[p.name];
    if (v === undefined) {
      if (p.required) throw new ConfigError(`${where}.${p.name}: missing required ${family} parameter (${p.doc})`);
      continue;
    }
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new ConfigError(`${where}.${p.name}: must be a finite number > 0, got ${describe(v)}`);
    }
    out[p.name] = v;
  }
  return out;
}

/** Checks a pair id: a non-empty string without leading or trailing whitespace. */
export function validatePairId(id: unknown, where: string): string {
  if (typeof id !== "string" || id.length === 0 || id.trim() !== id) {
    throw new ConfigError(`${where}: expected a non-empty string without surrounding spaces, got ${describe(id)}`);
  }
  return id;
}

/** The id a generated pair gets: the family and its drawn parameters, e.g. `pendulum-m1.2-l0.85-g9.731`. */
export function pairIdFor(family: FamilyName, params: Readonly<Record<string, number>>): string {
  const parts = FAMILIES[family].params.filter((p) => params[p.name] !== undefined).map((p) => `${p.name}${params[p.name]}`);
  return [family, ...parts].join("-");
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * `n` distinct pairs drawn uniformly from the family's ranges (see the module
 * comment), in draw order. The same `rng` state gives the same pairs.
 */
export function generatePairs(family: FamilyName, n: number, rng: Rng): PairSpec[] {
  const spec = familySpec(family);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`generatePairs: expected a positive integer n, got ${n}`);
  const pairs: PairSpec[] = [];
  const seen = new Set<string>();
  let attempts = 0;
  while (pairs.length < n) {
    // Rounding makes collisions possible in principle; redraw rather than emit a duplicate id.
    if (++attempts > 100 * n) throw new ConfigError(`generatePairs: could not draw ${n} distinct ${family} pairs`);
    const params: Record<string, number> = {};
    for (const p of spec.params) if (p.range) params[p.name] = round3(rng.uniform(p.range[0], p.range[1]));
    const id = pairIdFor(family, params);
    if (seen.has(id)) continue;
    seen.add(id);
    pairs.push({ id, params });
  }
  return pairs;
}

/**
 * A family environment: the base environment's dynamics under one pair's
 * parameters, tagged with the pair id under which FLASH stores its data.
 */
export class FamilyEnv implements PairEnv {
  readonly id: string;
  readonly pair: string;
  readonly family: FamilyName;
  /** The validated parameters given for the pair (defaults not filled in). */
  readonly params: Readonly<Record<string, number>>;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps: number;

  constructor(
    family: FamilyName,
    pair: PairSpec,
    private readonly inner: Env,
  ) {
    this.family = family;
    this.pair = pair.id;
    this.params = Object.freeze({ ...pair.params });
    this.id = inner.id;
    this.observationSpace = inner.observationSpace;
    this.actionSpace = inner.actionSpace;
    this.maxEpisodeSteps = inner.maxEpisodeSteps;
  }

  reset(seed?: number): Float32Array {
    return this.inner.reset(seed);
  }

  step(action: Float32Array | number[]): StepResult {
    return this.inner.step(action);
  }
}

/**
 * An environment for `pair` of `family`. Validates the pair first (unknown
 * family, unknown/missing/non-positive parameter, bad id: clear errors).
 * @param seed seeds the environment's RNG (default 0); `reset(seed)` re-seeds it.
 */
export function makeFamilyEnv(family: FamilyName, pair: PairSpec, seed?: number): FamilyEnv {
  const spec = familySpec(family);
  const id = validatePairId(pair?.id, `pair id`);
  const p = validateParams(family, pair.params, `pair "${id}" params`);
  switch (spec.name) {
    case "pendulum":
      return new FamilyEnv(family, pair, new Pendulum({ id: spec.envId, seed, m: p.m, l: p.l, g: p.g, maxTorque: p.maxTorque }));
    case "cartpole":
      return new FamilyEnv(
        family,
        pair,
        new CartPole({ id: spec.envId, seed, length: p.length, masspole: p.masspole, masscart: p.masscart, forceMag: p.forceMag }),
      );
  }
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "number") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
