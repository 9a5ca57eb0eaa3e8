/**
 * The paper's protocols on any RL task (tasks/types.ts), as units for the runner:
 *
 *   ref/<pair>/r<k>            scratch training on one new pair alone (replicate k): the
 *                              pair's converged reference, its baseline, and the scratch curve
 *   pretrain/<flash|tl>/r<k>   pretraining over the pool (P<n>/ prefix in a sweep)
 *   adapt/<flash|tl>/<pair>/r<k>  fine-tuning the pretrained model on a new pair
 *   P<n>/serve/r<k>            sweep only: FLASH and TL of pool size n served on every new
 *                              pair without weight updates (the drop per size; pool-sweep.ts)
 *   ab/r<k>                    A/B serving without weight updates: each original agent (a
 *                              reference agent) on `abTargets` other new pairs, FLASH and TL
 *                              on every new pair; FLASH embeddings for similarity
 *   ref/<updated pair>/r0      application-update experiment (tasks with `updates`): the
 *                              reference on each updated new pair, trained once (replicate 0);
 *                              the ab units also serve the original agent of the pair before
 *                              the update, FLASH and TL on the updated pairs
 *
 * and `summarise`, which turns the finished units into the numbers of results.json with
 * the one definition of each protocol (convergence.ts, reward-drop.ts, adaptation.ts,
 * amortisation.ts, similarity.ts). Non-ML baselines a task evaluates in its reference
 * units (`ReferenceResult.baselines`) get their reward and their reward drop with the
 * agents' definition (`baselines` in results.json); operational metrics a task measures
 * while serving (`RlTask.metricLabels`: autoscaling's CPU utilisation and SLO
 * preservation) are summarised per variant (`operations`). `executeUnit` is the
 * executor the pool workers load.
 */
import { ConfigError, DataError } from "../../errors.js";
import { similarity, nearestPairs } from "../../flash/similarity.js";
import { meanCi95, meanCiJson } from "../stats.js";
import type { ExecutorName } from "../runner/executors.js";
import type { UnitRecord } from "../runner/pool.js";
import { deriveSeed, type PlannedUnit, type Unit, type UnitContext } from "../runner/units.js";
import { rlTask } from "../tasks/index.js";
import type {
  AdaptResult,
  PretrainResult,
  PretrainVariant,
  ReferenceResult,
  RlBudgets,
  RlTask,
  ServeResult,
  ServeVariant,
  UpdatePair,
} from "../tasks/types.js";
import { adaptationCosts, speedup, summariseCosts, type CostSample, type Curve, type VariantCost } from "./adaptation.js";
import { amortisation, breakEvenN } from "./amortisation.js";
import { probeR2 } from "./controls.js";
import { drops, paperDrop, type DropSample, type PairReference, type ServedSample } from "./reward-drop.js";
import type {
  AmortisationJson,
  BaselineJson,
  DropJson,
  LevelsJson,
  ReferenceJson,
  ReplicatePairsJson,
  RlSummary,
  SpeedupJson,
  SweepPointJson,
  VariantCostJson,
} from "../runner/results.js";
import { correlation } from "./similarity.js";
import { executeSweepServe, poolEffects, sweepServeUnit, sweepSizeExtras, type SweepServeInput } from "./pool-sweep.js";
import { allTestPairs, drawsPerReplicate, pairsByReplicate, replicateConfigs } from "./replicates.js";
import { levelsJson } from "./levels.js";
import { conditioningFinding, pairedDifference, poolDropSummary, POOL_REFERENCE } from "./pool-tests.js";
import { pretrainingHealth } from "./pretrain-health.js";
import { originalTargets, poolServed, referencedPairs } from "./ab-plan.js";
import { applyReferenceRule, fixedReferenceJson, fixedReferences, referenceRuleJson, refUnit, ruledReferenceJson, type RuledReference } from "./reference.js";
import { executeRoom, roomPairs, roomUnits, type RoomUnitInput } from "./room-units.js";
import { summariseRoom } from "./room.js";
import { configAtSize } from "./sweep-budget.js";
import { referenceTraining } from "./plateau.js";

/** This module's name in the executor registry (runner/executors.ts). */
export const RL_EXECUTOR: ExecutorName = "rl-protocols@1";

type Cfg = Record<string, unknown>;

interface Base {
  task: string;
  cfg: Cfg;
  replicate: number;
}
export type UnitInput =
  | (Base & { kind: "reference"; pair: string; envSeed?: number })
  | (Base & { kind: "pretrain"; variant: PretrainVariant; pool: string[] })
  | (Base & { kind: "adapt"; variant: PretrainVariant; pair: string; pretrain: string; envSeed?: number })
  | (Base & {
      kind: "ab";
      test: string[];
      /** The reference unit of each new pair with an RL reference: its original agent. */
      refs: Record<string, string>;
      pretrain: Partial<Record<PretrainVariant, string>>;
      /** The pool pairs each pretrained variant (and the shuffled control) is also served on (ab-plan.ts); absent in runs planned before. */
      pool?: Partial<Record<ServeVariant, string[]>>;
      updates?: UpdatePair[];
    })
  | SweepServeInput
  | RoomUnitInput;

/** The pretrained variants: FLASH, TL and (tasks with the hook) the oracle control; the paper's TL in reproductions only. */
export function pretrainVariants(task: Pick<RlTask, "oracle">, sweep: boolean): PretrainVariant[] {
  const oracle = task.oracle ? (["oracle"] as const) : [];
  return sweep ? ["flash", "tl", ...oracle] : ["flash", "tl", "tl-paper", ...oracle];
}

/** The new pairs adapted to: the first `adaptPairs` test pairs (all without it); an error when there are fewer. */
export function adaptedPairs(test: readonly string[], b: Pick<RlBudgets, "adaptPairs">): string[] {
  if (b.adaptPairs === undefined) return [...test];
  if (b.adaptPairs > test.length)
    throw new ConfigError(`budgets.adaptPairs: expected at most the ${test.length} test pairs of the config, got ${b.adaptPairs}`);
  return test.slice(0, b.adaptPairs);
}

