/**
 * `flash reproduce rcs`: the fit of the segment model, and every split on the real data
 * and at the paper's scale; writes out/report.md, out/results.json and one folder per split.
 *
 *   fit          the segment model's fit report (fit-report.ts) in out/fit/
 *   a, b         real serverless: 50/50 by application; the real data's synthetic -> its real apps
 *   c-workloads, c-providers   multi-cloud: 50/50 by task; leave one cloud out
 *   gen-new, gen-real          pretrained on a generated pool (profile's `generated.pool`), tested on
 *                new generated applications and on the real ones (one training serves both)
 *   gen-loao     the pool plus the other real applications, tested on held-out real ones
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { fitSegmentModel, loadMultiCloud, loadServerless, saveSegmentModel, type RcsDataset } from "../../envs/rcs/index.js";
import { UsageError } from "../args.js";
import { rcsDataFolders, rcsSplits } from "./data.js";
import { controlsJson } from "./controls.js";
import { generatedLeaveRealOutPlan, generatedPoolPlan, splitPoolEvaluation, type GeneratedPlan } from "./generated-splits.js";
import { PROFILES, modelConfig, type Profile } from "./command.js";
import { evaluatePlan, halfSplitPlan, providerPlan, resultsJson, syntheticToRealPlan, type EvaluationResult, type SplitPlan } from "./protocol.js";
import { DEFAULT_ALPHA, selectionAccuracy } from "./recommend.js";
import { evaluationMarkdown, writeEvaluation } from "./report.js";
import { fitReportMarkdown, segmentFitReport } from "./fit-report.js";
import { writeFitReport } from "./segment-commands.js";

export interface ReproduceRcsOptions {
  /** `--data`: dataset names or folders, comma-separated (data.ts); null or absent: both of the repository's datasets. */
  data?: string | null;
  profile: Profile;
  out: string;
  /** Iterations per split (default by profile; gen-loao: one per fold). */
  iterations?: number;
  epochs?: number;
  seed?: number;
  backend?: string;
  /** Subset of data.ts's RCS_SPLITS (default: every split the data allows). */
  splits?: string[];
  /** Generated applications per pool (default by profile). */
  pool?: number;
  /** Run the controls beside the methods (default true; experiments/rcs/controls.ts). */
  controls?: boolean;
  log?: (msg: string) => void;
}

const PAPER: Record<string, string> = {
  a: "FLASH's testing MAPE at least 50% below Sizeless at every shot count (paper: 87-90% on the Sizeless data, 49-57% on its OpenWhisk data).",
  b: "FLASH's testing MAPE at least 50% below Sizeless at every shot count.",
  "c-workloads": "FLASH at least 34-52% below Sizeless, FLASH MAPE at or below 0.649 / 0.424 / 0.497 (1/2/3-shot, CloudBandit column of Table 2).",
  "c-providers": "as c-workloads (the paper's CloudBandit column is across environments).",
  "gen-new": "the paper's setting (Appendix A.2: pretrained on 1,000 generated applications, tested on new ones): 87-90% below Sizeless.",
  "gen-real": "FLASH's testing MAPE at least 50% below Sizeless (paper: 87-90% on the Sizeless data).",
  "gen-loao": "FLASH's testing MAPE at least 50% below Sizeless (paper: 87-90% on the Sizeless data).",
};

