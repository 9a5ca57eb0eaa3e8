/**
 * How well the segment model (envs/rcs/segment-fit.ts) fits the real serverless data,
 * leaving each application out, against the naive and Sizeless predictors (issue 27).
 *
 *  - In sample, per application: the model's time at every size from the application's
 *    own measured demand (monitoring at the sizes where it does not page), and for the
 *    applications whose names list their segments, from the composition alone.
 *  - Leave one application out: the model refitted without the application; the
 *    composition alone (zero-shot, where the name lists segments), and at X = 1/2/3 shots
 *    on the protocol's own queries (protocol.ts `testQuery`, the same seeds for every
 *    predictor): the segment model's predictor (segment-predict.ts: demand from the bases'
 *    monitoring, curve shape from the model, level from the nearest base), naive (time at
 *    the nearest base) and Sizeless (the Table 6 MLP trained on every other application).
 * Per application: MAPE over its workloads' targets; summaries: mean and 95% CI over the
 * applications, and the pooled MAPE over every row.
 */
import { SEGMENT_KINDS } from "../../sim/k8s/segments.js";
import { executionAt } from "../../sim/serverless/execution.js";
import {
  assumedCost,
  composedDemand,
  fitSegmentModel,
  predictWithSegmentModel,
  RcsDataError,
  type RcsDataset,
  type SegmentModel,
} from "../../envs/rcs/index.js";
import { formatMeanCi, meanCi95, meanCiJson, type MeanCi } from "../stats.js";
import { RcsModels, testQuery, type RcsModelConfig } from "./models.js";

export const FIT_PREDICTORS = ["naive", "sizeless", "segment"] as const;
export type FitPredictor = (typeof FIT_PREDICTORS)[number];

export interface AppFit {
  app: string;
  runtime: string;
  source: string;
  /** In sample: MAPE over the 8 sizes from the application's own measured demand. */
  ownMape: number;
  /** In sample and left out: MAPE from the composition alone (null: the name lists no segments). */
  composedMape: number | null;
  composedLoaoMape: number | null;
  /** Left out: predictor -> shots -> MAPE over the application's targets. */
  loao: Record<FitPredictor, Record<string, number>>;
}

