/**
 * The RCS evaluation protocol (paper 5.1, Table 2), one implementation for every split.
 *
 * One *iteration*: draw the split (seeded), train every model on the training
 * workloads, then for each test workload and each shot count X draw X base points
 * (seeded by iteration, workload and X; the same for every method) and predict every
 * other point of the workload. Testing MAPE of an iteration = mean absolute percentage
 * error over all (test workload, target) rows. Reported: mean and 95% t-interval over
 * iterations (experiments/stats.ts). The paper runs ten iterations of five-fold
 * cross-validation; here each iteration is one random 50/50 split by application (all
 * variants of an app on one side), which is what the issue asks for.
 */
import { meanCi95, type MeanCi } from "../stats.js";
import { Rng } from "../../flash/rng.js";
import { filterEnvs, RcsDataError, workloadOracle, type RcsDataset, type RcsWorkload } from "../../envs/rcs/index.js";
import { METHODS, RcsModels, testQuery, type Method, type Predictor, type RcsModelConfig, type TrainingReport } from "./models.js";
import { CONTROLS, controlsJson, embeddingProbe, type Control } from "./controls.js";

export interface Split {
  name: string;
  train: RcsWorkload[];
  test: RcsWorkload[];
}

/** A named way to draw the train/test workloads of iteration i. */
export interface SplitPlan {
  name: string;
  description: string;
  /** Dataset whose metric/config names the models use. */
  dataset: RcsDataset;
  draw(iteration: number, rng: Rng): Split;
}

/** Apps in sorted order; a 50/50 split by app: floor(n/2) apps train, the rest test. */
export function splitByApp(workloads: readonly RcsWorkload[], rng: Rng): { train: RcsWorkload[]; test: RcsWorkload[] } {
  const apps = [...new Set(workloads.map((w) => w.app))].sort();
  if (apps.length < 2) throw new RcsDataError(`a split by application needs at least two apps, got ${apps.length}`);
  rng.shuffle(apps);
  const trainApps = new Set(apps.slice(0, Math.floor(apps.length / 2)));
  return { train: workloads.filter((w) => trainApps.has(w.app)), test: workloads.filter((w) => !trainApps.has(w.app)) };
}

/** (a), (c1): 50/50 split by application of one dataset. */
export function halfSplitPlan(ds: RcsDataset, name = "apps-50-50"): SplitPlan {
  return {
    name,
    description: `${ds.root}: random 50/50 split by application per iteration`,
    dataset: ds,
    draw: (_i, rng) => ({ name, ...splitByApp(ds.workloads, rng) }),
  };
}

/** `rcs evaluate`: train on one folder, test on the apps of another that the first lacks. */
export function twoFolderPlan(train: RcsDataset, test: RcsDataset, name = "train-test"): SplitPlan {
  if (train.layout !== test.layout) throw new RcsDataError(`--train is a ${train.layout} dataset but --test is ${test.layout}`);
  if (train.configNames.join() !== test.configNames.join())
    throw new RcsDataError(`configurations differ: train has ${train.configNames.join(", ")}, test has ${test.configNames.join(", ")}`);
  const seen = new Set(train.workloads.map((w) => w.app));
  const unseen = test.workloads.filter((w) => !seen.has(w.app));
  if (unseen.length === 0) {
    if (train.root === test.root) return halfSplitPlan(train, name);
    throw new RcsDataError(`every app of ${test.root} is also in ${train.root}: no unseen app to evaluate`);
  }
  return {
    name,
    description: `train on ${train.root} (${train.workloads.length} workloads), test on the ${unseen.length} workloads of unseen apps in ${test.root}`,
    dataset: train,
    draw: () => ({ name, train: train.workloads, test: unseen }),
  };
}

