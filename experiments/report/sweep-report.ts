/**
 * The pool-size sweep's part of the RL report (rl-report.ts calls it): per pool size and
 * agent (FLASH, TL, the oracle, scratch) the adaptation cost, censoring-aware
 * (censoring-report.ts), and the served drop; per size the speedups over TL and FLASH's
 * amortised crossover with TL (Figure 15, amortisation-figure.ts); figures of speedup and
 * drop against pool size with interval bars; and, from the measured spread, how many
 * replicates a pool-size effect would need for intervals that do not overlap
 * (experiments/protocols/pool-sweep.ts `poolEffects`).
 */
import { formatMeanCi, type MeanCi } from "../stats.js";
import type { RlResults, SweepPointJson } from "../runner/results.js";
import type { VegaLiteSpec } from "./figures.js";
import { crossoverText } from "./amortisation-figure.js";
import { capBindsLine, censoredSpeedupText, censoredText, medianText, restrictedText } from "./censoring-report.js";

type Json = { mean: number; ci95: number | null; n: number } | null | undefined;

const fmt = (m: Json, digits = 3): string => (m ? `${formatMeanCi({ mean: m.mean, ci95: m.ci95 ?? NaN, n: m.n } as MeanCi, digits)} (n=${m.n})` : "n/a");

const METRIC_LABEL: Record<string, string> = {
  speedup_vs_tl: "speedup, FLASH vs TL (x)",
  drop_flash: "served drop, FLASH",
  drop_tl: "served drop, TL",
  drop_flash_minus_tl: "served drop, FLASH - TL (paired)",
};

/** Series colours: FLASH and TL as in every other figure of the report, their difference apart. */
const SERIES_COLOR: Record<string, string> = {
  FLASH: "#d62728",
  TL: "#1f77b4",
  oracle: "#bcbd22",
  "FLASH - TL (paired)": "#ff7f0e",
  "FLASH vs TL": "#d62728",
  "oracle vs TL": "#bcbd22",
};

/**
 * One row per (pool size, series): mean and the 95% interval's ends (the mean alone when
 * there is no interval); `x` nudges each series sideways on the log axis so bars at one
 * size do not hide each other.
 */
function rows(r: RlResults, pick: (s: NonNullable<RlResults["sweep"]>[number]) => Record<string, Json>) {
  const out: { pool: number; x: number; series: string; mean: number; lo: number; hi: number; n: number }[] = [];
  for (const s of r.sweep ?? []) {
    const entries = Object.entries(pick(s)).filter(([, m]) => m);
    for (const [i, [series, m]] of entries.entries()) {
      if (!m) continue;
      const h = m.ci95 ?? 0;
      const x = s.pool_size * Math.pow(1.06, i - (entries.length - 1) / 2);
      out.push({ pool: s.pool_size, x, series, mean: m.mean, lo: m.mean - h, hi: m.mean + h, n: m.n });
    }
  }
  return out;
}

function errorBarChart(title: string, subtitle: string[], yTitle: string, values: ReturnType<typeof rows>, sizes: number[], rule?: number): VegaLiteSpec {
  const x = {
    field: "x",
    type: "quantitative",
    title: "pretraining pool (pairs, log scale)",
    scale: { type: "log", domain: [sizes[0] * 0.8, sizes[sizes.length - 1] * 1.25] },
    axis: { values: sizes },
  };
  const series = [...new Set(values.map((v) => v.series))];
  const color = { field: "series", type: "nominal", title: "", scale: { domain: series, range: series.map((v) => SERIES_COLOR[v] ?? "#7f7f7f") } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: 460,
    height: 280,
    title: { text: title, subtitle },
    data: { values },
    layer: [
      {
        mark: { type: "line", point: { filled: true, size: 60 }, strokeWidth: 2 },
        encoding: { x, y: { field: "mean", type: "quantitative", title: yTitle }, color },
      },
      { mark: { type: "rule", strokeWidth: 2 }, encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color } },
      ...(rule === undefined
        ? []
        : [
            {
              data: { values: [{ y: rule }] },
              mark: { type: "rule", strokeDash: [5, 4], color: "#444" },
              encoding: { y: { field: "y", type: "quantitative" } },
            },
          ]),
    ],
  };
}

