/**
 * A sweep's pretraining budget (`flash sweep ... --budget total:N | per-pair:N`):
 *
 *   - total:N (the default, N = the profile's `budgets.pretrainEpisodes`): every pool size
 *     pretrains for N episodes in all, so a larger pool means fewer episodes per pair: the
 *     sweep isolates diversity from data volume (pool-sweep.ts `checkSweepBudget`).
 *   - per-pair:N: pool size n pretrains for N x n episodes (the paper's Appendix A.7:
 *     5,800-6,900 episodes at 50-200 applications, about 35 per application at 200), so
 *     data grows with the pool as it does in the paper.
 *
 * A total budget is folded into the task config (`budgets.pretrainEpisodes`), so a run with
 * `--budget total:N` equal to the profile's is the same run as one without; a per-pair
 * budget is recorded in config.json as `pretrainPerPair` and gives each size its own
 * config (`configAtSize`), which that size's pretraining, adaptation and serving units read.
 */
import { ConfigError, OptionValueError } from "../../errors.js";
import type { RlBudgets, RlTask } from "../tasks/types.js";
import { checkSweepBudget } from "./pool-sweep.js";

type Cfg = Record<string, unknown>;

export type SweepBudget = { kind: "total"; episodes: number } | { kind: "per-pair"; episodes: number };

const EXPECTED = "total:N or per-pair:N with N a positive integer (e.g. per-pair:35)";

/** `--budget total:N | per-pair:N`; an OptionValueError naming what was expected. */
export function parseSweepBudget(raw: unknown): SweepBudget {
  const m = typeof raw === "string" ? /^(total|per-pair):(\d+)$/.exec(raw.trim()) : null;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1) throw new OptionValueError("--budget", EXPECTED, raw);
  return { kind: m[1] as SweepBudget["kind"], episodes: n };
}

/** Pretraining episodes of pool size `size` under a per-pair budget (undefined: the config's total). */
export function pretrainEpisodesAt(total: number, perPair: number | undefined, size: number): number {
  return perPair === undefined ? total : perPair * size;
}

/** `cfg` with other budgets (the task's `withBudgets`); an error for a task that cannot change them. */
export function withBudgets(task: Pick<RlTask, "withBudgets" | "name">, cfg: Cfg, b: RlBudgets): Cfg {
  if (!task.withBudgets) throw new ConfigError(`${task.name}: this task cannot change its budgets, so it cannot sweep with --budget`);
  return task.withBudgets(cfg, b);
}

/** The config pool size `size`'s units read: `cfg` itself unless a per-pair budget changes the pretraining episodes. */
export function configAtSize(task: Pick<RlTask, "withBudgets" | "name" | "budgets">, cfg: Cfg, size: number, perPair: number | undefined): Cfg {
  const b = task.budgets(cfg);
  const episodes = pretrainEpisodesAt(b.pretrainEpisodes, perPair, size);
  return episodes === b.pretrainEpisodes ? cfg : withBudgets(task, cfg, { ...b, pretrainEpisodes: episodes });
}

/** The budget in words for the report: "35 pretraining episodes per pool pair" or "a fixed total of 64 pretraining episodes". */
export function budgetWords(total: number, perPair: number | null | undefined): string {
  return perPair
    ? `${perPair} pretraining episodes per pool pair (pool size x ${perPair})`
    : `a fixed total of ${total} pretraining episodes at every pool size`;
}

/**
 * A sweep's config and per-pair budget from `budget` (`--budget`; undefined: the run's
 * own, which is a total unless `perPairDefault` gives one): a total is folded into the
 * config and checked to reach every pool pair of the largest size; a per-pair budget is
 * returned as `perPair` (config.json's `pretrainPerPair`).
 */
export function applySweepBudget(
  task: Pick<RlTask, "withBudgets" | "name" | "budgets">,
  cfg: Cfg,
  budget: SweepBudget | undefined,
  poolSizes: readonly number[],
  profile: string,
): { cfg: Cfg; perPair: number | undefined } {
  if (budget?.kind === "per-pair") return { cfg, perPair: budget.episodes };
  const out = budget?.kind === "total" ? withBudgets(task, cfg, { ...task.budgets(cfg), pretrainEpisodes: budget.episodes }) : cfg;
  checkSweepBudget(task.budgets(out), poolSizes, profile);
  return { cfg: out, perPair: undefined };
}