export interface FitReport {
  model: SegmentModel;
  apps: AppFit[];
  shots: number[];
  /** predictor -> shots -> mean and CI over applications of the per-application MAPE. */
  summary: Record<FitPredictor, Record<string, MeanCi>>;
  /** predictor -> shots -> MAPE pooled over every row. */
  pooled: Record<FitPredictor, Record<string, number>>;
  seconds: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
const ape = (p: number, t: number) => Math.abs(p - t) / t;

/** MAPE over a workload's sizes of the model's time from a demand. */
function curveMape(model: SegmentModel, demand: Parameters<typeof executionAt>[0], points: readonly { memoryMb?: number; duration: number }[]): number {
  return mean(points.map((p) => ape(executionAt(demand, model.platform, p.memoryMb as number).durationMs, p.duration)));
}

export interface FitReportOptions {
  shots: number[];
  /** Sizeless's settings (a profile's model config). */
  model: RcsModelConfig;
  seed: number;
  log?: (msg: string) => void;
}

/** The fit report of a serverless dataset (see the module comment). */
export async function segmentFitReport(real: RcsDataset, o: FitReportOptions): Promise<FitReport> {
  const t0 = performance.now();
  const { model, workloads } = fitSegmentModel(real);
  const apps = [...new Set(real.workloads.map((w) => w.app))].sort();
  if (apps.length < 2) throw new RcsDataError(`fit report: leaving one application out needs at least two applications in ${real.root}`);
  const out: AppFit[] = [];
  const pooledRows: Record<FitPredictor, Record<string, number[]>> = Object.fromEntries(
    FIT_PREDICTORS.map((p) => [p, Object.fromEntries(o.shots.map((s) => [String(s), [] as number[]]))]),
  ) as Record<FitPredictor, Record<string, number[]>>;
  for (const [k, app] of apps.entries()) {
    const mine = real.workloads.filter((w) => w.app === app);
    const fits = workloads.filter((w) => w.app === app);
    const { model: without } = fitSegmentModel(real, { excludeApps: [app] });
    const comp = fits[0].composition;
    const models = new RcsModels(real, { ...o.model, seed: o.seed * 1000 + k });
    const rows: Record<FitPredictor, Record<string, number[]>> = Object.fromEntries(
      FIT_PREDICTORS.map((p) => [p, Object.fromEntries(o.shots.map((s) => [String(s), [] as number[]]))]),
    ) as Record<FitPredictor, Record<string, number[]>>;
    try {
      await models.train(
        real.workloads.filter((w) => w.app !== app),
        undefined,
        undefined,
        { sizelessOnly: true },
      );
      for (const w of mine) {
        for (const X of o.shots) {
          const { query, truth } = testQuery(w, X, `${o.seed}/fit-loao/${w.id}`);
          const pred = await models.predict(query, ["naive", "sizeless"], `fit/${w.id}/${X}`);
          const seg = predictWithSegmentModel(without, query, real.metricNames);
          truth.forEach((t, j) => {
            for (const [p, v] of [
              ["naive", pred.naive![j]],
              ["sizeless", pred.sizeless![j]],
              ["segment", seg[j]],
            ] as const) {
              rows[p][String(X)].push(ape(v, t));
              pooledRows[p][String(X)].push(ape(v, t));
            }
          });
        }
      }
    } finally {
      models.dispose();
    }
    out.push({
      app,
      runtime: mine[0].runtime,
      source: mine[0].source,
      ownMape: mean(fits.map((f) => curveMape(model, f.measured, real.workloads.find((w) => w.id === f.id)!.points))),
      composedMape: comp ? mean(mine.map((w) => curveMape(model, composedDemand(model, w.runtime, comp), w.points))) : null,
      composedLoaoMape: comp ? mean(mine.map((w) => curveMape(without, composedDemand(without, w.runtime, comp), w.points))) : null,
      loao: Object.fromEntries(FIT_PREDICTORS.map((p) => [p, Object.fromEntries(o.shots.map((s) => [String(s), mean(rows[p][String(s)])]))])) as AppFit["loao"],
    });
    o.log?.(
      `fit report: ${k + 1}/${apps.length} ${app}: 1-shot naive ${out[k].loao.naive[String(o.shots[0])].toFixed(3)}, ` +
        `Sizeless ${out[k].loao.sizeless[String(o.shots[0])].toFixed(3)}, segment model ${out[k].loao.segment[String(o.shots[0])].toFixed(3)}`,
    );
  }
  const per = (p: FitPredictor, s: number) => out.map((a) => a.loao[p][String(s)]);
  return {
    model,
    apps: out,
    shots: [...o.shots],
    summary: Object.fromEntries(
      FIT_PREDICTORS.map((p) => [p, Object.fromEntries(o.shots.map((s) => [String(s), meanCi95(per(p, s))]))]),
    ) as FitReport["summary"],
    pooled: Object.fromEntries(
      FIT_PREDICTORS.map((p) => [p, Object.fromEntries(o.shots.map((s) => [String(s), mean(pooledRows[p][String(s)])]))]),
    ) as FitReport["pooled"],
    seconds: (performance.now() - t0) / 1000,
  };
}

/** fit.json: every number of the report (the model is saved apart). */
export function fitReportJson(r: FitReport): Record<string, unknown> {
  return {
    shots: r.shots,
    summary: Object.fromEntries(Object.entries(r.summary).map(([p, byS]) => [p, Object.fromEntries(Object.entries(byS).map(([s, c]) => [s, meanCiJson(c)]))])),
    pooled: r.pooled,
    apps: r.apps,
    seconds: r.seconds,
  };
}

const f3 = (v: number | null) => (v === null ? "—" : v.toFixed(3));

/** The segment magnitudes fitted here beside the ones sim/k8s assumes (what would change for autoscaling). */
export function magnitudesTable(m: SegmentModel): string[] {
  const head = [
    "| segment | source (apps) | CPU ms fitted / assumed | CPU wall ms fitted / assumed | I/O ms fitted / assumed | memory MB fitted / assumed |",
    "|---|---|---|---|---|---|",
  ];
  return [
    ...head,
    ...SEGMENT_KINDS.map((k) => {
      const s = m.segments[k];
      const a = assumedCost(k);
      const pair = (x: number, y: number) => `${x.toPrecision(3)} / ${y.toPrecision(3)}`;
      return `| ${k} | ${s.source} (${s.apps}) | ${pair(s.cpuUserMs + s.cpuSysMs, a.cpuUserMs + a.cpuSysMs)} | ${pair(s.cpuWallMs, a.cpuWallMs)} | ${pair(s.ioMs, a.ioMs)} | ${pair(s.memMb, a.memMb)} |`;
    }),
  ];
}

/** fit.md: the platform, the fit per application, the summaries, and the magnitudes beside sim/k8s's. */
export function fitReportMarkdown(r: FitReport): string {
  const p = r.model.platform;
  const s = p.swap;
  const names = { naive: "naive (nearest base)", sizeless: "Sizeless (MLP, other apps)", segment: "segment model (refitted without the app)" };
  return [
    "# Segment model: fit to the real serverless data (issue 27)",
    "",
    `Fitted on ${r.model.fittedOn.apps.length} applications (${r.model.fittedOn.workloads} workloads) of \`${r.model.fittedOn.root}\`.`,
    `Platform: ${p.fullCoreMb <= p.sizesMb[0] ? `a full core at every size (memory size does not set the CPU share between ${p.sizesMb[0]} and ${p.sizesMb[p.sizesMb.length - 1]} MB)` : `a full core from ${p.fullCoreMb} MB, a proportional share below`}; ` +
      `per-size speed ${p.sizesMb.map((m, i) => `${m}: ${p.cpuSpeed[i].toFixed(3)}`).join(", ")}.`,
    `Paging: slowdown 1 + ${s.scale.toPrecision(3)} (W/m - ${s.threshold})^${s.power} (W working set, m memory size; sim/k8s assumes 1 + 2 ((W/L - 0.8)/0.2)^2 up to the limit L, ` +
      `3x at the limit, then an OOM kill); ${s.sysPerPagingMs.toPrecision(3)} ms system time and ${s.vcsPerPagingMs.toPrecision(3)} voluntary switches per ms paging.`,
    `Noise: composed applications' level about their composition, sd of log ${r.model.noise.levelLogSd.toFixed(3)}; per-point log residual 5/50/95th percentiles ` +
      `${[5, 50, 95].map((q) => r.model.noise.shapeLogResidual[q].toFixed(3)).join(" / ")} (not paging), ${[5, 50, 95].map((q) => r.model.noise.pagingLogResidual[q].toFixed(2)).join(" / ")} (paging).`,
    "",
    `## Leave one application out: MAPE at ${r.shots.join("/")}-shot (mean ± 95% CI over the ${r.apps.length} applications; pooled over all rows)`,
    "",
    "| predictor | " + r.shots.map((x) => `${x}-shot`).join(" | ") + " | pooled |",
    "|---|" + r.shots.map(() => "---|").join("") + "---|",
    ...FIT_PREDICTORS.map(
      (q) =>
        `| ${names[q]} | ${r.shots.map((x) => formatMeanCi(r.summary[q][String(x)])).join(" | ")} | ${r.shots.map((x) => r.pooled[q][String(x)].toFixed(3)).join(" / ")} |`,
    ),
    "",
    "## Per application",
    "",
    `In sample: from the application's own measured demand (own) and from its name's composition (composed); left out: composition alone, and ${r.shots[0]}-shot naive / Sizeless / segment model.`,
    "",
    "| application | runtime | in sample: own | in sample: composed | left out: composed | left out: naive | Sizeless | segment model |",
    "|---|---|---|---|---|---|---|---|",
    ...r.apps.map((a) => {
      const x = String(r.shots[0]);
      return `| ${a.app} | ${a.runtime} | ${f3(a.ownMape)} | ${f3(a.composedMape)} | ${f3(a.composedLoaoMape)} | ${f3(a.loao.naive[x])} | ${f3(a.loao.sizeless[x])} | ${f3(a.loao.segment[x])} |`;
    }),
    "",
    "## Segment magnitudes: fitted here, assumed by sim/k8s (autoscaling)",
    "",
    "At each segment's reference input size (sim/k8s/segments.ts). Assumed CPU time is sim/k8s's cpuFixed + cpu (split 90/10 user/system for the fit's prior), ",
    "its wall time that over the segment's parallelism. Autoscaling still runs on the assumed magnitudes (issue 27: its long runs use the current simulator).",
    "",
    ...magnitudesTable(r.model),
    "",
    `${r.seconds.toFixed(0)} s.`,
    "",
  ].join("\n");
}
