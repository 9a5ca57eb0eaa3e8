/**
 * What each unit of an RL run (rl-reproduce.ts `planRl`) costs in episodes, for the cost
 * plan of `flash reproduce|sweep|rerun --plan` (runner/plan.ts): training episodes of its
 * kind (a reference's between its minimum and its cap) and evaluation episodes (no
 * learning: serving, the random baseline, FLASH's warm-up contexts).
 *
 * Work groups share one cost per training episode: "reference" (DDPG from random weights
 * on one pair, with its per-episode evaluation when the task judges evaluation curves),
 * "pretrain/flash", "pretrain/plain" (TL, the paper's TL, the oracle: the same networks
 * plus a few inputs), "adapt/flash", "adapt/plain"; "serve" units (A/B, sweep serving) are
 * evaluation episodes only.
 */
import type { PlannedUnit } from "../runner/units.js";
import type { RlTask } from "../tasks/types.js";
import type { UnitInput } from "./rl-reproduce.js";

export type WorkGroup = "reference" | "pretrain/flash" | "pretrain/plain" | "adapt/flash" | "adapt/plain" | "serve";
export const WORK_GROUPS: readonly WorkGroup[] = ["reference", "pretrain/flash", "pretrain/plain", "adapt/flash", "adapt/plain", "serve"];

/**
 * Expected distinct pairs in a training batch of `batch` transitions drawn uniformly from
 * a replay buffer holding `pairs` pairs equally: pairs x (1 - (1 - 1/pairs)^batch). A
 * FLASH training step encodes each once (rl-flash-kit.ts), so its cost grows with it.
 * `batch` defaults to 64 (the batch of FIRM's Table 8 and of every kit agent's profiles).
 */
export function distinctPairs(pairs: number, batch = 64): number {
  return pairs <= 1 ? Math.max(0, pairs) : pairs * (1 - (1 - 1 / pairs) ** batch);
}

/** FLASH pretraining's mean distinct pairs per batch over `episodes` episodes round-robin on `pool` pairs (the buffer holds every pair seen so far). */
export function meanDistinctPairs(pool: number, episodes: number, batch?: number): number {
  let sum = 0;
  for (let e = 1; e <= episodes; e++) sum += distinctPairs(Math.min(e, pool), batch);
  return episodes > 0 ? sum / episodes : 0;
}

export interface UnitWork {
  group: WorkGroup;
  /** pretrain/flash: the mean distinct pairs per training batch (`meanDistinctPairs`); 1 otherwise. */
  distinct: number;
  /** Training episodes; a reference trained to a plateau: its minimum. */
  episodes: number;
  /** At most (a reference's cap; otherwise `episodes`). */
  episodesMax: number;
  /** Evaluation episodes besides those the group's rate includes. */
  evals: number;
}

/** FLASH's served variants read context episodes first (rl-flash-kit.ts serve): "flash" and "flash-before". */
const EMBEDDING_VARIANTS = 2;
/** The FLASH controls served from FLASH's pretraining in an A/B unit (rl-reproduce.ts FLASH_CONTROLS). */
const FLASH_CONTROLS = 3;

/** The episodes `unit` runs (see the module comment). */
export function unitWork(unit: PlannedUnit, task: Pick<RlTask, "budgets" | "baselineLabels">): UnitWork {
  const inp = unit.input as UnitInput;
  const b = task.budgets(inp.cfg);
  switch (inp.kind) {
    case "reference": {
      // Final evaluation, the random baseline, and each non-ML baseline, over the evaluation windows.
      const evals = b.evalEpisodes * (2 + Object.keys(task.baselineLabels ?? {}).length);
      return { group: "reference", distinct: 1, episodes: b.referenceEpisodes, episodesMax: b.referenceCap ?? b.referenceEpisodes, evals };
    }
    case "pretrain": {
      const flash = inp.variant === "flash";
      const batch = (inp.cfg.agent as { batchSize?: number } | undefined)?.batchSize;
      const work = { episodes: b.pretrainEpisodes, episodesMax: b.pretrainEpisodes };
      // FLASH's warm-up: one random episode per pool pair.
      if (flash) return { group: "pretrain/flash", distinct: meanDistinctPairs(inp.pool.length, b.pretrainEpisodes, batch), ...work, evals: inp.pool.length };
      return { group: "pretrain/plain", distinct: 1, ...work, evals: 0 };
    }
    case "adapt":
      return { group: inp.variant === "flash" ? "adapt/flash" : "adapt/plain", distinct: 1, episodes: b.adaptEpisodes, episodesMax: b.adaptEpisodes, evals: 0 };
    case "sweep-serve": {
      const variants = Object.keys(inp.pretrain).length;
      const evals = inp.test.length * (variants * b.evalEpisodes + (inp.pretrain.flash ? b.embedEpisodes : 0));
      return { group: "serve", distinct: 1, episodes: 0, episodesMax: 0, evals };
    }
    case "ab": {
      const test = inp.test.length;
      const updates = inp.updates?.length ?? 0;
      // The original agents of the RL-referenced new pairs (ab-plan.ts), each on its A/B targets and its pair's updates.
      const originals = (Object.keys(inp.refs).length * Math.min(b.abTargets, test - 1) + updates) * b.evalEpisodes;
      const pretrained = Object.keys(inp.pretrain).length * (test + updates) * b.evalEpisodes;
      const controls = inp.pretrain.flash ? FLASH_CONTROLS * test * b.evalEpisodes + EMBEDDING_VARIANTS * (test + updates) * b.embedEpisodes : 0;
      // The pool tests (pool-tests.ts): each served variant on its pool pairs, FLASH with its context episodes first.
      const pool = Object.entries(inp.pool ?? {}).reduce((a, [v, ps]) => a + ps.length * (b.evalEpisodes + (v === "flash" ? b.embedEpisodes : 0)), 0);
      return { group: "serve", distinct: 1, episodes: 0, episodesMax: 0, evals: originals + pretrained + controls + pool };
    }
    case "room": {
      // Every grid candidate and the random policy on the selection and evaluation windows (room-units.ts), no learning.
      const grid = (task as Partial<Pick<RlTask, "fixedActionGrid">>).fixedActionGrid?.(inp.cfg).length ?? 0;
      return { group: "serve", distinct: 1, episodes: 0, episodesMax: 0, evals: (grid + 1) * 2 * b.evalEpisodes };
    }
  }
}
