/**
 * Splits at the paper's scale (issue 27): Sizeless and FLASH-Sizeless pretrained on a
 * pool of generated applications (envs/rcs/generate.ts, drawn from the segment model
 * fitted to the real serverless data), tested on
 *
 *   gen-new   (a) new generated applications (another stream of the generator);
 *   gen-real  (b) the real applications (generated -> real);
 *   gen-loao  (c) real applications left out, the rest of the real ones added to the pool:
 *             fold i holds out its applications, and the segment model behind that fold's
 *             pool is refitted without them (so nothing of a held-out application reaches
 *             its training data). `folds` = the number of real applications is
 *             leave-one-application-out.
 *
 * Iteration i draws its own pool (seed `<seed>/pool/<i>`), so the intervals cover the
 * pool's draw as well as the models' initialisation. In (b) the pool's model is fitted to
 * all the real data: the generator's few global numbers (platform, paging, noise, runtime
 * working sets) have seen the test applications, their curves have not been trained on.
 */
import { Rng } from "../../flash/rng.js";
import { fitSegmentModel, generateDataset, RcsDataError, type RcsDataset, type RcsWorkload, type SegmentModel } from "../../envs/rcs/index.js";
import { restrictEvaluation, type EvaluationResult, type SplitPlan } from "./protocol.js";

export interface GeneratedSplitOptions {
  /** Generated applications in each iteration's training pool. */
  pool: number;
  seed: number | string;
  /** Invocations per memory size of a generated application (default: the generator's). */
  invocations?: number;
}

/** What a generated plan tested on, by workload id (selection accuracy needs the whole workloads). */
export interface GeneratedPlan extends SplitPlan {
  tested: Map<string, RcsWorkload>;
}

function pool(model: SegmentModel, o: GeneratedSplitOptions, i: number): RcsWorkload[] {
  return generateDataset(model, { apps: o.pool, seed: `${o.seed}/pool/${i}`, invocations: o.invocations }).workloads;
}

function remember(plan: GeneratedPlan, test: readonly RcsWorkload[]): void {
  for (const w of test) plan.tested.set(w.id, w);
}

/**
 * (a) and (b) from one training per iteration: train on iteration i's pool, test on `test`
 * new generated applications (indices after every pool's, distinct per iteration) and on
 * every real application; `splitPoolEvaluation` scores the two test sets apart.
 */
export function generatedPoolPlan(real: RcsDataset, model: SegmentModel, o: GeneratedSplitOptions & { test: number }): GeneratedPlan {
  const plan: GeneratedPlan = {
    name: "gen-pool",
    description: `train on ${o.pool} generated applications (a new pool per iteration); test on ${o.test} new generated applications and on the real ones`,
    dataset: real,
    tested: new Map(),
    draw: (i) => {
      const fresh = generateDataset(model, {
        apps: o.test,
        seed: `${o.seed}/test/${i}`,
        firstIndex: o.pool + i * o.test,
        invocations: o.invocations,
      }).workloads;
      const test = [...fresh, ...real.workloads];
      remember(plan, test);
      return { name: "gen-pool", train: pool(model, o, i), test };
    },
  };
  return plan;
}

/** The pool plan's evaluation as (a) gen-new and (b) gen-real. */
export function splitPoolEvaluation(
  r: EvaluationResult,
  real: RcsDataset,
  o: { pool: number; test: number },
): { "gen-new": EvaluationResult; "gen-real": EvaluationResult } {
  const isReal = new Set(real.workloads.map((w) => w.id));
  const apps = new Set(real.workloads.map((w) => w.app)).size;
  return {
    "gen-new": restrictEvaluation(r, (w) => !isReal.has(w), {
      name: "gen-new",
      description: `train on ${o.pool} generated applications, test on ${o.test} new generated applications (a new pool and test set per iteration)`,
    }),
    "gen-real": restrictEvaluation(r, (w) => isReal.has(w), {
      name: "gen-real",
      description: `train on ${o.pool} generated applications (a new pool per iteration), test on the ${apps} real applications`,
    }),
  };
}

/** The real applications in `folds` seeded groups (every application in exactly one). */
export function realFolds(real: RcsDataset, folds: number, seed: number | string): string[][] {
  const apps = [...new Set(real.workloads.map((w) => w.app))].sort();
  if (!Number.isInteger(folds) || folds < 2 || folds > apps.length)
    throw new RcsDataError(`gen-loao: folds must be an integer in 2..${apps.length} (the real applications), got ${folds}`);
  new Rng(seed).fork("gen-loao-folds").shuffle(apps);
  return Array.from({ length: folds }, (_, f) => apps.filter((_, k) => k % folds === f));
}

/** (c) gen-loao: iteration i holds out fold i mod folds; its pool comes from the segment model refitted without that fold. */
export function generatedLeaveRealOutPlan(real: RcsDataset, o: GeneratedSplitOptions & { folds: number }): GeneratedPlan {
  const folds = realFolds(real, o.folds, o.seed);
  const plan: GeneratedPlan = {
    name: "gen-loao",
    description:
      `train on ${o.pool} generated applications (segment model refitted without the held-out ones) plus the other real applications, ` +
      `test on the held-out real applications (${o.folds} folds${o.folds === folds.flat().length ? ": leave one application out" : ""})`,
    dataset: real,
    tested: new Map(),
    draw: (i) => {
      const held = new Set(folds[i % folds.length]);
      const { model } = fitSegmentModel(real, { excludeApps: held });
      const test = real.workloads.filter((w) => held.has(w.app));
      remember(plan, test);
      return { name: `gen-loao:${i % folds.length}`, train: [...pool(model, o, i), ...real.workloads.filter((w) => !held.has(w.app))], test };
    },
  };
  return plan;
}