/** The sweep's figures: speedup and served drop against pool size, mean with 95% interval bars. */
export function sweepFigures(r: RlResults): Record<string, VegaLiteSpec> {
  if (!r.sweep?.length) return {};
  const sizes = r.sweep.map((s) => s.pool_size).sort((a, b) => a - b);
  const figs: Record<string, VegaLiteSpec> = {};
  const sp = rows(r, (s) => ({ "FLASH vs TL": s.speedup_vs_tl, "oracle vs TL": s.oracle_speedup_vs_tl }));
  if (sp.length)
    figs["sweep-speedup"] = errorBarChart(
      "Adaptation speedup vs pretraining-pool size",
      ["TL episodes / FLASH episodes to convergence per (new pair, replicate); mean, bars: 95% CI", "dashed: no speedup"],
      "speedup over TL (TL episodes / episodes)",
      sp,
      sizes,
      1,
    );
  const dr = rows(r, (s) => ({
    FLASH: s.reward_drop?.flash,
    TL: s.reward_drop?.tl,
    oracle: s.reward_drop?.oracle,
    "FLASH - TL (paired)": s.reward_drop?.flash_minus_tl,
  }));
  if (dr.length)
    figs["sweep-drop"] = errorBarChart(
      "Served reward drop vs pretraining-pool size",
      ["no retraining; 0 = the pair's reference, 1 = random policy; mean, bars: 95% CI", "dashed: zero (FLASH - TL below it: FLASH better)"],
      "reward drop",
      dr,
      sizes,
      0,
    );
  return figs;
}

const num = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(d));
const need = (n: { tests: number | null; replicates: number | null; by_replicate_means: number | null }) =>
  n.tests === null ? "— (no finite answer)" : `${n.tests} tests = ${n.replicates} replicates (replicate means: ${n.by_replicate_means ?? "—"})`;

const paired = (p: { mean: number; ci95: number | null; n: number; observed_tests: number | null; stated_tests: number | null } | null | undefined) =>
  p ? `${fmt(p)} (${p.observed_tests ?? "—"} / ${p.stated_tests ?? "—"})` : "—";

/** One Markdown table row. */
const row = (cells: readonly unknown[]): string => `| ${cells.join(" | ")} |`;

const AGENT: Record<string, string> = { flash: "FLASH", tl: "TL", oracle: "oracle (control)", scratch: "scratch" };
const AGENTS = ["flash", "tl", "oracle", "scratch"];

/** The per-size, per-agent rows: pretraining episodes, adaptation cost (capped mean and censoring-aware) and served drop. */
function agentRows(s: SweepPointJson, cap: number): string[] {
  const drop: Record<string, Json> = { flash: s.reward_drop?.flash, tl: s.reward_drop?.tl, oracle: s.reward_drop?.oracle };
  const pre: Record<string, number | null | undefined> = { ...s.pretrain_episodes, scratch: s.adaptation.some((x) => x.variant === "scratch") ? 0 : null };
  return AGENTS.flatMap((v, i) => {
    const a = s.adaptation.find((x) => x.variant === v);
    if (!a && drop[v] == null && pre[v] == null) return [];
    return [
      row([
        i === 0 ? s.pool_size : "",
        AGENT[v],
        pre[v] ?? "—",
        fmt(a?.episodes),
        restrictedText(a),
        a ? medianText(a, cap) : "—",
        censoredText(a),
        v === "scratch" ? "—" : fmt(drop[v]),
      ]),
    ];
  });
}

