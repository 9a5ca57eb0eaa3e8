/**
 * `flash rcs evaluate|train|recommend` and `flash reproduce rcs` (wired in experiments/cli.ts).
 *
 *   flash rcs evaluate --train DATA --test DATA --shots 1,2,3 --seeds N --out DIR [--profile quick|full] [--epochs N]
 *   flash rcs train --data DATA --out MODEL_DIR [--profile ...]
 *   flash rcs recommend --model MODEL_DIR --function DIR [--runtime nodejs|python] [--alpha A] [--method flash]
 *   flash reproduce rcs [--data DATA[,DATA]] --profile quick|full --out DIR
 *
 * DATA: a dataset name (serverless-functions, multi-cloud; data/README.md) or a folder in
 * either layout (envs/rcs/README.md).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { resolveDataset } from "../datasets.js";
import { loadRcsDataset, loadMultiCloud, loadServerless } from "../../envs/rcs/index.js";
import { UsageError, type Command, type OptionSpec, type ParsedOptions } from "../args.js";
import { FULL_MODEL_CONFIG, METHODS, QUICK_MODEL_CONFIG, type Method, type RcsModelConfig } from "./models.js";
import {
  evaluatePlan,
  halfSplitPlan,
  providerPlan,
  resultsJson,
  syntheticToRealPlan,
  twoFolderPlan,
  type EvaluationResult,
  type SplitPlan,
} from "./protocol.js";
import { evaluationMarkdown, writeEvaluation } from "./report.js";
import { rcsDataFolders, rcsSplits } from "./data.js";
import { recommendCommand, selectionAccuracy, trainCommand, type SelectionAccuracy, DEFAULT_ALPHA } from "./recommend.js";

export type Profile = "quick" | "full";

/** Iterations and model settings per profile (every number is a parameter). */
export const PROFILES: Record<Profile, { iterations: number; model: RcsModelConfig }> = {
  quick: { iterations: 2, model: QUICK_MODEL_CONFIG },
  full: { iterations: 10, model: FULL_MODEL_CONFIG },
};

export function parseShots(s: string | undefined): number[] {
  const shots = (s ?? "1,2,3").split(",").map((v) => Number(v.trim()));
  if (shots.length === 0 || shots.some((v) => !Number.isInteger(v) || v < 1))
    throw new UsageError(`--shots: expected positive integers separated by commas, got ${JSON.stringify(s)}`);
  return shots;
}

function positiveInt(name: string, v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
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

/** A dataset option of `flash rcs`: a name (serverless-functions, multi-cloud) or a path in either layout. */
function rcsDatasetOption(option: string, v: unknown): string {
  return resolveDataset(String(v), { option, kinds: ["serverless", "multi-cloud"] });
}

export const rcsCommand: Command = {
  summary: "resource configuration search (FLASH-Sizeless): evaluate | train | recommend",
  options: {
    ...common,
    train: { type: "string", description: "evaluate: training dataset (serverless-functions, multi-cloud, or a folder in either layout)" },
    test: { type: "string", description: "evaluate: test dataset, as --train (its apps not in --train; the same dataset = 50/50 split by app)" },
    shots: { type: "string", description: "evaluate: shot counts", default: "1,2,3" },
    seeds: { type: "string", description: "evaluate: iterations (seeds); default by profile (quick 2, full 10)" },
    methods: { type: "string", description: `evaluate: comma-separated subset of ${METHODS.join(",")}` },
    controls: { type: "boolean", description: "evaluate: also run the controls (oracle, oracle of the context, shuffled and zero embedding, probe)" },
    out: { type: "string", description: "evaluate: report folder; train: model folder" },
    data: { type: "string", description: "train: dataset (serverless-functions, multi-cloud, or a folder in either layout)" },
    model: { type: "string", description: "recommend: model folder written by `flash rcs train`" },
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
        iterations: positiveInt("seeds", o.seeds) ?? PROFILES[profile].iterations,
        profile,
        epochs: positiveInt("epochs", o.epochs),
        finetuneEpochs: positiveInt("finetune-epochs", o["finetune-epochs"]),
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
        model: modelConfig(profile, { epochs: positiveInt("epochs", o.epochs), seed }),
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
    } else {
      throw new UsageError(`rcs: expected a subcommand evaluate, train or recommend, got ${JSON.stringify(sub ?? "")}`);
    }
  },
};