/** FLASH served with its own context (the protocol), then the controls that read the same pretrained model. */
const FLASH_CONTROLS: ServeVariant[] = ["flash-before", "flash-zero", "shuffled"];

/**
 * The environment seed of every unit on `pair` in replicate `k` (reference = scratch,
 * FLASH, TL, the paper's TL, the oracle): common random numbers, so a paired difference
 * is the variants' and not the environment draws'.
 */
export function envSeedOf(runSeed: number, pair: string, k: number): number {
  return deriveSeed(runSeed, `env/${pair}/r${k}`);
}

/**
 * The units of `flash reproduce` (poolSizes undefined) or of a sweep over pool sizes;
 * `runSeed` makes the shared environment seeds (and each replicate's pairs, replicates.ts);
 * `perPair` (sweeps) pretrains each size for `perPair` x size episodes (sweep-budget.ts).
 */
export function planRl(task: RlTask, taskName: string, runCfg: Cfg, replicates: number, poolSizes?: number[], runSeed = 0, perPair?: number): Unit[] {
  const b = task.budgets(runCfg);
  const units: Unit[] = [];
  const flashCost = 3; // relative wall time of a FLASH episode (meta learner); only for the ETA
  const cfgs = replicateConfigs(task, runCfg, runSeed, replicates);
  // The fixed-action search (the reference rule, refined where a pair has a reference; a reproduction adds the pool: the room
  // benchmark and the pool pairs' references): once per pair, not per replicate, each with the config of the replicate it is in.
  const searched = new Set<string>();
  for (const cfg of cfgs) {
    const { test } = task.pairs(cfg);
    const updates = poolSizes ? [] : (task.updates?.(cfg) ?? []);
    const refine = new Set([...test, ...updates.map((u) => u.pair)]);
    for (const u of roomUnits(task, taskName, cfg, poolSizes ? test : roomPairs(task, cfg, true), refine)) {
      if (searched.has(u.id)) continue;
      searched.add(u.id);
      units.push(u);
    }
  }
  // Updated pairs' references: the drop's scale on them; trained once per pair (shared pairs: in replicate 0), they serve every replicate that has them.
  const updateRefs = new Set<string>();
  for (const [k, cfg] of cfgs.entries()) {
    const { test } = task.pairs(cfg);
    // The update experiment belongs to the A/B test, which a sweep does not run.
    const updates = poolSizes ? [] : (task.updates?.(cfg) ?? []);
    const refs: Record<string, string> = {};
    // RL references (and the original agents) on the first `referencePairs` new pairs; the others' reference needs no learning.
    const referenced = referencedPairs(test, b);
    // Adapted to: the first `adaptPairs` of them (an adapted pair needs its RL reference: the scratch curve and the target).
    const adapted = adaptedPairs(referenced, b);
    for (const pair of referenced) {
      const id = `ref/${pair}/r${k}`;
      refs[pair] = id;
      units.push({
        id,
        kind: "reference",
        deps: [],
        cost: b.referenceEpisodes,
        input: { kind: "reference", task: taskName, cfg, replicate: k, pair, envSeed: envSeedOf(runSeed, pair, k) },
      });
    }
    for (const u of updates.filter((x) => !updateRefs.has(x.pair))) {
      updateRefs.add(u.pair);
      units.push({
        id: `ref/${u.pair}/r${k}`,
        kind: "reference",
        deps: [],
        cost: b.referenceEpisodes,
        input: { kind: "reference", task: taskName, cfg, replicate: k, pair: u.pair },
      });
    }
    for (const size of poolSizes ?? [undefined]) {
      const prefix = size === undefined ? "" : `P${size}/`;
      const pool = task.pairs(cfg, size).pool;
      // A per-pair sweep budget gives each size its own pretraining episodes; its units read that config.
      const sc = size === undefined ? cfg : configAtSize(task, cfg, size, perPair);
      const pretrainEpisodes = task.budgets(sc).pretrainEpisodes;
      const pre: Partial<Record<PretrainVariant, string>> = {};
      for (const v of pretrainVariants(task, size !== undefined)) {
        const id = `${prefix}pretrain/${v}/r${k}`;
        pre[v] = id;
        // The paper's TL: the agent trained on one previously seen pair (a different pool pair per replicate).
        const from = v === "tl-paper" ? [pool[k % pool.length]] : pool;
        units.push({
          id,
          kind: "pretrain",
          deps: [],
          cost: pretrainEpisodes * (v === "flash" ? flashCost : 1),
          input: { kind: "pretrain", task: taskName, cfg: sc, replicate: k, variant: v, pool: from },
        });
        for (const pair of adapted) {
          const input = { kind: "adapt", task: taskName, cfg: sc, replicate: k, variant: v, pair, pretrain: id, envSeed: envSeedOf(runSeed, pair, k) };
          units.push({ id: `${prefix}adapt/${v}/${pair}/r${k}`, kind: "adapt", deps: [id], cost: b.adaptEpisodes * (v === "flash" ? 1.5 : 1), input });
        }
      }
      // A sweep serves its pretrained variants per size (pool-sweep.ts); the reproduction runs the whole A/B test.
      if (size !== undefined) units.push(sweepServeUnit(prefix, k, taskName, sc, test, refs, pre, b));
      if (size === undefined) {
        const served = servedVariants(pre).map((x) => x.variant);
        const poolPairs = poolServed(pool, pre["tl-paper"] ? pool[k % pool.length] : undefined, served);
        const tests = referenced.length * b.abTargets + test.length * served.length + Object.values(poolPairs).flat().length + updates.length * 3;
        units.push({
          id: `ab/r${k}`,
          kind: "ab",
          deps: [...Object.values(refs), ...(Object.values(pre) as string[])],
          cost: (b.evalEpisodes + b.embedEpisodes) * tests * 0.1,
          input: { kind: "ab", task: taskName, cfg, replicate: k, test, refs, pretrain: pre, pool: poolPairs, ...(updates.length ? { updates } : {}) },
        });
      }
    }
  }
  return units;
}

