/**
 * The pool-size sweep's own protocol pieces (`flash sweep <task> --pool-sizes 6,12,24,48`),
 * beside rl-reproduce.ts, which plans and summarises every RL run:
 *
 *   - Budget (sweep-budget.ts): by default every pool size pretrains for the config's
 *     `budgets.pretrainEpisodes` in all (a fixed total, pool pairs round-robin), so a
 *     larger pool means fewer episodes per pair and the sweep isolates diversity from data
 *     volume; `--budget per-pair:N` gives each size N episodes per pool pair, as the
 *     paper's pretraining grows with its pool (Appendix A.7). FLASH's warm-up (one
 *     random, never-trained-on episode per pool pair, its first context) grows with the
 *     pool and is counted as pretraining cost by `summarise`. `checkSweepBudget` refuses
 *     a total budget with more pairs than episodes: some pool pairs would never be trained on.
 *   - Served drop per size: a `sweep-serve` unit per (size, replicate) serves the FLASH,
 *     TL and (tasks with the hook) oracle models of that size on every new pair without
 *     weight updates (no original agents, no other controls: those do not depend on the
 *     pool size and the reproduction measures them), so the drop is the A/B protocol's,
 *     against the same references. The oracle (the agent given the pairs' true
 *     parameters) bounds what any embedding could give at that size.
 *   - Per size, the per-test values (speedup of FLASH over TL, FLASH's and TL's drop, and
 *     the paired difference FLASH - TL) and, over sizes, `poolEffects`: how many tests and
 *     replicates an effect of the observed size (smallest vs largest pool) would need
 *     for 95% intervals that do not overlap, from the measured spread (`testsNeeded`).
 */
import { ConfigError } from "../../errors.js";
import { meanCi95, meanCiJson, t975 } from "../stats.js";
import type { UnitRecord } from "../runner/pool.js";
import type { Unit, UnitContext } from "../runner/units.js";
import type { PretrainVariant, RlBudgets, RlTask, ServeResult } from "../tasks/types.js";
import type { CostSample } from "./adaptation.js";
import { drops, type PairReference, type ServedSample } from "./reward-drop.js";
import type { PoolEffect, SweepMetric, TestValue } from "../runner/results.js";

type Cfg = Record<string, unknown>;

/** A sweep-serve unit's input. */
export interface SweepServeInput {
  kind: "sweep-serve";
  task: string;
  cfg: Cfg;
  replicate: number;
  test: string[];
  /** Pretraining unit ids by variant (this size and replicate). */
  pretrain: Partial<Record<PretrainVariant, string>>;
}

/** Fixed total budget: every pool size must give each of its pairs at least one pretraining episode. */
export function checkSweepBudget(budgets: Pick<RlBudgets, "pretrainEpisodes">, poolSizes: readonly number[], profile: string): void {
  const largest = Math.max(...poolSizes);
  if (budgets.pretrainEpisodes < largest)
    throw new ConfigError(
      `--pool-sizes: the sweep pretrains every pool size for the same ${budgets.pretrainEpisodes} episodes in all ` +
        `(budgets.pretrainEpisodes of profile ${profile}); ` +
        `expected pool sizes of at most ${budgets.pretrainEpisodes} so that every pool pair is trained on, got ${largest}`,
    );
}

/** The serve unit of one pool size (`prefix` "P<n>/") and replicate: its pretrained variants (FLASH, TL, the oracle) served on every new pair. */
export function sweepServeUnit(
  prefix: string,
  k: number,
  taskName: string,
  cfg: Cfg,
  test: string[],
  refs: Record<string, string>,
  pretrain: Partial<Record<PretrainVariant, string>>,
  b: RlBudgets,
): Unit {
  const input: SweepServeInput = { kind: "sweep-serve", task: taskName, cfg, replicate: k, test, pretrain };
  return {
    id: `${prefix}serve/r${k}`,
    kind: "sweep-serve",
    deps: [...Object.values(refs), ...(Object.values(pretrain) as string[])],
    cost: (b.evalEpisodes + b.embedEpisodes) * test.length * Object.keys(pretrain).length * 0.1,
    input,
  };
}

