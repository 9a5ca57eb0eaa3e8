/**
 * What users want from RCS: a recommended configuration under a price model and a
 * cost/performance trade-off, and how often each method's recommendation is right.
 *
 * Price model (documented in envs/rcs/README.md):
 *   serverless: AWS Lambda's x86 on-demand price, $0.0000166667 per GB-second of
 *     configured memory plus $0.20 per million requests:
 *     cost = duration_s * memory_MB / 1024 * 0.0000166667 + 0.0000002.
 *     (The measured platform does not bill; this is the price a user would compare.)
 *   multi-cloud: the dataset's own cost estimate, which is linear in run time per
 *     configuration: price per ms = target_cost / target_runtime (constant per configuration).
 * Score of a configuration c among the candidates C (all of the workload's configurations):
 *   score(c) = alpha * cost(c) / min_C cost + (1 - alpha) * time(c) / min_C time,
 * alpha in [0, 1] (1: cheapest, 0: fastest; default 0.5). The recommendation minimises the
 * score with measured times at the bases and predicted times elsewhere. Selection
 * accuracy: the share of (iteration, workload, shots) whose recommendation is the
 * configuration that minimises the score on measured times ("exact"), or whose measured
 * score is within 15% of that optimum ("within 15%").
 */
import path from "node:path";
import {
  loadMultiCloud,
  loadRcsDataset,
  loadServerlessApp,
  makeQuery,
  RcsDataError,
  type Query,
  type RcsDataset,
  type RcsWorkload,
  type TargetConfig,
} from "../../envs/rcs/index.js";
import { RcsModels, type Method, type RcsModelConfig } from "./models.js";
import type { EvaluationResult } from "./protocol.js";
import { METHOD_LABELS } from "./report.js";

export const DEFAULT_ALPHA = 0.5;
export const LAMBDA_GB_SECOND = 0.0000166667;
export const LAMBDA_REQUEST = 0.0000002;

/** Price of one run of `durationMs` at a configuration (USD), or NaN if unknown. */
export function runCost(c: Pick<TargetConfig, "memoryMb" | "pricePerMs">, durationMs: number): number {
  if (c.pricePerMs !== undefined) return c.pricePerMs * durationMs;
  if (c.memoryMb !== undefined) return (durationMs / 1000) * (c.memoryMb / 1024) * LAMBDA_GB_SECOND + LAMBDA_REQUEST;
  return NaN;
}

export interface Candidate {
  key: string;
  timeMs: number;
  cost: number;
  measured: boolean;
  score?: number;
}

/** Scores (see the module comment) and the index of the best candidate. Without prices, alpha is taken as 0. */
export function scoreCandidates(cands: Candidate[], alpha: number): number {
  const minT = Math.min(...cands.map((c) => c.timeMs));
  const priced = cands.every((c) => Number.isFinite(c.cost));
  const minC = priced ? Math.min(...cands.map((c) => c.cost)) : 1;
  let best = 0;
  cands.forEach((c, i) => {
    c.score = (priced ? alpha * (c.cost / minC) : 0) + (priced ? 1 - alpha : 1) * (c.timeMs / minT);
    if (c.score < cands[best].score!) best = i;
  });
  return best;
}

export interface SelectionAccuracy {
  alpha: number;
  /** method -> shots -> {exact, within15} fractions over (iteration, workload). */
  accuracy: Record<string, Record<string, { exact: number; within15: number; n: number }>>;
  markdown: string;
}

/** Selection accuracy of every method in an evaluation (measured times at the bases). */
export function selectionAccuracy(r: EvaluationResult, ds: RcsDataset, alpha = DEFAULT_ALPHA): SelectionAccuracy {
  const byId = new Map(ds.workloads.map((w) => [w.id, w]));
  const groups = new Map<string, typeof r.rows>();
  for (const row of r.rows) {
    const k = `${row.iteration}|${row.workload}|${row.shots}`;
    const g = groups.get(k) ?? [];
    g.push(row);
    groups.set(k, g);
  }
  const acc: Record<string, Record<string, { exact: number; within15: number; n: number }>> = Object.fromEntries(
    r.methods.map((m) => [m, Object.fromEntries(r.shots.map((s) => [String(s), { exact: 0, within15: 0, n: 0 }]))]),
  );
  for (const rows of groups.values()) {
    const w = byId.get(rows[0].workload);
    if (!w) throw new RcsDataError(`selection accuracy: workload ${rows[0].workload} is not in ${ds.root}`);
    const targets = new Set(rows.map((x) => x.target));
    // Candidates: the workload's points in this split (the environment's points for c-providers).
    const env = w.points.find((p) => p.key === rows[0].target)!.env;
    const points = w.points.filter((p) => p.env === env);
    const truth: Candidate[] = points.map((p) => ({ key: p.key, timeMs: p.duration, cost: runCost(p, p.duration), measured: true }));
    const opt = scoreCandidates(truth, alpha);
    const optScore = truth[opt].score!;
    for (const m of r.methods) {
      const pred = new Map(rows.map((x) => [x.target, x.pred[m]!]));
      const cands = points.map((p) => {
        const t = targets.has(p.key) ? pred.get(p.key)! : p.duration;
        return { key: p.key, timeMs: t, cost: runCost(p, t), measured: !targets.has(p.key) };
      });
      const rec = scoreCandidates(cands, alpha);
      const a = acc[m][String(rows[0].shots)];
      a.n++;
      if (cands[rec].key === truth[opt].key) a.exact++;
      if (truth[rec].score! <= 1.15 * optScore) a.within15++;
    }
  }
  for (const byS of Object.values(acc)) {
    for (const a of Object.values(byS)) {
      if (!a.n) continue;
      a.exact /= a.n;
      a.within15 /= a.n;
    }
  }
  const head = `| method | ${r.shots.map((s) => `${s}-shot exact / within 15%`).join(" | ")} |\n|---|${r.shots.map(() => "---|").join("")}`;
  const cell = (m: string, s: number) => `${(100 * acc[m][String(s)].exact).toFixed(0)}% / ${(100 * acc[m][String(s)].within15).toFixed(0)}%`;
  const lines = r.methods.map((m) => `| ${METHOD_LABELS[m] ?? m} | ${r.shots.map((s) => cell(m, s)).join(" | ")} |`);
  const markdown = [
    `Selection accuracy (alpha = ${alpha}; price model in envs/rcs/README.md): the recommendation is the measured optimum / is within 15% of the ` +
      `optimum's score.`,
    "",
    head,
    ...lines,
    "",
  ].join("\n");
  return { alpha, accuracy: acc, markdown };
}