/** The executor: runs one unit in a pool worker. */
export async function executeUnit(unit: PlannedUnit, ctx: UnitContext): Promise<unknown> {
  const inp = unit.input as UnitInput;
  const task = await rlTask(inp.task);
  const cfg = inp.cfg;
  switch (inp.kind) {
    case "reference":
      return task.reference(cfg, inp.pair, unit.seed, ctx.workDir, ctx.progress, inp.envSeed);
    case "pretrain":
      return task.pretrain(cfg, inp.variant, inp.pool, unit.seed, ctx.workDir, ctx.progress);
    case "adapt":
      return task.adapt(cfg, inp.variant, ctx.depDirs[inp.pretrain], inp.pair, unit.seed, ctx.workDir, ctx.progress, inp.envSeed);
    case "sweep-serve":
      return executeSweepServe(task, inp, unit.seed, ctx);
    case "room":
      return executeRoom(task, inp, ctx);
    case "ab": {
      const b = task.budgets(cfg);
      const samples: ServedSample[] = [];
      const embeddings: Record<string, number[]> = {};
      const test = inp.test;
      const updates = inp.updates ?? [];
      const scenarioOf = new Map(updates.map((u) => [u.pair, u.scenario]));
      const sample = (variant: string, r: ServeResult, trainedOn?: string): ServedSample => {
        const scenario = scenarioOf.get(r.pair);
        return {
          variant,
          replicate: inp.replicate,
          pair: r.pair,
          reward: r.reward,
          ...(trainedOn ? { trainedOn } : {}),
          ...(scenario ? { scenario } : {}),
          ...(r.metrics ? { metrics: r.metrics } : {}),
        };
      };
      // The shuffled control on a pool pair reads another pool pair's embedding: it needs two pool pairs with one.
      const poolEmb = inp.pretrain.flash ? await task.poolEmbeddings(cfg, ctx.depDirs[inp.pretrain.flash], ctx.workDir) : {};
      const poolOf = (v: ServeVariant) => (v === "shuffled" && Object.keys(poolEmb).length < 2 ? [] : (inp.pool?.[v] ?? []));
      const originals = test.filter((p) => p in inp.refs);
      const targets = originalTargets(test, originals, b.abTargets);
      const served = servedVariants(inp.pretrain);
      const steps = originals.length + served.length;
      for (const [i, from] of originals.entries()) {
        ctx.progress(i / steps, `original agent of ${from}`);
        // Its A/B targets (other new pairs) and the updated versions of its own pair.
        const t = [...(targets.get(from) ?? []), ...updates.filter((u) => u.from === from).map((u) => u.pair)];
        if (t.length === 0) continue;
        const res = await task.serve(cfg, {
          variant: "original",
          modelDir: ctx.depDirs[inp.refs[from]],
          trainedOn: from,
          pairs: t,
          seed: unit.seed,
          workDir: ctx.workDir,
        });
        for (const r of res) samples.push(sample("original", r, from));
      }
      for (const [j, { variant: v, model }] of served.entries()) {
        ctx.progress((originals.length + j) / steps, v);
        // The controls serve the main test only; the update experiment compares the agents. Pool pairs come last (new pairs' numbers do not move).
        const own = poolOf(v);
        const pairs = [...test, ...(FLASH_CONTROLS.includes(v) ? [] : updates.map((u) => u.pair)), ...own];
        const res: ServeResult[] = await task.serve(cfg, { variant: v, modelDir: ctx.depDirs[model], pairs, seed: unit.seed, workDir: ctx.workDir });
        for (const r of res) {
          if (own.includes(r.pair)) {
            samples.push({ ...sample(v, r), pool: true });
            continue;
          }
          samples.push(sample(v, r));
          // Similarity reads the embeddings of FLASH's own context (the kind pretraining saw).
          if (v === "flash" && r.embedding) embeddings[r.pair] = r.embedding;
        }
      }
      return { samples, testEmbeddings: embeddings, poolEmbeddings: poolEmb };
    }
  }
}

/** What an A/B unit serves: every pretrained variant, and FLASH's controls from FLASH's pretraining. */
function servedVariants(pre: Partial<Record<PretrainVariant, string>>): { variant: ServeVariant; model: string }[] {
  const out: { variant: ServeVariant; model: string }[] = [];
  for (const [v, id] of Object.entries(pre) as [PretrainVariant, string][]) out.push({ variant: v, model: id });
  if (pre.flash) for (const v of FLASH_CONTROLS) out.push({ variant: v, model: pre.flash });
  return out;
}

