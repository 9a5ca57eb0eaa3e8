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
import { DataError } from "../../errors.js";
import { similarity, nearestPairs } from "../../flash/similarity.js";
import { meanCi95, meanCiJson } from "../stats.js";
import type { ExecutorName } from "../runner/executors.js";
import type { UnitRecord } from "../runner/pool.js";
import { deriveSeed, type PlannedUnit, type Unit, type UnitContext } from "../runner/units.js";
import { rlTask } from "../tasks/index.js";
import type { AdaptResult, PretrainResult, PretrainVariant, ReferenceResult, RlTask, ServeResult, ServeVariant, UpdatePair } from "../tasks/types.js";
import { adaptationCosts, speedup, summariseCosts, type CostSample, type Curve } from "./adaptation.js";
import { amortisation } from "./amortisation.js";
import { probeR2 } from "./controls.js";
import { drops, paperDrop, type DropSample, type PairReference, type ServedSample } from "./reward-drop.js";
import type { AmortisationJson, BaselineJson, DropJson, ReferenceJson, RlSummary, SpeedupJson, SweepPointJson } from "../runner/results.js";
import { correlation } from "./similarity.js";
import { executeSweepServe, poolEffects, sweepServeUnit, sweepSizeExtras, type SweepServeInput } from "./pool-sweep.js";

/** This module's name in the executor registry (runner/executors.ts). */
export const RL_EXECUTOR: ExecutorName = "rl-protocols@1";

type Cfg = Record<string, unknown>;

interface Base {
  task: string;
  cfg: Cfg;
  replicate: number;
}
type UnitInput =
  | (Base & { kind: "reference"; pair: string; envSeed?: number })
  | (Base & { kind: "pretrain"; variant: PretrainVariant; pool: string[] })
  | (Base & { kind: "adapt"; variant: PretrainVariant; pair: string; pretrain: string; envSeed?: number })
  | (Base & { kind: "ab"; test: string[]; refs: Record<string, string>; pretrain: Partial<Record<PretrainVariant, string>>; updates?: UpdatePair[] })
  | SweepServeInput;

