/**
 * RCS reports: results.json (the issue's exact shape), details.json (everything
 * else: per-iteration numbers, training MAPE, timings, backend, configuration), a
 * Markdown table, and the CDF of absolute percentage error per method (paper Fig. 3).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { empiricalCdf, formatMeanCi, meanCiJson } from "../stats.js";
import { writeFigure } from "../report/figures.js";
import type { EvaluationResult } from "./protocol.js";
import { resultsJson } from "./protocol.js";
import { CONTROL_LABELS, controlFindings, controlRows, type Control } from "./controls.js";

export const METHOD_LABELS: Record<string, string> = {
  naive: "naive (nearest base size)",
  sizeless: "Sizeless",
  tl: "transfer learning",
  flash: "FLASH",
  flash_finetune: "FLASH + fine-tune",
};

const COLORS: Record<string, string> = { naive: "#7f7f7f", sizeless: "#ff7f0e", tl: "#d62728", flash: "#1f77b4", flash_finetune: "#2ca02c" };

/** Points of a CDF thinned to at most `max` (keeps the shape; the last point is kept). */
function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]);
  out.push(xs[xs.length - 1]);
  return out;
}

export function apeCdfSpec(r: EvaluationResult, title: string): Record<string, unknown> {
  const values: { method: string; shots: string; ape: number; fraction: number }[] = [];
  for (const s of r.shots) {
    for (const m of r.methods) {
      const apes = r.rows.filter((row) => row.shots === s).map((row) => Math.max(1e-2, (100 * Math.abs(row.pred[m]! - row.truth)) / row.truth));
      for (const p of thin(empiricalCdf(apes), 300))
        values.push({ method: METHOD_LABELS[m] ?? m, shots: `${s}-shot`, ape: Number(p.value.toPrecision(4)), fraction: Number(p.fraction.toFixed(4)) });
    }
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: title, subtitle: "x: log scale; dashed: fine-tuned variants (identical to their base method at 1-shot)" },
    data: { values },
    spacing: 36,
    facet: { column: { field: "shots", type: "nominal", title: null, sort: r.shots.map((s) => `${s}-shot`), header: { labelFontSize: 13 } } },
    spec: {
      width: 240,
      height: 220,
      mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
      encoding: {
        x: { field: "ape", type: "quantitative", scale: { type: "log", domain: [0.1, 1000], clamp: true }, title: "absolute percentage error (%)" },
        y: { field: "fraction", type: "quantitative", scale: { domain: [0, 1] }, title: "fraction of predictions" },
        color: {
          field: "method",
          type: "nominal",
          title: "method",
          scale: { domain: r.methods.map((m) => METHOD_LABELS[m] ?? m), range: r.methods.map((m) => COLORS[m] ?? "#333333") },
        },
        strokeDash: {
          field: "method",
          type: "nominal",
          title: "method",
          scale: { domain: r.methods.map((m) => METHOD_LABELS[m] ?? m), range: r.methods.map((m) => (m === "tl" || m === "flash_finetune" ? [6, 3] : [1, 0])) },
        },
      },
    },
  };
}

/** The Markdown table: method x shots, mean ± 95% CI of the testing MAPE (fraction). */
export function mapeTable(r: EvaluationResult): string {
  const head = `| method | ${r.shots.map((s) => `${s}-shot`).join(" | ")} |\n|---|${r.shots.map(() => "---|").join("")}`;
  const best = Object.fromEntries(r.shots.map((s) => [s, Math.min(...r.methods.map((m) => r.summary[m][String(s)].mean))]));
  const lines = r.methods.map(
    (m) =>
      `| ${METHOD_LABELS[m] ?? m} | ${r.shots
        .map((s) => {
          const c = r.summary[m][String(s)];
          const txt = formatMeanCi(c);
          return c.mean === best[s] ? `**${txt}**` : txt;
        })
        .join(" | ")} |`,
  );
  return [head, ...lines, ...controlRows(r)].join("\n");
}

/** Median absolute percentage error (fraction) per method and shots, pooled over iterations: MAPE's tail hides the bulk. */
export function medianApe(r: EvaluationResult): Record<string, Record<string, number>> {
  return Object.fromEntries(
    r.methods.map((m) => [
      m,
      Object.fromEntries(
        r.shots.map((s) => {
          const a = r.rows
            .filter((row) => row.shots === s)
            .map((row) => Math.abs(row.pred[m]! - row.truth) / row.truth)
            .sort((x, y) => x - y);
          return [String(s), a.length ? (a[(a.length - 1) >> 1] + a[a.length >> 1]) / 2 : NaN];
        }),
      ),
    ]),
  );
}