interface AbResult {
  samples: ServedSample[];
  testEmbeddings: Record<string, number[]>;
  poolEmbeddings: Record<string, number[]>;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The learning curve of a reference or adaptation result: training returns, or its evaluation curve where the task says so. */
export type CurveOf = (r: { returns: number[]; evalCurve?: number[] }) => number[];
export const trainingCurve: CurveOf = (r) => r.returns;

/** `RlTask.convergenceCurve` as a `CurveOf`; a result without the evaluation curve the task promises is an error. */
export function curveOf(task: Pick<RlTask, "convergenceCurve" | "name">): CurveOf {
  if (task.convergenceCurve !== "evaluation") return trainingCurve;
  return (r) => {
    if (!r.evalCurve)
      throw new DataError(`${task.name}: a unit result has no evalCurve, but the task judges convergence on evaluation curves (re-run the unit)`);
    return r.evalCurve;
  };
}

/** References of each new pair over its reference replicates. */
export function pairReferences(records: ReadonlyMap<string, UnitRecord>, window: number, curve: CurveOf = trainingCurve): Map<string, PairReference> {
  const by = new Map<string, ReferenceResult[]>();
  for (const r of records.values()) {
    if (r.kind !== "reference") continue;
    const { pair } = refUnit(r.id);
    by.set(pair, [...(by.get(pair) ?? []), r.result as ReferenceResult]);
  }
  const out = new Map<string, PairReference>();
  for (const [pair, rs] of by) {
    out.set(pair, {
      pair,
      evalReturn: mean(rs.map((r) => r.evalReturn)),
      trainLevel: mean(rs.map((r) => mean(curve(r).slice(-window)))),
      baseline: mean(rs.map((r) => r.baseline)),
    });
  }
  return out;
}

const mc = (xs: number[]) => (xs.length ? meanCiJson(meanCi95(xs)) : null);

/** One non-ML baseline in results.json (its fields: runner/results.ts). */
export type BaselineSummary = BaselineJson;

/** results.json's spelling of a served sample, a reference and an amortisation curve (snake_case keys). */
export function servedJson<S extends ServedSample>(s: S): Omit<S, "trainedOn"> & { trained_on?: string } {
  const { trainedOn, ...rest } = s;
  return trainedOn === undefined ? rest : { ...rest, trained_on: trainedOn };
}
const dropJson = (s: DropSample): DropJson => {
  const { referenceSource, ...rest } = s;
  return { ...servedJson(rest), ...(referenceSource === undefined ? {} : { reference_source: referenceSource }) };
};
const referenceJson = (r: PairReference): ReferenceJson => ({ pair: r.pair, eval_return: r.evalReturn, train_level: r.trainLevel, baseline: r.baseline });
const amortisationJson = (curves: ReturnType<typeof amortisation>): AmortisationJson[] =>
  curves.map((c) => ({ variant: c.variant, points: c.points.map((p) => ({ n: p.n, per_pair: p.perPair })), break_even: c.breakEven }));

/**
 * The non-ML baselines of the reference units (`ReferenceResult.baselines`): one sample
 * per (new pair, replicate) and baseline, served like an agent without weight update, so
 * its drop is the agents' drop against the same pair references.
 */
export function baselineSummaries(
  records: ReadonlyMap<string, UnitRecord>,
  refs: ReadonlyMap<string, PairReference>,
  labels: Record<string, string> = {},
  pairs?: ReadonlySet<string>,
): Record<string, BaselineSummary> {
  const samples: ServedSample[] = [];
  for (const r of records.values()) {
    if (r.kind !== "reference") continue;
    const b = (r.result as ReferenceResult).baselines;
    if (!b) continue;
    const { pair, replicate } = refUnit(r.id);
    if (pairs && !pairs.has(pair)) continue;
    for (const [name, reward] of Object.entries(b)) samples.push({ variant: name, replicate, pair, reward });
  }
  const d = drops(samples, refs);
  const out: Record<string, BaselineSummary> = {};
  for (const name of [...new Set(samples.map((s) => s.variant))]) {
    const mine = samples.filter((s) => s.variant === name);
    const by_pair: Record<string, number> = {};
    for (const pair of [...new Set(mine.map((s) => s.pair))]) by_pair[pair] = mean(mine.filter((s) => s.pair === pair).map((s) => s.reward));
    out[name] = {
      label: labels[name] ?? name,
      reward: mc(mine.map((s) => s.reward)),
      reward_drop: mc(d.drops.filter((x) => x.variant === name).map((x) => x.drop)),
      excluded: d.excluded.filter((x) => x.variant === name).length,
      by_pair,
    };
  }
  return out;
}

/**
 * Reward (and drop) of each variant on the updated pairs, per scenario and over all of
 * them; `referenceOf` writes a pair's reference (default: the one used, as the drop).
 */
export function updateSummary(
  samples: readonly ServedSample[],
  refs: ReadonlyMap<string, PairReference>,
  referenceOf: (pair: string) => ReferenceJson | undefined = (p) => {
    const r = refs.get(p);
    return r && referenceJson(r);
  },
) {
  if (samples.length === 0) return null;
  const d = drops(samples, refs);
  const byVariant = (scenario?: string) => {
    const keep = (s: ServedSample) => scenario === undefined || s.scenario === scenario;
    const out: Record<string, { reward: ReturnType<typeof mc>; reward_drop: ReturnType<typeof mc> }> = {};
    for (const v of [...new Set(samples.map((s) => s.variant))]) {
      out[v] = {
        reward: mc(samples.filter((s) => keep(s) && s.variant === v).map((s) => s.reward)),
        reward_drop: mc(d.drops.filter((s) => keep(s) && s.variant === v).map((s) => s.drop)),
      };
    }
    return out;
  };
  const scenarios = [...new Set(samples.map((s) => s.scenario as string))];
  return {
    /** Every scenario together. */
    all: byVariant(),
    by_scenario: Object.fromEntries(
      scenarios.map((sc) => [sc, { pairs: [...new Set(samples.filter((s) => s.scenario === sc).map((s) => s.pair))], variants: byVariant(sc) }]),
    ),
    /** Tests whose updated pair's reference was no better than random. */
    excluded: d.excluded.length,
    references: [...new Set(samples.map((s) => s.pair))].map(referenceOf).filter((x): x is ReferenceJson => x !== undefined),
    samples: d.drops.map(dropJson),
  };
}

/**
 * The task's operational metrics (Figure 8's CPU utilisation and SLO panels) per variant:
 * the served agents of the A/B test (one sample per served test), and the references and
 * non-ML baselines of the new pairs (one per pair and replicate).
 */
export function operationsSummary(
  served: readonly ServedSample[],
  records: ReadonlyMap<string, UnitRecord>,
  testPairs: ReadonlySet<string>,
  labels: Record<string, string> = {},
) {
  const samples: { variant: string; pair: string; replicate: number; metrics: Record<string, number> }[] = [];
  for (const s of served) if (s.metrics) samples.push({ variant: s.variant, pair: s.pair, replicate: s.replicate, metrics: s.metrics });
  for (const r of records.values()) {
    const m = r.kind === "reference" ? (r.result as ReferenceResult).metrics : undefined;
    const { pair, replicate } = refUnit(r.id);
    if (!m || !testPairs.has(pair)) continue;
    for (const [variant, metrics] of Object.entries(m)) samples.push({ variant, pair, replicate, metrics });
  }
  if (samples.length === 0) return null;
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.metrics)))];
  const by_variant: Record<string, Record<string, ReturnType<typeof mc>>> = {};
  for (const v of [...new Set(samples.map((s) => s.variant))]) {
    by_variant[v] = Object.fromEntries(
      names.map((n) => [n, mc(samples.filter((s) => s.variant === v && s.metrics[n] !== undefined).map((s) => s.metrics[n]))]),
    );
  }
  return { labels: Object.fromEntries(names.map((n) => [n, labels[n] ?? n])), by_variant, samples };
}