/** Runs a sweep-serve unit: the served samples of each pretrained variant (FLASH, TL, the oracle) on every new pair. */
export async function executeSweepServe(task: RlTask, inp: SweepServeInput, seed: number, ctx: UnitContext): Promise<{ samples: ServedSample[] }> {
  const samples: ServedSample[] = [];
  const variants = Object.entries(inp.pretrain) as [PretrainVariant, string][];
  for (const [j, [v, model]] of variants.entries()) {
    ctx.progress(j / variants.length, v);
    const res: ServeResult[] = await task.serve(inp.cfg, { variant: v, modelDir: ctx.depDirs[model], pairs: inp.test, seed, workDir: ctx.workDir });
    for (const r of res) samples.push({ variant: v, replicate: inp.replicate, pair: r.pair, reward: r.reward });
  }
  return { samples };
}

/** One test's value of a per-size metric. */

const mc = (xs: readonly number[]) => (xs.length ? meanCiJson(meanCi95(xs)) : null);

/**
 * What a sweep adds per pool size: FLASH's and TL's served drop and their paired
 * difference (mean ± 95% CI over tests), and the per-test values behind them and behind
 * the speedup (for `poolEffects`).
 */
export function sweepSizeExtras(
  records: ReadonlyMap<string, UnitRecord>,
  prefix: string,
  costs: readonly CostSample[],
  refs: ReadonlyMap<string, PairReference>,
) {
  const served = [...records.values()]
    .filter((r) => r.kind === "sweep-serve" && r.id.startsWith(prefix))
    .flatMap((r) => (r.result as { samples: ServedSample[] }).samples);
  const d = drops(served, refs).drops;
  const of = (v: string): TestValue[] => d.filter((x) => x.variant === v).map((x) => ({ pair: x.pair, replicate: x.replicate, value: x.drop }));
  const flash = of("flash");
  const tl = of("tl");
  const tlOf = new Map(tl.map((x) => [`${x.pair}\u0000${x.replicate}`, x.value]));
  const diff = flash
    .filter((x) => tlOf.has(`${x.pair}\u0000${x.replicate}`))
    .map((x) => ({ ...x, value: x.value - (tlOf.get(`${x.pair}\u0000${x.replicate}`) as number) }));
  const fast = new Map(costs.filter((c) => c.variant === "flash").map((c) => [`${c.pair}\u0000${c.replicate}`, c.episodes]));
  const speedup = costs
    .filter((c) => c.variant === "tl" && fast.has(`${c.pair}\u0000${c.replicate}`))
    .map((c) => ({ pair: c.pair, replicate: c.replicate, value: c.episodes / (fast.get(`${c.pair}\u0000${c.replicate}`) as number) }));
  const vals = (xs: TestValue[]) => xs.map((x) => x.value);
  return {
    reward_drop: { flash: mc(vals(flash)), tl: mc(vals(tl)), flash_minus_tl: mc(vals(diff)), oracle: mc(vals(of("oracle"))) },
    tests: { speedup_vs_tl: speedup, drop_flash: flash, drop_tl: tl, drop_flash_minus_tl: diff },
  };
}

/**
 * Tests per group for two groups with standard deviation `sd` and means `effect` apart
 * to have 95% t-intervals that do not overlap: the smallest n with
 * 2 * t_{0.975, n-1} * sd / sqrt(n) < |effect|; null when `maxN` is not enough or the
 * effect is zero. (Non-overlap is stricter than a significant difference: it asks each
 * half-width to be under half the gap.)
 */
export function testsNeeded(sd: number, effect: number, maxN = 100_000): number | null {
  if (!(sd >= 0) || !Number.isFinite(effect) || effect === 0) return null;
  if (sd === 0) return 2;
  for (let n = 2; n <= maxN; n++) if ((2 * t975(n - 1) * sd) / Math.sqrt(n) < Math.abs(effect)) return n;
  return null;
}

/**
 * Tests for a one-sample 95% t-interval of paired differences with standard deviation
 * `sd` and mean `effect` to exclude zero: the smallest n with t_{0.975, n-1} * sd / sqrt(n)
 * < |effect| (the paired design: the same new pairs and environment seeds at every size).
 */
export function pairedTestsNeeded(sd: number, effect: number, maxN = 100_000): number | null {
  return testsNeeded(sd / 2, effect, maxN);
}