const defaultLog = (msg: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${msg}`);

/** One evaluation run that yields one or more split results, and the dataset selection accuracy reads its test workloads from. */
interface Job {
  keys: string[];
  iterations: number;
  plan: () => SplitPlan;
  results: (r: EvaluationResult) => Record<string, EvaluationResult>;
  tested: (plan: SplitPlan) => RcsDataset;
}

/** The dataset of what a generated plan tested (for selection accuracy). */
const testedDataset = (real: RcsDataset) => (plan: SplitPlan) => ({ ...real, workloads: [...(plan as GeneratedPlan).tested.values()] });

const pct = (m: { mean: number; ci95: number | null } | undefined) =>
  m ? `${(100 * m.mean).toFixed(0)}%${m.ci95 === null ? "" : ` ± ${(100 * m.ci95).toFixed(0)}%`}` : "—";

/** One row per split: training size, Sizeless and FLASH, and how far below Sizeless FLASH and the controls are. */
export function scaleTable(results: Record<string, EvaluationResult>): string[] {
  const rows = Object.entries(results).map(([key, r]) => {
    type ByShots = Record<string, { mean: number; ci95: number | null }> | null | undefined;
    const c = controlsJson(r);
    const belowOf = (name: string): ByShots =>
      name === "flash" ? (c?.flash_below_sizeless as ByShots) : (c?.[name] as { below_sizeless: ByShots } | undefined)?.below_sizeless;
    const shots = r.shots.map(String);
    const mapes = (m: string) => shots.map((s) => r.summary[m]?.[s]?.mean.toFixed(3) ?? "—").join(" / ");
    const below = (name: string) => (c ? shots.map((s) => pct(belowOf(name)?.[s])).join(" / ") : "—");
    const train = r.iterations.map((it) => it.trainWorkloads);
    return `| ${key} | ${Math.min(...train)}${Math.max(...train) > Math.min(...train) ? `-${Math.max(...train)}` : ""} | ${mapes("sizeless")} | ${mapes("flash")} | ${below("flash")} | ${below("oracle")} | ${below("shuffled")} | ${below("zero")} |`;
  });
  return [
    "| split | training workloads | Sizeless MAPE (1/2/3-shot) | FLASH MAPE | FLASH below Sizeless | oracle below Sizeless | shuffled below Sizeless | zero below Sizeless |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  ];
}

/** `flash reproduce rcs` (see the module comment). */
export async function reproduceRcs(o: ReproduceRcsOptions): Promise<Record<string, EvaluationResult>> {
  const b = await selectBackend(o.backend);
  const say = o.log ?? defaultLog;
  const profile = PROFILES[o.profile];
  const iterations = o.iterations ?? profile.iterations;
  const model = modelConfig(o.profile, { epochs: o.epochs, seed: o.seed });
  const seed = o.seed ?? 0;
  const folders = rcsDataFolders(o.data ?? null);
  const want = new Set<string>(rcsSplits(folders, o.splits));
  const pool = o.pool ?? profile.generated.pool;
  if (!Number.isInteger(pool) || pool < 1) throw new UsageError(`--pool: expected a positive integer, got ${pool}`);
  const needServerless = [...want].some((s) => !s.startsWith("c-"));
  const serverless = needServerless ? loadServerless(folders.serverless!) : undefined;
  const cloud = want.has("c-workloads") || want.has("c-providers") ? loadMultiCloud(folders.multicloud!) : undefined;
  mkdirSync(o.out, { recursive: true });
  const t0 = performance.now();
  const md: string[] = [];
  if (want.has("fit")) {
    say("fit report: the segment model left one application out at a time, against naive and Sizeless");
    const fit = await segmentFitReport(serverless!, { shots: [1, 2, 3], model, seed, log: say });
    writeFitReport(path.join(o.out, "fit"), fit);
    md.push(fitReportMarkdown(fit).replace(/^# /, "## "), "");
  }
  const single = (key: string, its: number, plan: () => SplitPlan, ds: () => RcsDataset): Job => ({
    keys: [key],
    iterations: its,
    plan,
    results: (r) => ({ [key]: r }),
    tested: ds,
  });
  const jobs: Job[] = [];
  // The splits on the real data: key, iterations, plan, the dataset holding its test workloads.
  const realSplits: [string, number, () => SplitPlan, RcsDataset | undefined][] = [
    ["a", iterations, () => halfSplitPlan(serverless!, "a-serverless-apps"), serverless],
    ["b", iterations, () => syntheticToRealPlan(serverless!), serverless],
    ["c-workloads", iterations, () => halfSplitPlan(cloud!, "c-multicloud-workloads"), cloud],
    // At least one iteration per held-out provider.
    ["c-providers", Math.max(iterations, 3), () => providerPlan(cloud!), cloud],
  ];
  for (const [key, its, plan, ds] of realSplits) if (want.has(key)) jobs.push(single(key, its, plan, () => ds!));
  const gen = profile.generated;
  if (want.has("gen-new") || want.has("gen-real")) {
    const segModel = fitSegmentModel(serverless!).model;
    saveSegmentModel(path.join(o.out, "segment-model.json"), segModel);
    jobs.push({
      keys: ["gen-new", "gen-real"].filter((k) => want.has(k)),
      iterations,
      plan: () => generatedPoolPlan(serverless!, segModel, { pool, test: gen.test, seed }),
      results: (r) => splitPoolEvaluation(r, serverless!, { pool, test: gen.test }),
      tested: testedDataset(serverless!),
    });
  }
  if (want.has("gen-loao")) {
    const folds = gen.folds === "apps" ? new Set(serverless!.workloads.map((w) => w.app)).size : gen.folds;
    jobs.push(
      single(
        "gen-loao",
        folds,
        () => generatedLeaveRealOutPlan(serverless!, { pool, folds, seed }),
        () => serverless!,
      ),
    );
    jobs[jobs.length - 1].tested = testedDataset(serverless!);
  }
  const results: Record<string, EvaluationResult> = {};
  for (const [k, job] of jobs.entries()) {
    const plan = job.plan();
    const all = await evaluatePlan(plan, {
      shots: [1, 2, 3],
      iterations: job.iterations,
      model,
      seed,
      controls: o.controls ?? true,
      log: (m) => say(`split ${job.keys.join("+")} (${k + 1}/${jobs.length}) ${m}`),
    });
    for (const [key, r] of Object.entries(job.results(all))) {
      if (!job.keys.includes(key)) continue;
      results[key] = r;
      const ctx = {
        backend: b.name,
        profile: o.profile,
        settings: { iterations: job.iterations, ...(key.startsWith("gen") ? { pool } : {}), ...model },
        paperTargets: PAPER[key],
      };
      const dir = path.join(o.out, key);
      await writeEvaluation(dir, r, ctx);
      let acc: string;
      try {
        const sa = selectionAccuracy(r, job.tested(plan), DEFAULT_ALPHA);
        writeFileSync(path.join(dir, "selection.json"), JSON.stringify(sa, null, 2) + "\n");
        acc = sa.markdown;
      } catch (err) {
        acc = `selection accuracy not computed: ${(err as Error).message}`;
      }
      md.push(evaluationMarkdown(r, ctx, `${key}/ape-cdf`, "##"), acc, "");
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(
    path.join(o.out, "results.json"),
    JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, resultsJson(r)])), null, 2) + "\n",
  );
  const profileWords =
    o.profile === "quick"
      ? `quick: ${model.mlp.epochs} MLP epochs instead of 200, a ${model.encoder.layers}-layer BiGRU of ${model.encoder.hidden} units instead of 2 x 256, ` +
        `${iterations} iterations instead of 10, a generated pool of ${pool} instead of 1,000`
      : `paper settings, a generated pool of ${pool}`;
  const head = [
    "# Resource configuration search: FLASH-Sizeless (paper 5.1, Table 2)",
    "",
    `Profile \`${o.profile}\` (${profileWords}), backend \`${b.name}\`, data ${[folders.serverless, folders.multicloud]
      .filter((f) => f !== null)
      .map((f) => `\`${f}\``)
      .join(" and ")}, total wall time ${seconds.toFixed(0)} s.`,
    "MAPE is a fraction (0.21 = 21%). Methods: naive = time at the nearest measured base size; Sizeless = the Table 6 MLP; transfer learning = " +
      "Sizeless fine-tuned on the new workload's base pairs (identical to Sizeless at 1-shot: one base gives no labelled pair); FLASH = the MLP with " +
      "the meta learner's embedding of the base measurements; FLASH + fine-tune likewise. Controls (rows marked control; experiments/rcs/controls.ts): " +
      "the MLP reading the workload's true duration profile over every configuration (oracle) or the bases' measured profile (oracle of the context) " +
      "in place of the embedding, FLASH served with another application's embedding or the zero vector, and the embedding probe.",
    "",
    ...(Object.keys(results).length
      ? ["## Every split at a glance (below Sizeless: 1 - MAPE / Sizeless's MAPE per iteration, mean ± 95% CI)", "", ...scaleTable(results), ""]
      : []),
  ];
  writeFileSync(path.join(o.out, "report.md"), [...head, ...md].join("\n"));
  say(`wrote ${path.join(o.out, "report.md")} (${seconds.toFixed(0)} s)`);
  return results;
}
