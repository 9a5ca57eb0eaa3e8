/**
 * Profiles: the named presets of an RL task (golden, demo, quick, full, ...). Each task
 * keeps ONE typed table of them (`ProfileTable`); its `profile()` picks from it, `flash
 * tasks` lists it, the runner records the chosen entry's purpose in results.json (the
 * report states it) and the tests read the names from it instead of restating them.
 */
import { UnknownNameError } from "../../errors.js";
import type { FlashSettings } from "./rl-flash-kit.js";
import type { RlBudgets } from "./types.js";

/** What every task's profile holds; a task's own entries add their fields (env, agent, ...). */
export interface ProfileSpec {
  /** What the profile is for, in one line (`flash tasks`, report.md). */
  purpose: string;
  /** Pretraining-pool pairs and new (test) pairs. */
  pool: number;
  test: number;
  flash: FlashSettings;
  budgets: RlBudgets;
  /** Replicates `flash reproduce` runs when `--seeds` is not given (default 2): each with its own pretraining (and, where the task draws them, pairs). */
  replicates?: number;
  /** A sweep with this profile pretrains each pool size for this many episodes per pool pair unless `--budget` says otherwise (sweep-budget.ts). */
  sweepPerPair?: number;
}

/** A task's profiles by name, in the order help texts list them. */
export type ProfileTable<P extends ProfileSpec = ProfileSpec> = Readonly<Record<string, P>>;

/** The profile `name` of `task`'s table; an UnknownNameError listing the known names. */
export function pickProfile<P extends ProfileSpec>(table: ProfileTable<P>, name: string, task: string): P {
  const p = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!p) throw new UnknownNameError("profile", name, Object.keys(table), task);
  return p;
}

/** The paper's FLASH encoder (BiGRU 2 x 256, embedding 32, context 8 x 100 steps, 4 per batch): every task's full profile. */
export const PAPER_FLASH: FlashSettings = { hidden: 256, layers: 2, fcHidden: 64, embeddingDim: 32, contextSize: 8, maxSteps: 100, contextSubsample: 4 };

/**
 * The paper's protocol budgets around a task's episode counts: 3 embedding episodes,
 * 10 evaluation episodes, each original agent served on 10 other new pairs, convergence
 * over a 10-episode window within 5%.
 */
export function paperBudgets(episodes: Pick<RlBudgets, "referenceEpisodes" | "pretrainEpisodes" | "adaptEpisodes">): RlBudgets {
  return { ...episodes, embedEpisodes: 3, evalEpisodes: 10, abTargets: 10, window: 10, tolerance: 0.05 };
}

/** One line per profile for help texts: "quick (pool 12, 3 new pairs): Under 20 minutes on 2 cores ...". */
export function profileLines(table: ProfileTable): string[] {
  return Object.entries(table).map(([name, p]) => `${name} (pool ${p.pool}, ${p.test} new pairs): ${p.purpose}`);
}