/** (b): train on the synthetic apps, test on the real ones (fixed; iterations vary seeds). */
export function syntheticToRealPlan(ds: RcsDataset): SplitPlan {
  const train = ds.workloads.filter((w) => w.source === "synthetic");
  const test = ds.workloads.filter((w) => w.source !== "synthetic");
  if (!train.length || !test.length) throw new RcsDataError(`${ds.root}: split (b) needs synthetic and real (non-synthetic) apps`);
  return {
    name: "synthetic-to-real",
    description: "train on the synthetic apps, test on the real ones (FunctionBench, SeBS)",
    dataset: ds,
    draw: () => ({ name: "synthetic-to-real", train, test }),
  };
}

/** (c2): leave one provider out: train on the other clouds' configurations, test on its configurations. Iteration i holds out provider i mod 3. */
export function providerPlan(ds: RcsDataset): SplitPlan {
  const envs = [...new Set(ds.workloads.flatMap((w) => w.points.map((p) => p.env)))].sort();
  return {
    name: "across-providers",
    description: `train on two clouds, test on the third (iteration i holds out ${envs.join(", ")}[i mod ${envs.length}]); same workloads, new environment`,
    dataset: ds,
    draw: (i) => {
      const held = envs[i % envs.length];
      return {
        name: `across-providers:${held}`,
        train: filterEnvs(
          ds,
          envs.filter((e) => e !== held),
        ).workloads,
        test: filterEnvs(ds, [held]).workloads,
      };
    },
  };
}

export interface EvaluateOptions {
  shots: number[];
  iterations: number;
  methods?: readonly Method[];
  model: RcsModelConfig;
  seed: number;
  log?: (msg: string) => void;
  /** Seconds between two progress lines while testing (default 15; 0: after every workload). */
  progressEvery?: number;
  /** Run the controls (experiments/rcs/controls.ts) beside the methods (default false). */
  controls?: boolean;
}

/** "1 min 05 s"-style durations for progress lines. */
export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const r = Math.max(0, Math.round(s));
  return r < 60
    ? `${r} s`
    : r < 3600
      ? `${Math.floor(r / 60)} min ${String(r % 60).padStart(2, "0")} s`
      : `${Math.floor(r / 3600)} h ${String(Math.floor((r % 3600) / 60)).padStart(2, "0")} min`;
}

export interface IterationResult {
  iteration: number;
  split: string;
  trainWorkloads: number;
  testWorkloads: number;
  training: TrainingReport;
  /** method (and control) -> shots -> testing MAPE (fraction). */
  mape: Record<string, Record<string, number>>;
  /** The embedding probe's leave-one-application-out R^2 (controls only; null when undefined). */
  probeR2?: number | null;
  seconds: number;
}

/** One row of absolute percentage error (fraction), kept for CDFs and recommendation. */
export interface PredictionRow {
  iteration: number;
  workload: string;
  shots: number;
  target: string;
  truth: number;
  pred: Partial<Record<Predictor, number>>;
}

export interface EvaluationResult {
  plan: { name: string; description: string };
  shots: number[];
  methods: Method[];
  /** Controls run beside the methods (empty without `EvaluateOptions.controls`). */
  controls: Control[];
  iterations: IterationResult[];
  /** method (and control) -> shots -> mean/CI of the per-iteration testing MAPE. */
  summary: Record<string, Record<string, MeanCi>>;
  trainSummary: Record<string, MeanCi>;
  rows: PredictionRow[];
  seconds: number;
}

/** Check before training that every test workload has enough points for the largest shot count. */
export function checkShots(test: readonly RcsWorkload[], shots: readonly number[]): void {
  const X = Math.max(...shots);
  for (const w of test) {
    if (w.points.length < X + 1) {
      throw new RcsDataError(
        `workload "${w.id}" (app "${w.app}") is measured at ${w.points.length} configuration(s); ${X}-shot needs ${X} base(s) plus 1 target`,
      );
    }
  }
}

