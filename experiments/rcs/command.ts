/**
 * `flash rcs evaluate|train|recommend|fit|generate` (wired in experiments/cli.ts; `flash
 * reproduce rcs` is reproduce.ts).
 *
 *   flash rcs evaluate --train DATA --test DATA --shots 1,2,3 --seeds N --out DIR [--profile quick|full] [--epochs N]
 *   flash rcs train --data DATA --out MODEL_DIR [--profile ...]
 *   flash rcs recommend --model MODEL_DIR --function DIR [--runtime nodejs|python] [--alpha A] [--method flash]
 *   flash rcs fit --data DATA --out MODEL.json [--report DIR]
 *   flash rcs generate --apps N --seed S --out DIR (--model MODEL.json | --data DATA)
 *
 * DATA: a dataset name (serverless-functions, multi-cloud; data/README.md) or a folder in
 * either layout (envs/rcs/README.md); fit and generate read the serverless layout only.
 */
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { resolveDataset, type DatasetKind } from "../datasets.js";
import { loadRcsDataset } from "../../envs/rcs/index.js";
import { intOption, UsageError, type Command, type OptionSpec, type ParsedOptions } from "../args.js";
import { FULL_MODEL_CONFIG, METHODS, QUICK_MODEL_CONFIG, type Method, type RcsModelConfig } from "./models.js";
import { evaluatePlan, resultsJson, twoFolderPlan, type EvaluationResult } from "./protocol.js";
import { writeEvaluation } from "./report.js";
import { recommendCommand, trainCommand, DEFAULT_ALPHA } from "./recommend.js";
import { fitCommand, generateCommand } from "./segment-commands.js";

export type Profile = "quick" | "full";

/** The generated splits' sizes (experiments/rcs/generated-splits.ts): pool, new test applications, folds of the real ones ("apps": one per application). */
export interface GeneratedProfile {
  pool: number;
  test: number;
  folds: number | "apps";
}

/** Iterations and model settings per profile (every number is a parameter). */
export const PROFILES: Record<Profile, { iterations: number; model: RcsModelConfig; generated: GeneratedProfile }> = {
  // quick's gen-loao has 2 folds (not 4) to keep quick near 20 min on 2 cores: in the
  // 2026-12-06 run each gen-loao fold cost about as much CPU as one gen-new+gen-real
  // iteration (~3 min: Sizeless, FLASH and three oracle MLPs on ~6,000 rows), the
  // single largest part of quick (docs/results/2026-12-06-rcs-scale.md).
  quick: { iterations: 2, model: QUICK_MODEL_CONFIG, generated: { pool: 200, test: 40, folds: 2 } },
  full: { iterations: 10, model: FULL_MODEL_CONFIG, generated: { pool: 1000, test: 200, folds: "apps" } },
};

export function parseShots(s: string | undefined): number[] {
  const shots = (s ?? "1,2,3").split(",").map((v) => Number(v.trim()));
  if (shots.length === 0 || shots.some((v) => !Number.isInteger(v) || v < 1))
    throw new UsageError(`--shots: expected positive integers separated by commas, got ${JSON.stringify(s)}`);
  return shots;
}

function profileOf(v: unknown): Profile {
  if (v !== "quick" && v !== "full") throw new UsageError(`--profile: expected quick or full, got ${JSON.stringify(v)}`);
  return v;
}

function methodsOf(v: string | boolean | undefined): Method[] {
  if (v === undefined) return [...METHODS];
  const ms = String(v).split(",");
  for (const m of ms) if (!(METHODS as readonly string[]).includes(m)) throw new UsageError(`--methods: unknown method "${m}"; known: ${METHODS.join(", ")}`);
  return ms as Method[];
}

/** Model settings from a profile and the overriding options. */
export function modelConfig(profile: Profile, o: { epochs?: number; finetuneEpochs?: number; seed?: number }): RcsModelConfig {
  const base = PROFILES[profile].model;
  return {
    ...base,
    mlp: { ...base.mlp, ...(o.epochs ? { epochs: o.epochs } : {}) },
    finetuneEpochs: o.finetuneEpochs ?? base.finetuneEpochs,
    seed: o.seed ?? base.seed,
  };
}

