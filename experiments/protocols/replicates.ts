/**
 * Replicates and their pairs, once for every task. A replicate repeats pretraining,
 * adaptation and the A/B test with its own unit seeds. A task with
 * `RlTask.replicateConfig` also gives each replicate its own pool and new pairs, drawn
 * from the run seed and the replicate and disjoint from every other replicate's: n
 * replicates then test n independent pretraining pools on n x test distinct new pairs,
 * so an interval over new pairs is over distinct pairs, and a pretraining that fails as a
 * whole shows as one replicate among n rather than as every test of the run. A task
 * without the hook serves the same pairs in every replicate (replicates then repeat only
 * the learning, and "n tests" counts each pair once per replicate).
 *
 * Replicate 0 runs the run's config itself (config.json `taskConfig`); replicate k >= 1
 * runs `replicateConfig(taskConfig, runSeed, k)`, a pure function of what config.json
 * records, so `flash rerun` (with more `seeds` too) derives the same pairs again.
 */
import { InternalError } from "../../errors.js";
import type { RlTask } from "../tasks/types.js";

type Cfg = Record<string, unknown>;

/** The config of every replicate 0..replicates-1 (replicate 0: `cfg`). */
export function replicateConfigs(task: Pick<RlTask, "name" | "replicateConfig" | "pairs">, cfg: Cfg, runSeed: number, replicates: number): Cfg[] {
  if (!Number.isInteger(replicates) || replicates < 1)
    throw new InternalError(`replicateConfigs: expected a positive integer count of replicates, got ${replicates}`);
  const out = [cfg];
  for (let k = 1; k < replicates; k++) out.push(task.replicateConfig ? (task.replicateConfig(cfg, runSeed, k) as Cfg) : cfg);
  if (task.replicateConfig) checkDisjoint(task, out);
  return out;
}

/** Does the task draw each replicate's own pairs? */
export const drawsPerReplicate = (task: Pick<RlTask, "replicateConfig">): boolean => typeof task.replicateConfig === "function";

/** The pool and new pairs of one replicate. */
export interface ReplicatePairs {
  replicate: number;
  pool: string[];
  test: string[];
}

/** Each replicate's pool and new pairs. */
export function pairsByReplicate(task: Pick<RlTask, "pairs">, cfgs: readonly Cfg[]): ReplicatePairs[] {
  return cfgs.map((c, replicate) => ({ replicate, ...task.pairs(c) }));
}

/** A replicate config that repeats a pair of another replicate is the task's bug: the draws are meant to be disjoint. */
function checkDisjoint(task: Pick<RlTask, "name" | "pairs">, cfgs: readonly Cfg[]): void {
  const owner = new Map<string, number>();
  for (const { replicate, pool, test } of pairsByReplicate(task, cfgs)) {
    for (const p of [...pool, ...test]) {
      const k = owner.get(p);
      if (k !== undefined && k !== replicate)
        throw new InternalError(`${task.name}: replicateConfig gave pair "${p}" to replicates ${k} and ${replicate}; each replicate's pairs must be its own`);
      owner.set(p, replicate);
    }
  }
}

/** The new pairs over every replicate, each once, in replicate order. */
export function allTestPairs(task: Pick<RlTask, "pairs">, cfgs: readonly Cfg[]): string[] {
  return [...new Set(cfgs.flatMap((c) => task.pairs(c).test))];
}