/** Mean ± CI per episode of normalised returns (R - B) / (R_ref - B) over (pair, replicate). */
function normalisedCurves(curves: Curve[], refs: ReadonlyMap<string, PairReference>, cap: number) {
  const out: { variant: string; episode: number; mean: number; lo: number; hi: number; n: number }[] = [];
  for (const v of [...new Set(curves.map((c) => c.variant))]) {
    const cs = curves.filter((c) => c.variant === v);
    for (let e = 0; e < cap; e++) {
      const xs = cs
        .filter((c) => c.returns.length > e)
        .map((c) => {
          const r = refs.get(c.pair) as PairReference;
          return (c.returns[e] - r.baseline) / (r.trainLevel - r.baseline);
        });
      if (xs.length === 0) continue;
      const m = meanCi95(xs);
      const h = Number.isNaN(m.ci95) ? 0 : m.ci95;
      out.push({ variant: v, episode: e + 1, mean: m.mean, lo: m.mean - h, hi: m.mean + h, n: m.n });
    }
  }
  return out;
}

/** `P<n>/` for a sweep's unit ids, "" for the main run's. */
const prefixOf = (id: string) => (/^P\d+\//.test(id) ? id.slice(0, id.indexOf("/") + 1) : "");

type AdaptOptions = { cap: number; window: number; tolerance: number };
type SpeedupOf = (fast: string, slow: string) => SpeedupJson | null;

const speedupJson = (costs: Parameters<typeof speedup>[0], fast: string, slow: string, cap: number): SpeedupJson | null => {
  const s = speedup(costs, fast, slow, cap);
  if (!s) return null;
  const r = s.censored.restrictedRatio;
  const m = s.censored.medianRatio;
  return {
    ...meanCiJson(s.meanRatio),
    ratio_of_means: s.ratioOfMeans,
    capped: s.capped,
    restricted_mean_ratio: { ...meanCiJson(r), tau: r.tau },
    km_median_ratio: m ? { value: m.value, bound: m.bound } : null,
  };
};

/** One variant's adaptation cost in results.json: the capped mean and the censoring-aware figures. */
const variantCostJson = (x: VariantCost): VariantCostJson & { n: number } => ({
  variant: x.variant,
  episodes: meanCiJson(x.episodes),
  converged_fraction: x.convergedFraction,
  n: x.n,
  restricted_mean: { ...meanCiJson(x.censored.restricted), tau: x.censored.restricted.tau },
  km_median: x.censored.median,
  censored: x.censored.censored,
});

/** Scratch adaptation curves: the new pairs' reference runs (not the updated pairs'), cut to the cap. */
function scratchCurves(records: ReadonlyMap<string, UnitRecord>, testPairs: ReadonlySet<string>, curve: CurveOf, cap: number): Curve[] {
  const curves: Curve[] = [];
  for (const r of records.values()) {
    if (r.kind !== "reference") continue;
    const { pair, replicate } = refUnit(r.id);
    if (testPairs.has(pair)) curves.push({ variant: "scratch", pair, replicate, returns: curve(r.result as ReferenceResult).slice(0, cap) });
  }
  return curves;
}

/** Adaptation curves per unit-id prefix ("" for the main run, `P<n>/` per sweep pool size). */
function adaptCurvesByPrefix(records: ReadonlyMap<string, UnitRecord>, curve: CurveOf): Map<string, Curve[]> {
  const bySize = new Map<string, Curve[]>();
  for (const r of records.values()) {
    if (r.kind !== "adapt") continue;
    const pfx = prefixOf(r.id);
    const parts = r.id.slice(pfx.length).split("/");
    const rep = Number(parts[parts.length - 1].slice(1));
    const c: Curve = { variant: parts[1], pair: parts.slice(2, -1).join("/"), replicate: rep, returns: curve(r.result as AdaptResult) };
    bySize.set(pfx, [...(bySize.get(pfx) ?? []), c]);
  }
  return bySize;
}

/** Pretraining episodes and wall seconds per variant of one prefix. */
function pretrainingOf(records: ReadonlyMap<string, UnitRecord>, pfx: string): Record<string, { episodes: number; seconds: number[] }> {
  const out: Record<string, { episodes: number; seconds: number[] }> = {};
  for (const r of records.values()) {
    if (r.kind !== "pretrain" || prefixOf(r.id) !== pfx) continue;
    const v = r.id.slice(pfx.length).split("/")[1];
    const p = r.result as PretrainResult;
    // FLASH's warm-up episodes (one random episode per pool pair) are pretraining cost too.
    const warm = v === "flash" ? new Set(p.pairs).size : 0;
    out[v] = { episodes: p.episodes + warm, seconds: [...(out[v]?.seconds ?? []), p.seconds] };
  }
  return out;
}

/**
 * Amortisation of FLASH, TL and scratch from pretraining episodes and mean adaptation
 * episodes (null without FLASH or TL), over N = 1..maxN applications with maxN twice
 * FLASH's crossover with TL (at least `minN`, at most 1000; 200 when they never cross),
 * so that the Figure 15 plot shows the crossover.
 */
function amortisationOf(
  pre: Record<string, { episodes: number }>,
  adaptMean: (v: string) => number | undefined,
  minN: number,
  needMeans: boolean,
): AmortisationJson[] | null {
  if (!pre.flash || !pre.tl) return null;
  if (needMeans && ["flash", "tl", "scratch"].some((v) => adaptMean(v) === undefined)) return null;
  const at = (v: string) => adaptMean(v) ?? NaN;
  const cross = breakEvenN(pre.flash.episodes, at("flash"), pre.tl.episodes, at("tl"));
  const maxN = Math.min(1000, Math.max(minN, Number.isFinite(cross) ? 2 * cross : 200));
  return amortisationJson(
    amortisation(
      [
        { variant: "flash", pretrainEpisodes: pre.flash.episodes, adaptEpisodes: at("flash") },
        { variant: "tl", pretrainEpisodes: pre.tl.episodes, adaptEpisodes: at("tl") },
        { variant: "scratch", pretrainEpisodes: 0, adaptEpisodes: at("scratch") },
      ],
      maxN,
    ),
  );
}

/** Embedding similarity against the original agent's drop and against adaptation episodes, per replicate. */
function similarityPoints(ab: readonly AbResult[], drops: readonly DropSample[], costs: readonly CostSample[]) {
  const simDrop: { x: number; y: number; from: string; pair: string; replicate: number }[] = [];
  const simCost: { x: number; y: number; variant: string; pair: string; replicate: number }[] = [];
  for (const [k, a] of ab.entries()) {
    const rep = a.samples[0]?.replicate ?? k;
    for (const s of drops) {
      if (s.variant !== "original" || s.replicate !== rep || !s.trainedOn) continue;
      const ea = a.testEmbeddings[s.trainedOn];
      const eb = a.testEmbeddings[s.pair];
      if (ea && eb) simDrop.push({ x: similarity(ea, eb), y: s.drop, from: s.trainedOn, pair: s.pair, replicate: rep });
    }
    const pool = new Map(Object.entries(a.poolEmbeddings));
    if (pool.size === 0) continue;
    for (const c of costs) {
      if (c.replicate !== rep || c.variant === "scratch") continue;
      const e = a.testEmbeddings[c.pair];
      if (e) simCost.push({ x: nearestPairs(e, pool, 1)[0].similarity, y: c.episodes, variant: c.variant, pair: c.pair, replicate: rep });
    }
  }
  return { drop: { ...correlation(simDrop), points: simDrop }, cost: { ...correlation(simCost), points: simCost } };
}

/** One entry per pool size of a sweep: adaptation, speedup and amortisation of its `P<n>/` units. */
function sweepSummary(
  poolSizes: readonly number[],
  records: ReadonlyMap<string, UnitRecord>,
  scratch: readonly Curve[],
  bySize: ReadonlyMap<string, Curve[]>,
  refs: ReadonlyMap<string, PairReference>,
  opts: AdaptOptions,
): SweepPointJson[] {
  return poolSizes.map((n) => {
    const pfx = `P${n}/`;
    const cs = adaptationCosts([...scratch, ...(bySize.get(pfx) ?? [])], refs, opts);
    const p = pretrainingOf(records, pfx);
    const byV = summariseCosts(cs, opts.cap);
    return {
      pool_size: n,
      ...sweepSizeExtras(records, pfx, cs, refs),
      adaptation: byV.map(variantCostJson),
      speedup_vs_tl: speedupJson(cs, "flash", "tl", opts.cap),
      oracle_speedup_vs_tl: speedupJson(cs, "oracle", "tl", opts.cap),
      pretrain_episodes: { flash: p.flash?.episodes ?? null, tl: p.tl?.episodes ?? null, oracle: p.oracle?.episodes ?? null },
      amortisation: amortisationOf(p, (v) => byV.find((x) => x.variant === v)?.episodes.mean, 50, false),
    };
  });
}

/** The served agents of the main A/B test: drops (the harness's and the paper's definition) and the reward_drop block. */
function abDrops(ab: readonly AbResult[], refs: ReadonlyMap<string, PairReference>) {
  const allServed = ab.flatMap((a) => a.samples);
  const served = allServed.filter((s) => s.scenario === undefined && !s.pool);
  const d = drops(served, refs);
  // Over tests (distinct pairs when each replicate draws its own) and over replicate means (levels.ts).
  const dropOf = (v: string) => levelsJson(d.drops.filter((x) => x.variant === v).map((x) => ({ replicate: x.replicate, pair: x.pair, value: x.drop })));
  const paper = served.map((x) => ({ ...x, drop: paperDrop(x.reward, (refs.get(x.pair) as PairReference).evalReturn) })).filter((x) => Number.isFinite(x.drop));
  const paperOf = (v: string) => paper.filter((x) => x.variant === v).map((x) => x.drop);
  const rewardDrop: RlSummary["reward_drop"] = {
    flash: dropOf("flash"),
    original: dropOf("original"),
    tl: dropOf("tl"),
    tl_paper: dropOf("tl-paper"),
    excluded: d.excluded.length,
    samples: d.drops.map(dropJson),
    served: served.map((x) => servedJson(x)),
  };
  const rewardDropPaper = Object.fromEntries(["flash", "tl", "tl-paper", "original", "oracle", "shuffled"].map((v) => [v.replace("-", "_"), mc(paperOf(v))]));
  return { allServed, served, drops: d.drops, dropOf, rewardDrop, rewardDropPaper };
}

/** Every pretraining of one unit-id prefix with its variant and replicate (pretraining health). */
function pretrainingsOf(records: ReadonlyMap<string, UnitRecord>, pfx: string): { variant: string; replicate: number; result: PretrainResult }[] {
  const out: { variant: string; replicate: number; result: PretrainResult }[] = [];
  for (const r of records.values()) {
    if (r.kind !== "pretrain" || prefixOf(r.id) !== pfx) continue;
    const parts = r.id.slice(pfx.length).split("/");
    out.push({ variant: parts[1], replicate: Number(parts[2].slice(1)), result: r.result as PretrainResult });
  }
  return out;
}

/** results.json's `replicate_pairs`: each replicate's pool, new and RL-referenced pairs, and the test counts. */
function replicatePairsJson(task: RlTask, cfgs: readonly Cfg[], served: readonly ServedSample[]): ReplicatePairsJson {
  const byRep = pairsByReplicate(task, cfgs).map((r) => ({ ...r, referenced: referencedPairs(r.test, task.budgets(cfgs[r.replicate])) }));
  const flashTests = served.filter((s) => s.variant === "flash").length;
  return {
    per_replicate: drawsPerReplicate(task),
    distinct_new_pairs: allTestPairs(task, cfgs).length,
    new_pair_tests: flashTests || byRep.reduce((a, r) => a + r.test.length, 0),
    replicates: cfgs.length,
    by_replicate: byRep,
  };
}

/** The run a summary is of: its seed and replicate count (each replicate's pairs: replicates.ts). */
export interface RunShape {
  seed: number;
  replicates: number;
}

/** Replicates 0..k of the finished units (`.../r<k>` ids), at least one. */
function replicatesIn(records: ReadonlyMap<string, UnitRecord>): number {
  let n = 1;
  for (const id of records.keys()) {
    const m = /\/r(\d+)$/.exec(id);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/**
 * Every number of results.json from the finished units of a reproduce or sweep run;
 * `run` (default: run seed 0 and the replicates the units name) gives each replicate's pairs.
 */
export function summarise(task: RlTask, cfg: Cfg, records: ReadonlyMap<string, UnitRecord>, poolSizes?: number[], run?: RunShape): RlSummary {
  const b = task.budgets(cfg);
  const cfgs = replicateConfigs(task, cfg, run?.seed ?? 0, run?.replicates ?? replicatesIn(records));
  const curve = curveOf(task);
  // The reference rule (reference.ts): every protocol below measures from the stronger of the RL reference and what needs no learning.
  const rlRefs = pairReferences(records, b.window, curve);
  const { refs: ruledRefs, ruled } = applyReferenceRule(task, cfg, records, rlRefs);
  const testPairs = new Set(allTestPairs(task, cfgs));
  // New pairs served without an RL reference (`referencePairs`), and pool pairs (the pool tests): the best fixed action.
  const fixedNew = fixedReferences(
    task,
    cfg,
    records,
    [...testPairs].filter((p) => !rlRefs.has(p)),
  );
  const poolRefs = fixedReferences(task, cfg, records, [...new Set(cfgs.flatMap((c) => task.pairs(c).pool))]);
  const refs = new Map([...ruledRefs, ...fixedNew]);
  const cap = b.adaptEpisodes;
  const opts: AdaptOptions = { cap, window: b.window, tolerance: b.tolerance };
  // Scratch on the pairs the pretrained variants adapt to, so that every variant's mean is over the same pairs.
  const adaptedAll = new Set(cfgs.flatMap((c) => adaptedPairs(referencedPairs(task.pairs(c).test, b), b)));
  const scratch = scratchCurves(records, adaptedAll, curve, cap);
  const bySize = adaptCurvesByPrefix(records, curve);

  // Adaptation of the main run (prefix "").
  const main = bySize.get("") ?? [];
  const costs = adaptationCosts([...scratch, ...main], refs, opts);
  const pre = pretrainingOf(records, "");
  const byVariant = summariseCosts(costs, cap);
  const avg = (v: string) => byVariant.find((x) => x.variant === v)?.episodes.mean;
  const spJson: SpeedupOf = (fast, slow) => speedupJson(costs, fast, slow, cap);

  // A/B
  const ab = [...records.values()].filter((r) => r.kind === "ab").map((r) => r.result as AbResult);
  const served = abDrops(ab, refs);
  const sweep = poolSizes ? sweepSummary(poolSizes, records, scratch, bySize, refs, opts) : null;
  // Controls on the pool (pool-tests.ts) and each pretraining's health there (pretrain-health.ts).
  const pool = poolDropSummary(served.allServed, poolRefs, POOL_REFERENCE, dropJson);
  const health = pretrainingHealth(served.allServed, pool.drops, poolRefs, pretrainingsOf(records, ""), served.drops);
  const ruledJson = (p: string) => {
    const r = ruled.get(p);
    return r && ruledReferenceJson(r);
  };

  return {
    /** Which learning curve convergence used (RlTask.convergenceCurve). */
    convergence_curve: task.convergenceCurve ?? "training",
    adaptation_speedup_vs_tl: spJson("flash", "tl"),
    adaptation_speedup_vs_scratch: spJson("flash", "scratch"),
    /** Against the paper's TL (the agent trained on one previously seen pair, then fine-tuned); paired ratios as vs TL. */
    adaptation_speedup_vs_tl_paper: spJson("flash", "tl-paper"),
    reward_drop: served.rewardDrop,
    /** The paper's definition, 1 - R / R_ref (rewardDrop with a zero baseline): comparable with the paper's numbers for positive rewards only. */
    reward_drop_paper: served.rewardDropPaper,
    reward_drop_pool: pool.json,
    pretraining_health: health,
    replicate_pairs: replicatePairsJson(task, cfgs, served.served),
    controls: controlsSummary(task, cfgs, ab, served.dropOf, spJson, pool, served.drops),
    baselines: baselineSummaries(records, refs, task.baselineLabels, testPairs),
    updates: updateSummary(
      served.allServed.filter((s) => s.scenario !== undefined),
      refs,
      ruledJson,
    ),
    operations: operationsSummary(served.served, records, testPairs, task.metricLabels),
    adaptation: {
      cap,
      window: b.window,
      tolerance: b.tolerance,
      by_variant: byVariant.map(variantCostJson),
      costs,
      curves: normalisedCurves([...scratch, ...main], refs, cap),
    },
    pretraining: Object.fromEntries(Object.entries(pre).map(([v, p]) => [v, { episodes: p.episodes, seconds: mc(p.seconds) }])),
    amortisation: amortisationOf(pre, avg, Math.max(50, task.pairs(cfg).test.length * 4), true),
    similarity: similarityPoints(ab, served.drops, costs),
    /** The new pairs' references (the updated pairs' are in `updates.references`). */
    references: [...ruled.values()].filter((x) => testPairs.has(x.rl.pair)).map(ruledReferenceJson),
    reference_rule: referenceRuleJson(task, cfg, records, ruled, weakReferenceTests(served.served, ruled), {
      reward_drop: rlOnlyDrops(served.served, rlRefs),
      adaptation_speedup_vs_tl: speedupJson(adaptationCosts([...scratch, ...main], rlRefs, opts), "flash", "tl", cap),
    }),
    /** References of pairs without an RL reference: new pairs served only, and pool pairs. */
    fixed_references: [...[...fixedNew.values()].map((r) => fixedReferenceJson(r, "new")), ...[...poolRefs.values()].map((r) => fixedReferenceJson(r, "pool"))],
    room: summariseRoom(task, cfgs, records),
    /** Profiles that train references to a plateau (budgets.referenceCap): how many stopped there and how many at the cap (plateau.ts). */
    reference_training: referenceTraining(
      [...records.values()].filter((r) => r.kind === "reference").map((r) => r.result as ReferenceResult),
      b,
    ),
    sweep,
    /** Sweep only: per metric, the pool-size effect and the replicates it would need for non-overlapping intervals (pool-sweep.ts). */
    sweep_power: sweep ? poolEffects(sweep, testPairs.size) : null,
  };
}

/** Main A/B tests on a pair whose RL reference did not reach the best non-learning policy. */
function weakReferenceTests(served: readonly ServedSample[], ruled: ReadonlyMap<string, RuledReference>): number {
  return served.filter((s) => ruled.get(s.pair)?.reached === false).length;
}

/** The served agents' drops against the RL references alone (the numbers before the reference rule). */
function rlOnlyDrops(served: readonly ServedSample[], rlRefs: ReadonlyMap<string, PairReference>) {
  // Tests on pairs with an RL reference (a new pair served only has none).
  const d = drops(
    served.filter((s) => rlRefs.has(s.pair)),
    rlRefs,
  );
  const of = (v: string) => mc(d.drops.filter((x) => x.variant === v).map((x) => x.drop));
  return { flash: of("flash"), original: of("original"), tl: of("tl"), tl_paper: of("tl-paper"), excluded: d.excluded.length };
}

/**
 * The controls (controls.ts; served variants of rl-flash-kit.ts): the oracle context
 * (drop, and speedup of the oracle agent over both TLs: if it does not beat TL, no
 * embedding can), FLASH served with another pool pair's embedding, with the zero vector,
 * and with the earlier serve protocol, and the embedding probe's leave-one-out R^2 per
 * replicate (pool pairs' and new pairs' embeddings against `RlTask.oracle`).
 */
function controlsSummary(
  task: RlTask,
  cfgs: readonly Cfg[],
  ab: readonly AbResult[],
  dropOf: (v: string) => LevelsJson | null,
  sp: (fast: string, slow: string) => SpeedupJson | null,
  pool: ReturnType<typeof poolDropSummary>,
  newDrops: readonly DropSample[],
) {
  const probes: number[] = [];
  if (task.oracle) {
    for (const [i, a] of ab.entries()) {
      const cfg = cfgs[a.samples[0]?.replicate ?? i] ?? cfgs[0];
      const emb = { ...a.poolEmbeddings, ...a.testEmbeddings };
      const ids = Object.keys(emb).sort();
      if (ids.length < 4) continue;
      const truth = ids.map((p) => (task.oracle as NonNullable<RlTask["oracle"]>)(cfg, p));
      // Only parameters that vary over the pool: the meta learner never saw the others vary.
      const pool = ids.map((p, i) => (p in a.poolEmbeddings ? truth[i] : undefined)).filter((x): x is number[] => x !== undefined);
      const varying = truth[0].map((_, j) => pool.some((x) => Math.abs(x[j] - pool[0][j]) > 1e-12));
      const r2 = probeR2(
        ids.map((p) => emb[p]),
        truth.map((x) => x.filter((_, j) => varying[j])),
      );
      if (r2 !== null) probes.push(r2);
    }
  }
  return {
    oracle: task.oracle
      ? {
          reward_drop: dropOf("oracle"),
          reward_drop_pool: pool.of("oracle"),
          speedup_vs_tl: sp("oracle", "tl"),
          speedup_vs_tl_paper: sp("oracle", "tl-paper"),
          flash_speedup_vs_oracle: sp("flash", "oracle"),
        }
      : null,
    shuffled: { reward_drop: dropOf("shuffled"), reward_drop_pool: pool.of("shuffled") },
    zero: { reward_drop: dropOf("flash-zero") },
    /** FLASH with the earlier serve protocol (deterministic context, first episode with the zero vector). */
    before: { reward_drop: dropOf("flash-before") },
    /** Which finding holds: "cannot condition" (no better than TL on pool pairs) or "cannot generalise" (better there, not on new pairs). */
    conditioning: pool.json
      ? {
          by_variant: ["flash", ...(task.oracle ? ["oracle"] : [])].map((v) => conditioningFinding(v, pool.drops, newDrops)),
          flash_minus_shuffled_pool: pairedDifference(pool.drops, "flash", "shuffled"),
        }
      : null,
    probe_r2: mc(probes),
    probe_r2_by_replicate: probes,
  };
}

export type { RlSummary } from "../runner/results.js";