/** `flash rcs train`: train every model on a whole dataset and save it for `recommend`. */
export async function trainCommand(o: { data: string; out: string; model: RcsModelConfig; log?: (m: string) => void }): Promise<void> {
  const ds = loadRcsDataset(o.data);
  const models = new RcsModels(ds, o.model);
  try {
    await models.train(ds.workloads, o.log);
    const candidates = new Map<string, TargetConfig>();
    for (const w of ds.workloads)
      for (const p of w.points)
        if (!candidates.has(p.key)) candidates.set(p.key, { key: p.key, env: p.env, config: p.config, memoryMb: p.memoryMb, pricePerMs: p.pricePerMs });
    await models.save(o.out, { layout: ds.layout, candidates: [...candidates.values()] });
  } finally {
    models.dispose();
  }
}

export interface Recommendation {
  function: string;
  method: string;
  alpha: number;
  priceModel: string;
  sizes: Candidate[];
  recommended: string;
}

/**
 * The user's workload(s) for `recommend`, in the layout the model was trained on:
 * serverless, one function folder of `<memory_mb>.csv` files (every variant is a
 * workload); multi-cloud, a CSV file or folder in the multi-cloud layout with the
 * workload's runs (every `workload` value is one), with the model's configuration columns.
 */
export function loadUserWorkloads(fn: string, layout: string, dataset: { configNames: readonly string[] }, runtime: string): RcsWorkload[] {
  if (layout === "serverless") {
    const name = path.basename(path.resolve(fn));
    return loadServerlessApp(fn, { app: name, source: "user", runtime: runtime.toLowerCase() });
  }
  if (layout !== "multicloud") throw new RcsDataError(`model layout "${layout}": expected serverless or multicloud`);
  const ds = loadMultiCloud(fn);
  if (ds.configNames.join() !== dataset.configNames.join()) {
    throw new RcsDataError(
      `${fn}: configuration columns (${ds.configNames.join(", ")}) differ from the model's (${dataset.configNames.join(", ")}); write the runs with ` +
        `the training data's <provider>_<parameter> columns, empty where a provider lacks one`,
    );
  }
  return ds.workloads;
}

/** `flash rcs recommend`: predicted time and cost per candidate configuration of one function (or multi-cloud workload), and the pick. */
export async function recommendCommand(o: { model: string; fn: string; runtime: string; alpha: number; method: Method }): Promise<Recommendation[]> {
  const { models, extra } = await RcsModels.load(o.model);
  try {
    const serverless = extra.layout === "serverless";
    const workloads = loadUserWorkloads(o.fn, extra.layout, models.dataset, o.runtime);
    const known = new Map(extra.candidates.map((c) => [c.key, c]));
    const out: Recommendation[] = [];
    for (const w of workloads) {
      const measured = new Set(w.points.map((p) => p.key));
      const targets = extra.candidates.filter((c) => !measured.has(c.key));
      const query: Query = {
        ...makeQuery(
          w,
          w.points.map((p) => p.key),
          [],
        ).query,
        targets,
      };
      const pred = targets.length ? (await models.predict(query, [o.method], `recommend/${w.id}`))[o.method]! : [];
      // A measured configuration without its own price (no target_cost column) takes the model's price for it.
      const priced = (p: TargetConfig) =>
        p.pricePerMs === undefined && known.get(p.key)?.pricePerMs !== undefined ? { ...p, pricePerMs: known.get(p.key)!.pricePerMs } : p;
      const cands: Candidate[] = [
        ...w.points.map((p) => ({ key: p.key, timeMs: p.duration, cost: runCost(priced(p), p.duration), measured: true })),
        ...targets.map((t, i) => ({ key: t.key, timeMs: pred[i], cost: runCost(t, pred[i]), measured: false })),
      ].sort((a, b) => (serverless ? Number(a.key) - Number(b.key) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const best = scoreCandidates(cands, o.alpha);
      out.push({
        function: w.id,
        method: o.method,
        alpha: o.alpha,
        priceModel: serverless
          ? `$${LAMBDA_GB_SECOND}/GB-s + $${LAMBDA_REQUEST}/request (AWS Lambda x86)`
          : cands.every((c) => Number.isFinite(c.cost))
            ? "the dataset's cost estimate: price per ms of each configuration = target_cost / target_runtime"
            : "none: some configuration has no target_cost, so the pick is the fastest (alpha taken as 0)",
        sizes: cands,
        recommended: cands[best].key,
      });
    }
    return out;
  } finally {
    models.dispose();
  }
}