/** Sentences on what beat what, stated plainly (FLASH vs Sizeless, naive vs every model). */
export function findings(r: EvaluationResult): string[] {
  const out: string[] = [];
  const get = (m: string, s: number) => r.summary[m]?.[String(s)]?.mean;
  for (const s of r.shots) {
    const f = get("flash", s);
    const z = get("sizeless", s);
    const n = get("naive", s);
    if (f !== undefined && z !== undefined) {
      const imp = (z - f) / z;
      out.push(
        `${s}-shot: FLASH's MAPE is ${(Math.abs(imp) * 100).toFixed(0)}% ${imp >= 0 ? "below" : "ABOVE"} Sizeless's (${f.toFixed(3)} vs ` +
          `${z.toFixed(3)}; target: at least 50% below).`,
      );
    }
    if (n !== undefined) {
      const beaten = r.methods.filter((m) => m !== "naive" && get(m, s)! > n);
      if (beaten.length) out.push(`${s}-shot: the naive nearest-base predictor (${n.toFixed(3)}) beats ${beaten.map((m) => METHOD_LABELS[m]).join(", ")}.`);
    }
  }
  return out;
}

export interface ReportContext {
  backend: string;
  profile: string;
  settings: Record<string, unknown>;
  paperTargets?: string;
}

export async function writeEvaluation(
  outDir: string,
  r: EvaluationResult,
  ctx: ReportContext,
  opts: { figureName?: string; markdown?: boolean } = {},
): Promise<{ results: string; figure: string }> {
  mkdirSync(outDir, { recursive: true });
  const results = path.join(outDir, "results.json");
  writeFileSync(results, JSON.stringify(resultsJson(r), null, 2) + "\n");
  const details = {
    plan: r.plan,
    backend: ctx.backend,
    profile: ctx.profile,
    settings: ctx.settings,
    shots: r.shots,
    methods: r.methods,
    testMape: Object.fromEntries(Object.entries(r.summary).map(([m, byS]) => [m, Object.fromEntries(Object.entries(byS).map(([s, c]) => [s, meanCiJson(c)]))])),
    trainMape: Object.fromEntries(Object.entries(r.trainSummary).map(([m, c]) => [m, meanCiJson(c)])),
    medianApe: medianApe(r),
    iterations: r.iterations,
    seconds: r.seconds,
  };
  writeFileSync(path.join(outDir, "details.json"), JSON.stringify(details, null, 2) + "\n");
  const name = opts.figureName ?? "ape-cdf";
  const fig = await writeFigure(outDir, name, apeCdfSpec(r, `CDF of absolute percentage error: ${r.plan.name}`));
  if (opts.markdown !== false) writeFileSync(path.join(outDir, "report.md"), evaluationMarkdown(r, ctx, name));
  return { results, figure: fig.png };
}

export function evaluationMarkdown(r: EvaluationResult, ctx: ReportContext, figure: string, heading = "#"): string {
  const it = r.iterations.length;
  const trainLine = Object.entries(r.trainSummary)
    .map(([m, c]) => `${METHOD_LABELS[m] ?? CONTROL_LABELS[m as Control] ?? m} ${formatMeanCi(c)}`)
    .join(", ");
  return [
    `${heading} RCS: ${r.plan.name}`,
    "",
    r.plan.description + ".",
    "",
    `Testing MAPE (fraction; mean ± 95% CI over ${it} iteration${it === 1 ? "" : "s"}, Student t). Best per column in bold.`,
    "",
    mapeTable(r),
    "",
    `Training MAPE (all shot counts pooled): ${trainLine}.`,
    "",
    `Median absolute percentage error (pooled over iterations; ${r.shots.map((s) => `${s}`).join("/")}-shot): ${r.methods
      .map((m) => `${METHOD_LABELS[m] ?? m} ${r.shots.map((s) => medianApe(r)[m][String(s)].toFixed(3)).join("/")}`)
      .join(", ")}.`,
    "",
    ...findings(r).map((f) => `- ${f}`),
    ...(r.controls.length
      ? ["", "Controls (what any embedding could give, and whether FLASH's MLP reads its embedding):", "", ...controlFindings(r).map((f) => `- ${f}`)]
      : []),
    "",
    ctx.paperTargets ? `Paper / issue targets: ${ctx.paperTargets}` : "",
    "",
    `![CDF of absolute percentage error](${figure}.png)`,
    "",
    `Profile \`${ctx.profile}\`, backend \`${ctx.backend}\`, ${r.seconds.toFixed(0)} s wall time. Settings: \`${JSON.stringify(ctx.settings)}\`.`,
    "",
  ].join("\n");
}