const sdOf = (xs: readonly number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** Stated effects for metrics with no visible pool-size effect (the examples). */
export const STATED_EFFECT: Record<SweepMetric, number> = { speedup_vs_tl: 1.0, drop_flash: 0.1, drop_tl: 0.1, drop_flash_minus_tl: 0.1 };

type SweepEntry = { pool_size: number; tests: Record<SweepMetric, TestValue[]> };

export type { PoolEffect, SweepMetric, TestValue };

function pooledSd(groups: number[][]): number | null {
  const usable = groups.filter((g) => g.length >= 2);
  if (usable.length === 0) return null;
  let ss = 0;
  let df = 0;
  for (const g of usable) {
    ss += sdOf(g) ** 2 * (g.length - 1);
    df += g.length - 1;
  }
  return Math.sqrt(ss / df);
}

/**
 * For each metric: means per size, the observed effect (largest vs smallest pool), and
 * how many tests / replicates per size the observed effect and the stated one
 * (`STATED_EFFECT`) would need for non-overlapping 95% intervals, from the pooled
 * per-test spread (the report's intervals are over tests) and, more conservatively, from
 * the spread of per-replicate means (tests within a replicate share one pretraining).
 */
export function poolEffects(sweep: readonly SweepEntry[], pairsPerReplicate: number): PoolEffect[] {
  if (sweep.length < 2) return [];
  const sorted = [...sweep].sort((a, b) => a.pool_size - b.pool_size);
  const metrics = Object.keys(STATED_EFFECT) as SweepMetric[];
  return metrics.map((metric) => {
    const groups = sorted.map((s) => s.tests[metric].map((x) => x.value));
    const repMeans = sorted.map((s) => {
      const reps = [...new Set(s.tests[metric].map((x) => x.replicate))];
      return reps.map((k) => {
        const xs = s.tests[metric].filter((x) => x.replicate === k).map((x) => x.value);
        return xs.reduce((a, b) => a + b, 0) / xs.length;
      });
    });
    const means = sorted.map((s, i) => ({
      pool_size: s.pool_size,
      mean: groups[i].length ? groups[i].reduce((a, b) => a + b, 0) / groups[i].length : NaN,
      n: groups[i].length,
    }));
    const first = groups[0];
    const last = groups[groups.length - 1];
    const observed = means[means.length - 1].mean - means[0].mean;
    let overlap: boolean | null = null;
    if (first.length >= 2 && last.length >= 2) {
      const a = meanCi95(first);
      const b = meanCi95(last);
      overlap = Math.abs(b.mean - a.mean) <= a.ci95 + b.ci95;
    }
    const sd_test = pooledSd(groups);
    const sd_replicate = pooledSd(repMeans);
    const needs = (effect: number) => {
      const tests = sd_test === null || !Number.isFinite(effect) ? null : testsNeeded(sd_test, effect);
      return {
        tests,
        replicates: tests === null ? null : Math.ceil(tests / pairsPerReplicate),
        by_replicate_means: sd_replicate === null || !Number.isFinite(effect) ? null : testsNeeded(sd_replicate, effect),
      };
    };
    const key = (x: TestValue) => `${x.pair}\u0000${x.replicate}`;
    const lastOf = new Map(sorted[sorted.length - 1].tests[metric].map((x) => [key(x), x.value]));
    const diffs = sorted[0].tests[metric].filter((x) => lastOf.has(key(x))).map((x) => (lastOf.get(key(x)) as number) - x.value);
    const sdP = diffs.length >= 2 ? sdOf(diffs) : null;
    const paired = diffs.length
      ? {
          ...meanCiJson(meanCi95(diffs)),
          sd: sdP,
          observed_tests: sdP === null ? null : pairedTestsNeeded(sdP, observed),
          stated_tests: sdP === null ? null : pairedTestsNeeded(sdP, STATED_EFFECT[metric]),
        }
      : null;
    return {
      metric,
      means,
      observed,
      overlap,
      sd_test,
      sd_replicate,
      observed_needs: needs(observed),
      stated: STATED_EFFECT[metric],
      stated_needs: needs(STATED_EFFECT[metric]),
      paired,
    };
  });
}