export interface ReproduceRcsOptions {
  /** `--data`: dataset names or folders, comma-separated (data.ts); null or absent: both of the repository's datasets. */
  data?: string | null;
  profile: Profile;
  out: string;
  /** Iterations per split (default by profile). */
  iterations?: number;
  epochs?: number;
  seed?: number;
  backend?: string;
  /** Subset of splits: a, b, c-workloads, c-providers (default all). */
  splits?: string[];
  /** Run the controls beside the methods (default true; experiments/rcs/controls.ts). */
  controls?: boolean;
  log?: (msg: string) => void;
}

const PAPER: Record<string, string> = {
  a: "FLASH's testing MAPE at least 50% below Sizeless at every shot count (paper: 87-90% on the Sizeless data, 49-57% on its OpenWhisk data).",
  b: "FLASH's testing MAPE at least 50% below Sizeless at every shot count.",
  "c-workloads": "FLASH at least 34-52% below Sizeless, FLASH MAPE at or below 0.649 / 0.424 / 0.497 (1/2/3-shot, CloudBandit column of Table 2).",
  "c-providers": "as c-workloads (the paper's CloudBandit column is across environments).",
};

/** `flash reproduce rcs`: splits (a), (b), (c) on the real data; writes out/report.md, out/results.json and one folder per split. */
export async function reproduceRcs(o: ReproduceRcsOptions): Promise<Record<string, EvaluationResult>> {
  const b = await selectBackend(o.backend);
  const say = o.log ?? log;
  const iterations = o.iterations ?? PROFILES[o.profile].iterations;
  const model = modelConfig(o.profile, { epochs: o.epochs, seed: o.seed });
  const folders = rcsDataFolders(o.data ?? null);
  const want = new Set<string>(rcsSplits(folders, o.splits));
  const plans: [string, () => SplitPlan, number][] = [];
  const serverless = want.has("a") || want.has("b") ? loadServerless(folders.serverless!) : undefined;
  const cloud = want.has("c-workloads") || want.has("c-providers") ? loadMultiCloud(folders.multicloud!) : undefined;
  if (want.has("a")) plans.push(["a", () => halfSplitPlan(serverless!, "a-serverless-apps"), iterations]);
  if (want.has("b")) plans.push(["b", () => syntheticToRealPlan(serverless!), iterations]);
  if (want.has("c-workloads")) plans.push(["c-workloads", () => halfSplitPlan(cloud!, "c-multicloud-workloads"), iterations]);
  // At least one iteration per held-out provider.
  if (want.has("c-providers")) plans.push(["c-providers", () => providerPlan(cloud!), Math.max(iterations, 3)]);
  mkdirSync(o.out, { recursive: true });
  const results: Record<string, EvaluationResult> = {};
  const t0 = performance.now();
  const md: string[] = [];
  for (const [k, [key, make, its]] of plans.entries()) {
    const r = await evaluatePlan(make(), {
      shots: [1, 2, 3],
      iterations: its,
      model,
      seed: o.seed ?? 0,
      controls: o.controls ?? true,
      log: (m) => say(`split ${key} (${k + 1}/${plans.length}) ${m}`),
    });
    results[key] = r;
    const ctx = { backend: b.name, profile: o.profile, settings: { iterations: its, ...model }, paperTargets: PAPER[key] };
    const dir = path.join(o.out, key);
    await writeEvaluation(dir, r, ctx);
    let acc = "";
    try {
      const sa: SelectionAccuracy = selectionAccuracy(r, key.startsWith("c") ? cloud! : serverless!, DEFAULT_ALPHA);
      writeFileSync(path.join(dir, "selection.json"), JSON.stringify(sa, null, 2) + "\n");
      acc = sa.markdown;
    } catch (err) {
      acc = `selection accuracy not computed: ${(err as Error).message}`;
    }
    md.push(evaluationMarkdown(r, ctx, `${key}/ape-cdf`, "##"), acc, "");
  }
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(
    path.join(o.out, "results.json"),
    JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, resultsJson(r)])), null, 2) + "\n",
  );
  const profileWords =
    o.profile === "quick"
      ? `quick: ${model.mlp.epochs} MLP epochs instead of 200, a ${model.encoder.layers}-layer BiGRU of ${model.encoder.hidden} units instead of 2 x 256, ` +
        `${iterations} iterations instead of 10`
      : "paper settings";
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
  ];
  writeFileSync(path.join(o.out, "report.md"), [...head, ...md].join("\n"));
  say(`wrote ${path.join(o.out, "report.md")} (${seconds.toFixed(0)} s)`);
  return results;
}
