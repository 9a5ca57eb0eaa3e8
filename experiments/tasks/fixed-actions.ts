/**
 * The fixed-action hooks of an RL task (`RlTask.fixedActionGrid`, `fixedActionReturns`,
 * `applicationOf`), built by the RL-FLASH kit from a task's candidate list: the policies
 * that need no learning which the reference rule (protocols/reference.ts) and the room
 * benchmark (protocols/room.ts) search over.
 *
 * A candidate plays one action for the whole episode, chosen before the episode from the
 * candidate's label alone: it reads nothing of the pair, so the best candidate on a pair
 * is found by search (trying each on the pair's selection windows), not by knowing the
 * pair. Returns are means over windows `reset(seed)`; every environment here draws an
 * episode from its reset seed only (the construction seed is re-seeded away), so a
 * candidate's return on the evaluation windows is exactly comparable with the agents'
 * (common random numbers; test/experiments/tasks/fixed-actions.test.ts holds it).
 */
import type { PairEnv } from "../../envs/env.js";
import { Rng } from "../../flash/rng.js";
import { runEpisode, total } from "./episode.js";
import { UnknownNameError } from "../../errors.js";
import type { FixedActionReturns, RefinedFixedAction, RlTask } from "./types.js";

/** One candidate: its label and its (constant) policy on an environment of the task. */
export interface FixedCandidate<E extends PairEnv> {
  label: string;
  act(env: E): (obs: Float32Array) => ArrayLike<number>;
  /** The action it plays, when it is one constant action vector (what a refinement moves). */
  action?: readonly number[];
}

/**
 * A local refinement of a continuous grid's best candidate (the autoscaling room bench's):
 * for each step s in turn, every combination of -s, 0, +s per dimension around the best so
 * far, clipped to [lo, hi]; the best on the selection windows is kept.
 */
export interface FixedActionRefinement {
  lo: readonly number[];
  hi: readonly number[];
  steps: readonly number[];
  /** The refined action's label (default `actionLabel`; the task's grid labels' style). */
  label?: (a: readonly number[]) => string;
}

/** `points` evenly spaced values from `lo` to `hi` (both included). */
export function linspace(lo: number, hi: number, points: number): number[] {
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`linspace: expected at least 2 points, got ${points}`);
  return Array.from({ length: points }, (_, k) => lo + ((hi - lo) * k) / (points - 1));
}

/** Every combination of one value per dimension (the first dimension varies slowest). */
export function cartesian(axes: readonly (readonly number[])[]): number[][] {
  return axes.reduce<number[][]>((acc, axis) => acc.flatMap((head) => axis.map((x) => [...head, x])), [[]]);
}

/** The label of an action vector: its numbers to 4 decimals, comma-separated (`0.5,-1,0`). */
export function actionLabel(a: readonly number[]): string {
  return a.map((x) => Number(x.toFixed(4)).toString()).join(",");
}

/** Constant-action candidates, one per action vector, labelled by `label` (default `actionLabel`). */
export function constantActions<E extends PairEnv>(actions: readonly (readonly number[])[], label = actionLabel): FixedCandidate<E>[] {
  return actions.map((a) => {
    const action = Float32Array.from(a);
    return { label: label(a), act: () => () => action, action: a };
  });
}

/** Mean return of `act` over the windows `seeds`. */
function meanReturn<E extends PairEnv>(env: E, seeds: readonly number[], act: (obs: Float32Array) => ArrayLike<number>): number {
  let sum = 0;
  for (const s of seeds) sum += total(runEpisode(env, s, act).rewards);
  return sum / seeds.length;
}

/** The refinement's best action from `start` (see `FixedActionRefinement`); `score` is called once per distinct action. */
export function refineAction(score: (a: number[]) => number, start: readonly number[], r: FixedActionRefinement): { action: number[]; score: number } {
  const seen = new Map<string, number>();
  const scored = (a: number[]) => {
    const k = actionLabel(a);
    if (!seen.has(k)) seen.set(k, score(a));
    return seen.get(k) as number;
  };
  let best = [...start];
  for (const step of r.steps) {
    const around = cartesian(best.map(() => [-step, 0, step])).map((d) => best.map((x, j) => Math.min(r.hi[j], Math.max(r.lo[j], x + d[j]))));
    for (const a of around) if (scored(a) > scored(best)) best = a;
  }
  return { action: best, score: scored(best) };
}

/** What the hooks need from the kit and the task. */
export interface FixedActionSource<C, E extends PairEnv, P> {
  candidates(cfg: C): FixedCandidate<E>[];
  envOf(cfg: C, pair: string, seed: number): E;
  randomAction(rng: Rng): () => number[];
  /** The pair an updated pair was made from (undefined: it was not). */
  fromOf(cfg: C, pair: string): string | undefined;
  /** The task's application of a (root) pair; absent: the root pair's id. */
  application?(cfg: C, pair: P): string;
  pairOf(cfg: C, pair: string): P;
  /** Refine the best of a continuous grid (absent: the grid is the search). */
  refinement?: FixedActionRefinement;
}

/** `RlTask.fixedActionGrid`, `fixedActionReturns` and `applicationOf` from a task's candidates. */
export function fixedActionHooks<C, E extends PairEnv, P>(
  src: FixedActionSource<C, E, P>,
): Required<Pick<RlTask<C>, "fixedActionGrid" | "fixedActionReturns" | "applicationOf">> & Pick<RlTask<C>, "refineFixedAction"> {
  const constant = (a: readonly number[]) => {
    const action = Float32Array.from(a);
    return () => action;
  };
  const refinement = src.refinement;
  return {
    fixedActionGrid: (cfg) => src.candidates(cfg).map((c) => c.label),
    fixedActionReturns(cfg, pair, seeds): FixedActionReturns {
      if (seeds.length === 0) throw new RangeError(`fixedActionReturns: expected at least one window seed for pair "${pair}"`);
      const env = src.envOf(cfg, pair, 0);
      const fixed = src.candidates(cfg).map((c) => meanReturn(env, seeds, c.act(env)));
      const random = meanReturn(env, seeds, src.randomAction(new Rng(`fixed-actions/random/${pair}`)));
      return { fixed, random };
    },
    ...(refinement
      ? {
          refineFixedAction(cfg: C, pair: string, label: string, selectSeeds: readonly number[], evalSeeds: readonly number[]): RefinedFixedAction {
            const start = src.candidates(cfg).find((c) => c.label === label)?.action;
            if (!start)
              throw new UnknownNameError(
                "fixed action with an action vector",
                label,
                src
                  .candidates(cfg)
                  .map((c) => c.label)
                  .slice(0, 8),
                "refineFixedAction",
              );
            const env = src.envOf(cfg, pair, 0);
            const best = refineAction((a) => meanReturn(env, selectSeeds, constant(a)), start, refinement);
            return { label: (refinement.label ?? actionLabel)(best.action), select: best.score, eval: meanReturn(env, evalSeeds, constant(best.action)) };
          },
        }
      : {}),
    applicationOf(cfg, pair) {
      let root = pair;
      // Follow updated pairs back to the pair they were made from (a chain never loops: ids are distinct).
      for (let from = src.fromOf(cfg, root); from !== undefined; from = src.fromOf(cfg, root)) root = from;
      return src.application ? src.application(cfg, src.pairOf(cfg, root)) : root;
    },
  };
}