/** The sweep's Markdown: per size and agent, the speedups and crossover per size, and the replicates a pool-size effect would need. */
export function sweepMarkdown(r: RlResults): string[] {
  if (!r.sweep?.length) return [];
  const cap = r.adaptation?.cap ?? NaN;
  const perPair = r.config?.pretrainPerPair;
  const L: string[] = [
    "## Sweep over pretraining-pool sizes",
    "",
    perPair
      ? `Every pool size pretrains for ${perPair} episodes per pool pair (pool size x ${perPair}; the paper: about 35 per application at 200), ` +
        "so data grows with the pool as in the paper; FLASH's count adds its warm-up episode per pool pair."
      : "Every pool size pretrains for the same total episodes (pool pairs round-robin), so a larger pool means fewer episodes per pair: " +
        "the sweep isolates diversity from data volume; FLASH's count adds its warm-up episode per pool pair.",
    "",
    "### Adaptation cost and served drop per pool size (mean ± 95% CI over tests: new pairs x replicates)",
    "",
    `Episodes count a run that never converged as the cap (${cap}); the restricted mean up to the cap and the Kaplan-Meier median treat it as ` +
      "censored (experiments/protocols/censoring.ts). The oracle is the agent given the pairs' true parameters in place of the embedding.",
    "",
    "| pool | agent | pretraining episodes | episodes | restricted mean | KM median | censored | served drop |",
    "|---:|---|---:|---|---|---|---|---|",
  ];
  for (const s of r.sweep) L.push(...agentRows(s, cap));
  L.push(
    "",
    "### Speedup over TL and amortised cost per pool size",
    "",
    row([
      "pool",
      "FLASH vs TL, per-test ratio",
      "ratio of means",
      "censoring-aware",
      "tests with a capped run",
      "oracle vs TL, per-test ratio",
      "oracle, censoring-aware",
      "drop FLASH - TL (paired)",
      "Figure 15: FLASH vs TL",
    ]),
    "|---:|---|---:|---|---:|---|---|---|---|",
  );
  for (const s of r.sweep) {
    const o = s.oracle_speedup_vs_tl;
    L.push(
      row([
        s.pool_size,
        fmt(s.speedup_vs_tl),
        s.speedup_vs_tl ? s.speedup_vs_tl.ratio_of_means.toFixed(2) : "—",
        censoredSpeedupText(s.speedup_vs_tl),
        s.speedup_vs_tl?.capped ?? "—",
        fmt(o),
        censoredSpeedupText(o),
        fmt(s.reward_drop?.flash_minus_tl),
        s.amortisation ? crossoverText(s.amortisation) : "—",
      ]),
    );
  }
  L.push("");
  const binds = r.sweep.map((s) => [s.pool_size, capBindsLine(s.adaptation, cap, (v) => AGENT[v] ?? v)] as const).filter(([, l]) => l !== null);
  for (const [n, l] of binds) L.push((l as string).replace(/^- /, `- Pool ${n}: `));
  if (binds.length) L.push("");
  const pw = r.sweep_power ?? [];
  if (pw.length) {
    L.push(
      "### Replicates a pool-size effect would need",
      "",
      "Effect: the largest pool's mean minus the smallest's. Tests per size for 95% intervals that do not overlap (2 t sd / sqrt(n) < |effect|), " +
        "from the pooled per-test standard deviation; replicates = tests / new pairs per replicate. In parentheses, from the spread of " +
        "per-replicate means (tests of one replicate share its pretraining, so this is the more conservative count, in replicates). Last column: " +
        "the paired design (the same new pairs and environment seeds at every size), whose interval only has to exclude zero.",
      "",
      row([
        "metric",
        "means by pool size",
        "observed effect",
        "end intervals overlap",
        "sd per test / per replicate mean",
        "needs, observed effect",
        "stated effect",
        "needs, stated effect",
        "paired: largest - smallest pool per test (tests to exclude 0: observed / stated effect)",
      ]),
      "|---|---|---:|---|---|---|---:|---|---|",
    );
    for (const e of pw)
      L.push(
        row([
          METRIC_LABEL[e.metric] ?? e.metric,
          e.means.map((m) => `${m.pool_size}: ${num(m.mean)}`).join(", "),
          num(e.observed),
          e.overlap === null ? "—" : e.overlap ? "yes" : "no",
          `${num(e.sd_test)} / ${num(e.sd_replicate)}`,
          need(e.observed_needs),
          e.stated,
          need(e.stated_needs),
          paired(e.paired),
        ]),
      );
    L.push("");
  }
  return L;
}