const log = (msg: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${msg}`);

const common: Record<string, OptionSpec> = {
  backend: { type: "string", description: "TensorFlow.js backend (default: best available, or $FLASH_BACKEND)" },
  profile: { type: "string", description: "quick (fewer epochs, small meta learner) or full (paper settings)", default: "quick" },
  epochs: { type: "string", description: "MLP training epochs (overrides the profile: quick 20, full 200)" },
  "finetune-epochs": { type: "string", description: "fine-tuning epochs of tl and flash_finetune" },
  seed: { type: "string", description: "base seed", default: "0" },
};

export interface EvaluateCliOptions {
  train: string;
  test: string;
  shots: number[];
  iterations: number;
  out: string;
  profile: Profile;
  epochs?: number;
  finetuneEpochs?: number;
  methods?: Method[];
  seed?: number;
  backend?: string;
  /** Run the controls beside the methods (experiments/rcs/controls.ts). */
  controls?: boolean;
}

/** `flash rcs evaluate` as a function: returns the evaluation and writes results.json, details.json, report.md, ape-cdf.{vl.json,svg,png}. */
export async function rcsEvaluate(o: EvaluateCliOptions): Promise<EvaluationResult> {
  const b = await selectBackend(o.backend);
  const train = loadRcsDataset(o.train);
  const test = path.resolve(o.test) === path.resolve(o.train) ? train : loadRcsDataset(o.test);
  const plan = twoFolderPlan(train, test);
  const model = modelConfig(o.profile, o);
  const r = await evaluatePlan(plan, { shots: o.shots, iterations: o.iterations, model, seed: o.seed ?? 0, methods: o.methods, log, controls: o.controls });
  await writeEvaluation(o.out, r, { backend: b.name, profile: o.profile, settings: { iterations: o.iterations, ...model } });
  return r;
}

/** A dataset option of `flash rcs`: a name (serverless-functions, multi-cloud) or a path in one of `kinds`' layouts. */
function rcsDatasetOption(option: string, v: unknown, kinds: readonly DatasetKind[] = ["serverless", "multi-cloud"]): string {
  return resolveDataset(String(v), { option, kinds });
}

export const rcsCommand: Command = {
  summary: "resource configuration search (FLASH-Sizeless): evaluate | train | recommend | fit | generate",
  options: {
    ...common,
    train: { type: "string", description: "evaluate: training dataset (serverless-functions, multi-cloud, or a folder in either layout)" },
    test: { type: "string", description: "evaluate: test dataset, as --train (its apps not in --train; the same dataset = 50/50 split by app)" },
    shots: { type: "string", description: "evaluate: shot counts", default: "1,2,3" },
    seeds: { type: "string", description: "evaluate: iterations (seeds); default by profile (quick 2, full 10)" },
    methods: { type: "string", description: `evaluate: comma-separated subset of ${METHODS.join(",")}` },
    controls: { type: "boolean", description: "evaluate: also run the controls (oracle, oracle of the context, shuffled and zero embedding, probe)" },
    out: { type: "string", description: "evaluate: report folder; train: model folder; fit: segment model file; generate: new folder" },
    data: {
      type: "string",
      description:
        "train: dataset (serverless-functions, multi-cloud, or a folder in either layout); fit: serverless dataset (name or folder); " +
        "generate: a serverless dataset to fit the segment model to",
    },
    model: { type: "string", description: "recommend: model folder written by `flash rcs train`; generate: segment model file written by `flash rcs fit`" },
    report: { type: "string", description: "fit: also write the leave-one-application-out report (fit.md, fit.json) to this folder" },
    apps: { type: "string", description: "generate: how many applications" },
    invocations: { type: "string", description: "generate: invocations per memory size (default: the fitted data's median, at most 100)" },
    "input-spread": { type: "string", description: "generate: input sizes 2^U(-s, s) times a segment's reference (default: the measured data's spread)" },
    "max-segments": { type: "string", description: "generate: segments per application, at most (default 4)" },
    function: {
      type: "string",
      description:
        "recommend: serverless model: one function's folder of <memory_mb>.csv files; multi-cloud model: a CSV file or folder of the workload's runs " +
        "in the multi-cloud layout",
    },
    runtime: { type: "string", description: "recommend: the function's runtime (nodejs, python; serverless only)", default: "nodejs" },
    alpha: { type: "string", description: `recommend: cost/performance trade-off in [0, 1] (1 = cheapest, 0 = fastest)`, default: String(DEFAULT_ALPHA) },
    method: { type: "string", description: "recommend: predictor (naive, sizeless, tl, flash, flash_finetune)", default: "flash" },
  },
  async run(o: ParsedOptions, positionals: string[]) {
    const sub = positionals[0];
    const profile = profileOf(o.profile);
    const seed = Number(o.seed ?? 0);
    if (sub === "evaluate") {
      if (!o.train || !o.test || !o.out) throw new UsageError("rcs evaluate needs --train DATA --test DATA --out DIR");
      const r = await rcsEvaluate({
        train: rcsDatasetOption("--train", o.train),
        test: rcsDatasetOption("--test", o.test),
        out: String(o.out),
        shots: parseShots(o.shots as string | undefined),
        iterations: intOption(o, "seeds", 1) ?? PROFILES[profile].iterations,
        profile,
        epochs: intOption(o, "epochs", 1),
        finetuneEpochs: intOption(o, "finetune-epochs", 1),
        methods: methodsOf(o.methods),
        seed,
        backend: o.backend as string | undefined,
        controls: o.controls === true,
      });
      console.log(JSON.stringify(resultsJson(r), null, 2));
      console.error(`wrote ${path.join(String(o.out), "results.json")}, report.md, ape-cdf.png`);
    } else if (sub === "train") {
      if (!o.data || !o.out) throw new UsageError("rcs train needs --data DATA --out MODEL_DIR");
      await selectBackend(o.backend as string | undefined);
      await trainCommand({
        data: rcsDatasetOption("--data", o.data),
        out: String(o.out),
        model: modelConfig(profile, { epochs: intOption(o, "epochs", 1), seed }),
        log,
      });
      console.error(`wrote model ${o.out}`);
    } else if (sub === "recommend") {
      if (!o.model || !o.function) throw new UsageError("rcs recommend needs --model DIR --function DIR");
      await selectBackend(o.backend as string | undefined);
      const alpha = Number(o.alpha);
      if (!(alpha >= 0 && alpha <= 1)) throw new UsageError(`--alpha: expected a number in [0, 1], got ${JSON.stringify(o.alpha)}`);
      const method = methodsOf(o.method as string)[0];
      const rec = await recommendCommand({ model: String(o.model), fn: String(o.function), runtime: String(o.runtime), alpha, method });
      console.log(JSON.stringify(rec, null, 2));
    } else if (sub === "fit") {
      if (!o.data || !o.out) throw new UsageError("rcs fit needs --data DATA --out MODEL.json");
      if (o.report) await selectBackend(o.backend as string | undefined);
      const { model, report } = await fitCommand({
        data: rcsDatasetOption("--data", o.data, ["serverless"]),
        out: String(o.out),
        report: o.report as string | undefined,
        model: modelConfig(profile, { epochs: intOption(o, "epochs", 1) }),
        seed,
        log,
      });
      const segs = Object.values(model.segments);
      console.error(
        `wrote ${o.out}: ${segs.filter((x) => x.source === "fitted").length} segments fitted, ${segs.filter((x) => x.source === "assumed").length} assumed` +
          (report ? `; report ${path.join(String(o.report), "fit.md")}` : ""),
      );
    } else if (sub === "generate") {
      if (!o.out) throw new UsageError("rcs generate needs --apps N --seed S --out DIR and --model MODEL.json or --data DATA");
      const apps = intOption(o, "apps", 1);
      if (apps === undefined) throw new UsageError("rcs generate needs --apps N (a positive integer)");
      const spread = o["input-spread"] === undefined ? undefined : Number(o["input-spread"]);
      if (spread !== undefined && !(spread >= 0)) throw new UsageError(`--input-spread: expected a number >= 0, got ${JSON.stringify(o["input-spread"])}`);
      const made = generateCommand({
        apps,
        seed: o.seed === undefined ? 0 : String(o.seed),
        out: String(o.out),
        model: o.model as string | undefined,
        data: o.data === undefined ? undefined : rcsDatasetOption("--data", o.data, ["serverless"]),
        invocations: intOption(o, "invocations", 1),
        inputSpread: spread,
        maxSegments: intOption(o, "max-segments", 1),
      });
      console.error(`wrote ${made.length} applications to ${o.out} (apps.csv and one folder per application)`);
    } else {
      throw new UsageError(`rcs: expected a subcommand evaluate, train, recommend, fit or generate, got ${JSON.stringify(sub ?? "")}`);
    }
  },
};