export async function evaluatePlan(plan: SplitPlan, opts: EvaluateOptions): Promise<EvaluationResult> {
  const methods = [...(opts.methods ?? METHODS)];
  const controls: Control[] = opts.controls ? [...CONTROLS] : [];
  const predictors: Predictor[] = [...methods, ...controls];
  for (const s of opts.shots) if (!Number.isInteger(s) || s < 1) throw new RcsDataError(`shots: expected positive integers, got ${s}`);
  const t0 = performance.now();
  const iterations: IterationResult[] = [];
  const rows: PredictionRow[] = [];
  const root = new Rng(opts.seed).fork(plan.name);
  const every = (opts.progressEvery ?? 15) * 1000;
  const N = opts.iterations;
  const elapsed = () => (performance.now() - t0) / 1000;
  // ETA: the mean time of the finished iterations times those left; during the first, an
  // extrapolation of its training time plus its testing rate so far ("?" while training).
  const eta = (it: number, iterEstimate: number, inIter: number) => (Number.isFinite(iterEstimate) ? iterEstimate * (N - it) - inIter : NaN);
  const progress = (it: number, what: string, iterEstimate = NaN, inIter = 0) =>
    opts.log?.(`[${plan.name}] iteration ${it + 1}/${N}: ${what}; elapsed ${fmtSeconds(elapsed())}, ETA ${fmtSeconds(eta(it, iterEstimate, inIter))}`);
  for (let it = 0; it < opts.iterations; it++) {
    const ti = performance.now();
    const done = iterations.map((r) => r.seconds);
    const meanIter = done.length ? done.reduce((a, b) => a + b, 0) / done.length : NaN;
    const inIter = () => (performance.now() - ti) / 1000;
    const split = plan.draw(it, root.fork(`split/${it}`));
    checkShots(split.test, opts.shots);
    if (split.train.length === 0) throw new RcsDataError(`split ${split.name}: no training workload`);
    const models = new RcsModels(plan.dataset, { ...opts.model, seed: opts.seed * 1000 + it });
    // The oracle describes whole workloads: the dataset's, and the split's own where the plan reads two folders.
    const oracle = controls.length ? workloadOracle([...plan.dataset.workloads, ...split.train, ...split.test]) : undefined;
    if (oracle) models.enableControls(oracle);
    try {
      opts.log?.(`[${plan.name}] iteration ${it + 1}/${opts.iterations} (${split.name}): ${split.train.length} train / ${split.test.length} test workloads`);
      const training = await models.train(split.train, opts.log, (m) => progress(it, `training ${m}`, meanIter, inIter()));
      const tTrain = inIter();
      const ape: Record<string, Record<string, number[]>> = Object.fromEntries(
        predictors.map((m) => [m, Object.fromEntries(opts.shots.map((s) => [String(s), [] as number[]]))]),
      );
      let lastLine = performance.now();
      for (const [k, w] of split.test.entries()) {
        if (performance.now() - lastLine >= every) {
          lastLine = performance.now();
          const estimate = Number.isFinite(meanIter) ? meanIter : tTrain + ((inIter() - tTrain) * split.test.length) / k;
          progress(it, `testing ${methods.join(", ")} on workload ${k + 1}/${split.test.length}`, estimate, inIter());
        }
        for (const X of opts.shots) {
          // Nested base sets: the X-shot bases are the first X of one seeded permutation, so X+1 adds one measurement.
          const { query, truth } = testQuery(w, X, `${opts.seed}/${plan.name}/${it}/${w.id}`);
          const pred = await models.predict(query, predictors, `test/${it}/${w.id}/${X}`);
          query.targets.forEach((t, j) => {
            const row: PredictionRow = { iteration: it, workload: w.id, shots: X, target: t.key, truth: truth[j], pred: {} };
            for (const m of predictors) {
              const p = pred[m]![j];
              row.pred[m] = p;
              ape[m][String(X)].push(Math.abs(p - truth[j]) / truth[j]);
            }
            rows.push(row);
          });
        }
      }
      const mape = Object.fromEntries(predictors.map((m) => [m, Object.fromEntries(opts.shots.map((s) => [String(s), mean(ape[m][String(s)])]))]));
      const res: IterationResult = {
        iteration: it,
        split: split.name,
        trainWorkloads: split.train.length,
        testWorkloads: split.test.length,
        training,
        mape,
        ...(oracle ? { probeR2: embeddingProbe(models.pairs, (p) => models.embedding(p), oracle.profiles) } : {}),
        seconds: (performance.now() - ti) / 1000,
      };
      iterations.push(res);
      const perIter = [...done, res.seconds].reduce((a, b) => a + b, 0) / (done.length + 1);
      const mapes = predictors.map((m) => `${m} ${opts.shots.map((s) => mape[m][String(s)].toFixed(3)).join("/")}`).join(", ");
      opts.log?.(
        `[${plan.name}] iteration ${it + 1}/${N} done: ${mapes} (${res.seconds.toFixed(0)} s); ` +
          `elapsed ${fmtSeconds(elapsed())}, ETA ${fmtSeconds(perIter * (N - it - 1))}`,
      );
    } finally {
      models.dispose();
    }
  }
  return {
    plan: { name: plan.name, description: plan.description },
    shots: [...opts.shots],
    methods,
    controls,
    iterations,
    ...summaries(iterations, predictors, opts.shots),
    rows,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Mean and 95% CI over iterations of each predictor's testing MAPE and of the training MAPEs. */
function summaries(
  iterations: readonly IterationResult[],
  predictors: readonly Predictor[],
  shots: readonly number[],
): Pick<EvaluationResult, "summary" | "trainSummary"> {
  const summary = Object.fromEntries(
    predictors.map((m) => [m, Object.fromEntries(shots.map((s) => [String(s), meanCi95(iterations.map((r) => r.mape[m][String(s)]))]))]),
  );
  const trained = Object.keys(iterations[0]?.training.trainMape ?? {}) as (keyof TrainingReport["trainMape"])[];
  const trainSummary = Object.fromEntries(trained.map((m) => [m, meanCi95(iterations.map((r) => r.training.trainMape[m] as number))]));
  return { summary, trainSummary };
}

/**
 * The evaluation restricted to the test workloads `keep` accepts, as if only they had been
 * tested: per-iteration MAPE recomputed from the kept rows (the same mean over rows as
 * `evaluatePlan`), training and probe as they were (one training served both). Lets one
 * trained pool be scored on two test sets (generated-splits.ts: new generated and real).
 */
export function restrictEvaluation(r: EvaluationResult, keep: (workload: string) => boolean, plan: { name: string; description: string }): EvaluationResult {
  const predictors: Predictor[] = [...r.methods, ...r.controls];
  const rows = r.rows.filter((row) => keep(row.workload));
  const iterations = r.iterations.map((it) => {
    const mine = rows.filter((row) => row.iteration === it.iteration);
    if (!mine.length) throw new RcsDataError(`restrictEvaluation(${plan.name}): iteration ${it.iteration + 1} tested no kept workload`);
    const mape = Object.fromEntries(
      predictors.map((m) => [
        m,
        Object.fromEntries(
          r.shots.map((s) => {
            const at = mine.filter((row) => row.shots === s);
            return [String(s), mean(at.map((row) => Math.abs(row.pred[m]! - row.truth) / row.truth))];
          }),
        ),
      ]),
    );
    return { ...it, testWorkloads: new Set(mine.map((row) => row.workload)).size, mape };
  });
  return { ...r, plan, iterations, ...summaries(iterations, predictors, r.shots), rows };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * results.json: `{method: {shots: {mape_mean, mape_ci95}}}` (ci95 null with one iteration),
 * and with controls a `controls` block (controls.ts `controlsJson`: `{mean, ci95, n}` summaries).
 */
export function resultsJson(r: EvaluationResult): Record<string, unknown> {
  const controls = controlsJson(r);
  return { ...methodsJson(r), ...(controls ? { controls } : {}) };
}

function methodsJson(r: EvaluationResult): Record<string, Record<string, { mape_mean: number; mape_ci95: number | null }>> {
  return Object.fromEntries(
    r.methods.map((m) => [
      m,
      Object.fromEntries(
        r.shots.map((s) => [
          String(s),
          { mape_mean: r.summary[m][String(s)].mean, mape_ci95: Number.isNaN(r.summary[m][String(s)].ci95) ? null : r.summary[m][String(s)].ci95 },
        ]),
      ),
    ]),
  );
}