/** The pretrained variants of a reproduction: the paper's TL and the oracle control only there (a sweep: FLASH and TL). */
export function pretrainVariants(task: Pick<RlTask, "oracle">, sweep: boolean): PretrainVariant[] {
  return sweep ? ["flash", "tl"] : ["flash", "tl", "tl-paper", ...(task.oracle ? (["oracle"] as const) : [])];
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

/** The units of `flash reproduce` (poolSizes undefined) or of a sweep over pool sizes; `runSeed` makes the shared environment seeds. */
export function planRl(task: RlTask, taskName: string, cfg: Cfg, replicates: number, poolSizes?: number[], runSeed = 0): Unit[] {
  const b = task.budgets(cfg);
  const units: Unit[] = [];
  const { test } = task.pairs(cfg);
  // The update experiment belongs to the A/B test, which a sweep does not run.
  const updates = poolSizes ? [] : (task.updates?.(cfg) ?? []);
  const flashCost = 3; // relative wall time of a FLASH episode (meta learner); only for the ETA
  for (let k = 0; k < replicates; k++) {
    const refs: Record<string, string> = {};
    for (const pair of test) {
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
    // Updated pairs' references: the drop's scale on them; trained once, they serve every replicate.
    if (k === 0)
      for (const u of updates)
        units.push({
          id: `ref/${u.pair}/r0`,
          kind: "reference",
          deps: [],
          cost: b.referenceEpisodes,
          input: { kind: "reference", task: taskName, cfg, replicate: 0, pair: u.pair },
        });
    for (const size of poolSizes ?? [undefined]) {
      const prefix = size === undefined ? "" : `P${size}/`;
      const pool = task.pairs(cfg, size).pool;
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
          cost: b.pretrainEpisodes * (v === "flash" ? flashCost : 1),
          input: { kind: "pretrain", task: taskName, cfg, replicate: k, variant: v, pool: from },
        });
        for (const pair of test) {
          const input = { kind: "adapt", task: taskName, cfg, replicate: k, variant: v, pair, pretrain: id, envSeed: envSeedOf(runSeed, pair, k) };
          units.push({ id: `${prefix}adapt/${v}/${pair}/r${k}`, kind: "adapt", deps: [id], cost: b.adaptEpisodes * (v === "flash" ? 1.5 : 1), input });
        }
      }
      // A sweep serves FLASH and TL per size (pool-sweep.ts); the reproduction runs the whole A/B test.
      if (size !== undefined) units.push(sweepServeUnit(prefix, k, taskName, cfg, test, refs, pre, b));
      if (size === undefined) {
        units.push({
          id: `ab/r${k}`,
          kind: "ab",
          deps: [...Object.values(refs), ...(Object.values(pre) as string[])],
          cost:
            (b.evalEpisodes + b.embedEpisodes) * (test.length * (b.abTargets + 2 + Object.keys(pre).length + FLASH_CONTROLS.length) + updates.length * 3) * 0.1,
          input: { kind: "ab", task: taskName, cfg, replicate: k, test, refs, pretrain: pre, ...(updates.length ? { updates } : {}) },
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
      const targets = (i: number) => Array.from({ length: Math.min(b.abTargets, test.length - 1) }, (_, j) => test[(i + 1 + j) % test.length]);
      const served = servedVariants(inp.pretrain);
      const steps = test.length + served.length;
      for (const [i, from] of test.entries()) {
        ctx.progress(i / steps, `original agent of ${from}`);
        // Its A/B targets (other new pairs) and the updated versions of its own pair.
        const t = [...targets(i), ...updates.filter((u) => u.from === from).map((u) => u.pair)];
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
        ctx.progress((test.length + j) / steps, v);
        // The controls serve the main test only; the update experiment compares the agents.
        const pairs = FLASH_CONTROLS.includes(v) ? test : [...test, ...updates.map((u) => u.pair)];
        const res: ServeResult[] = await task.serve(cfg, { variant: v, modelDir: ctx.depDirs[model], pairs, seed: unit.seed, workDir: ctx.workDir });
        for (const r of res) {
          samples.push(sample(v, r));
          // Similarity reads the embeddings of FLASH's own context (the kind pretraining saw).
          if (v === "flash" && r.embedding) embeddings[r.pair] = r.embedding;
        }
      }
      const pool = await task.poolEmbeddings(cfg, ctx.depDirs[inp.pretrain.flash as string], ctx.workDir);
      return { samples, testEmbeddings: embeddings, poolEmbeddings: pool };
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

/** The pair and replicate of a reference unit id `ref/<pair>/r<k>` (pair ids may hold "/"). */
function refUnit(id: string): { pair: string; replicate: number } {
  return { pair: id.split("/").slice(1, -1).join("/"), replicate: Number(id.slice(id.lastIndexOf("/r") + 2)) };
}

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
const dropJson = (s: DropSample): DropJson => servedJson(s);
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

/** Reward (and drop) of each variant on the updated pairs, per scenario and over all of them. */
export function updateSummary(samples: readonly ServedSample[], refs: ReadonlyMap<string, PairReference>) {
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
    references: [...new Set(samples.map((s) => s.pair))]
      .map((p) => refs.get(p))
      .filter((x): x is PairReference => x !== undefined)
      .map(referenceJson),
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

const speedupJson = (costs: Parameters<typeof speedup>[0], fast: string, slow: string): SpeedupJson | null => {
  const s = speedup(costs, fast, slow);
  return s ? { ...meanCiJson(s.meanRatio), ratio_of_means: s.ratioOfMeans, capped: s.capped } : null;
};

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

/** Amortisation of FLASH, TL and scratch from pretraining episodes and mean adaptation episodes (null without FLASH or TL). */
function amortisationOf(
  pre: Record<string, { episodes: number }>,
  adaptMean: (v: string) => number | undefined,
  maxN: number,
  needMeans: boolean,
): AmortisationJson[] | null {
  if (!pre.flash || !pre.tl) return null;
  if (needMeans && ["flash", "tl", "scratch"].some((v) => adaptMean(v) === undefined)) return null;
  const at = (v: string) => adaptMean(v) ?? NaN;
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
    const byV = summariseCosts(cs);
    return {
      pool_size: n,
      ...sweepSizeExtras(records, pfx, cs, refs),
      adaptation: byV.map((x) => ({ variant: x.variant, episodes: meanCiJson(x.episodes), converged_fraction: x.convergedFraction })),
      speedup_vs_tl: speedupJson(cs, "flash", "tl"),
      pretrain_episodes: { flash: p.flash?.episodes ?? null, tl: p.tl?.episodes ?? null },
      amortisation: amortisationOf(p, (v) => byV.find((x) => x.variant === v)?.episodes.mean, 40, false),
    };
  });
}

/** The served agents of the main A/B test: drops (the harness's and the paper's definition) and the reward_drop block. */
function abDrops(ab: readonly AbResult[], refs: ReadonlyMap<string, PairReference>) {
  const allServed = ab.flatMap((a) => a.samples);
  const served = allServed.filter((s) => s.scenario === undefined);
  const d = drops(served, refs);
  const dropOf = (v: string) => d.drops.filter((x) => x.variant === v).map((x) => x.drop);
  const paper = served.map((x) => ({ ...x, drop: paperDrop(x.reward, (refs.get(x.pair) as PairReference).evalReturn) })).filter((x) => Number.isFinite(x.drop));
  const paperOf = (v: string) => paper.filter((x) => x.variant === v).map((x) => x.drop);
  const rewardDrop: RlSummary["reward_drop"] = {
    flash: mc(dropOf("flash")),
    original: mc(dropOf("original")),
    tl: mc(dropOf("tl")),
    tl_paper: mc(dropOf("tl-paper")),
    excluded: d.excluded.length,
    samples: d.drops.map(dropJson),
    served: served.map((x) => servedJson(x)),
  };
  const rewardDropPaper = Object.fromEntries(["flash", "tl", "tl-paper", "original", "oracle", "shuffled"].map((v) => [v.replace("-", "_"), mc(paperOf(v))]));
  return { allServed, served, drops: d.drops, dropOf, rewardDrop, rewardDropPaper };
}

/** Every number of results.json from the finished units of a reproduce or sweep run. */
export function summarise(task: RlTask, cfg: Cfg, records: ReadonlyMap<string, UnitRecord>, poolSizes?: number[]): RlSummary {
  const b = task.budgets(cfg);
  const curve = curveOf(task);
  const refs = pairReferences(records, b.window, curve);
  const cap = b.adaptEpisodes;
  const opts: AdaptOptions = { cap, window: b.window, tolerance: b.tolerance };
  const testPairs = new Set(task.pairs(cfg).test);
  const scratch = scratchCurves(records, testPairs, curve, cap);
  const bySize = adaptCurvesByPrefix(records, curve);

  // Adaptation of the main run (prefix "").
  const main = bySize.get("") ?? [];
  const costs = adaptationCosts([...scratch, ...main], refs, opts);
  const pre = pretrainingOf(records, "");
  const byVariant = summariseCosts(costs);
  const avg = (v: string) => byVariant.find((x) => x.variant === v)?.episodes.mean;
  const spJson: SpeedupOf = (fast, slow) => speedupJson(costs, fast, slow);

  // A/B
  const ab = [...records.values()].filter((r) => r.kind === "ab").map((r) => r.result as AbResult);
  const served = abDrops(ab, refs);
  const sweep = poolSizes ? sweepSummary(poolSizes, records, scratch, bySize, refs, opts) : null;

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
    controls: controlsSummary(task, cfg, ab, served.dropOf, spJson),
    baselines: baselineSummaries(records, refs, task.baselineLabels, testPairs),
    updates: updateSummary(
      served.allServed.filter((s) => s.scenario !== undefined),
      refs,
    ),
    operations: operationsSummary(served.served, records, testPairs, task.metricLabels),
    adaptation: {
      cap,
      window: b.window,
      tolerance: b.tolerance,
      by_variant: byVariant.map((x) => ({ variant: x.variant, episodes: meanCiJson(x.episodes), converged_fraction: x.convergedFraction, n: x.n })),
      costs,
      curves: normalisedCurves([...scratch, ...main], refs, cap),
    },
    pretraining: Object.fromEntries(Object.entries(pre).map(([v, p]) => [v, { episodes: p.episodes, seconds: mc(p.seconds) }])),
    amortisation: amortisationOf(pre, avg, Math.max(20, task.pairs(cfg).test.length * 4), true),
    similarity: similarityPoints(ab, served.drops, costs),
    /** The new pairs' references (the updated pairs' are in `updates.references`). */
    references: [...refs.values()].filter((x) => testPairs.has(x.pair)).map(referenceJson),
    sweep,
    /** Sweep only: per metric, the pool-size effect and the replicates it would need for non-overlapping intervals (pool-sweep.ts). */
    sweep_power: sweep ? poolEffects(sweep, testPairs.size) : null,
  };
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
  cfg: Cfg,
  ab: readonly AbResult[],
  dropOf: (v: string) => number[],
  sp: (fast: string, slow: string) => SpeedupJson | null,
) {
  const probes: number[] = [];
  if (task.oracle) {
    for (const a of ab) {
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
          reward_drop: mc(dropOf("oracle")),
          speedup_vs_tl: sp("oracle", "tl"),
          speedup_vs_tl_paper: sp("oracle", "tl-paper"),
          flash_speedup_vs_oracle: sp("flash", "oracle"),
        }
      : null,
    shuffled: { reward_drop: mc(dropOf("shuffled")) },
    zero: { reward_drop: mc(dropOf("flash-zero")) },
    /** FLASH with the earlier serve protocol (deterministic context, first episode with the zero vector). */
    before: { reward_drop: mc(dropOf("flash-before")) },
    probe_r2: mc(probes),
    probe_r2_by_replicate: probes,
  };
}

export type { RlSummary } from "../runner/results.js";
