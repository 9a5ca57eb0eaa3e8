/**
 * The report of an RL reproduction or sweep: `report.md` (tables with means and 95%
 * CIs, the paper's numbers beside ours, the definitions used, a plain verdict) and the
 * figures (Vega-Lite specs rendered to SVG and PNG in `figures/`): CDFs of reward drop
 * and of retraining cost, learning curves with CI bands, amortisation curves, and the
 * similarity scatters. Everything is rebuilt from results.json alone, so
 * `flash report DIR` re-renders without re-running.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { empiricalCdf, meanCi95, meanCiJson } from "../stats.js";
import { writeFigure, type VegaLiteSpec } from "./figures.js";
import { migrateResults, type RlResults } from "../runner/results.js";
import { sweepFigures, sweepMarkdown } from "./sweep-report.js";
import { fmtLevels, healthFigure, poolHealthMarkdown } from "./pool-report.js";
import { referenceRuleLine, referenceTable, roomLine, roomMarkdown } from "./room-report.js";
import { amortisationFigure, crossoverText } from "./amortisation-figure.js";
import { capBindsLine, censoredSpeedupText, censoredText, medianText, restrictedText } from "./censoring-report.js";

type Json = { mean: number; ci95: number | null; n: number } | null;

// Over tests, and over replicate means where the value has them (protocols/levels.ts).
const fmt = (m: Json, digits = 3): string => fmtLevels(m, digits);
const pct = (x: number | undefined) => (x === undefined ? "—" : `${(100 * x).toFixed(1)}%`);

const VARIANT_ORDER = ["flash", "tl", "tl-paper", "oracle", "shuffled", "flash-zero", "flash-before", "scratch", "original", "reference", "hpa", "vpa"];
const VARIANT_LABEL: Record<string, string> = {
  flash: "FLASH",
  tl: "transfer learning",
  "tl-paper": "TL (paper: one seen pair)",
  oracle: "oracle context (control)",
  shuffled: "FLASH, shuffled embedding (control)",
  "flash-zero": "FLASH, zero embedding (control)",
  "flash-before": "FLASH, earlier serve context",
  scratch: "from scratch",
  original: "original agent",
  reference: "reference (trained on the pair)",
  hpa: "Kubernetes HPA",
  vpa: "VPA-style",
};
const VARIANT_COLOR: Record<string, string> = {
  flash: "#d62728",
  tl: "#1f77b4",
  "tl-paper": "#17becf",
  oracle: "#bcbd22",
  shuffled: "#e377c2",
  "flash-zero": "#c49c94",
  "flash-before": "#ff9896",
  scratch: "#7f7f7f",
  original: "#2ca02c",
  reference: "#000000",
  hpa: "#ff7f0e",
  vpa: "#8c564b",
};
/** Colours for names without their own (a task's baselines, e.g. the five Linux governors): distinct, in order. */
const SPARE_COLORS = ["#9467bd", "#8c6d31", "#393b79", "#637939", "#843c39", "#7b4173", "#e7ba52", "#3182bd"];
const colorScale = (variants: string[]) => {
  const spare = variants.filter((v) => !VARIANT_COLOR[v]);
  return {
    domain: variants.map((v) => VARIANT_LABEL[v] ?? v),
    range: variants.map((v) => VARIANT_COLOR[v] ?? SPARE_COLORS[spare.indexOf(v) % SPARE_COLORS.length]),
  };
};

/** Drops past this band squeeze every other curve into a sliver (a reference barely above random makes a drop of thousands): the axis stops there. */
const DROP_AXIS: [number, number] = [-1, 3];

function present(vs: string[]): string[] {
  return VARIANT_ORDER.filter((v) => vs.includes(v)).concat(vs.filter((v) => !VARIANT_ORDER.includes(v)));
}

const FIGURE_BASE = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", width: 460, height: 280 };
type Figures = Record<string, VegaLiteSpec>;

/** The CDF of reward drops per served variant. */
function rewardDropFigure(r: RlResults): Figures {
  const figs: Figures = {};
  const base = FIGURE_BASE;
  const dropRows: { variant: string; value: number; fraction: number }[] = [];
  const dropVariants = present([...new Set(r.reward_drop.samples.map((s) => s.variant))]);
  for (const v of dropVariants)
    for (const p of empiricalCdf(r.reward_drop.samples.filter((s) => s.variant === v).map((s) => s.drop)))
      dropRows.push({ variant: VARIANT_LABEL[v] ?? v, ...p });
  if (dropRows.length) {
    const beyond = dropRows.filter((d) => d.value < DROP_AXIS[0] || d.value > DROP_AXIS[1]).length;
    const lo = Math.max(DROP_AXIS[0], Math.min(...dropRows.map((d) => d.value)));
    const hi = Math.min(DROP_AXIS[1], Math.max(...dropRows.map((d) => d.value)));
    const cut = beyond ? `; axis cut to [${DROP_AXIS.join(", ")}]: ${beyond} of ${dropRows.length} tests beyond` : "";
    figs["reward-drop-cdf"] = {
      ...base,
      title: {
        text: "Reward drop without retraining (A/B tests)",
        subtitle: `drop = (R_ref - R) / (R_ref - R_random): 0 = reference, 1 = random policy${cut}`,
      },
      data: { values: dropRows },
      mark: { type: "line", interpolate: "step-after", point: true, strokeWidth: 2, clip: true },
      encoding: {
        x: { field: "value", type: "quantitative", title: "reward drop", ...(beyond ? { scale: { domain: [lo, hi] } } : {}) },
        y: { field: "fraction", type: "quantitative", title: "fraction of tests (CDF)", scale: { domain: [0, 1] } },
        color: { field: "variant", type: "nominal", title: "agent", scale: colorScale(dropVariants) },
      },
    };
  }
  return figs;
}

/** The CDF of episodes to convergence per variant. */
function retrainingCostFigure(r: RlResults): Figures {
  const figs: Figures = {};
  const base = FIGURE_BASE;
  const costRows: { variant: string; value: number; fraction: number }[] = [];
  const costVariants = present([...new Set(r.adaptation.costs.map((c) => c.variant))]);
  for (const v of costVariants)
    for (const p of empiricalCdf(r.adaptation.costs.filter((c) => c.variant === v).map((c) => c.episodes)))
      costRows.push({ variant: VARIANT_LABEL[v] ?? v, ...p });
  if (costRows.length) {
    figs["retraining-cost-cdf"] = {
      ...base,
      title: {
        text: "Retraining cost on new pairs",
        subtitle: `episodes to convergence (MA ${r.adaptation.window}, within ${100 * r.adaptation.tolerance}%; cap ${r.adaptation.cap} = never converged)`,
      },
      data: { values: costRows },
      mark: { type: "line", interpolate: "step-after", point: true, strokeWidth: 2 },
      encoding: {
        x: { field: "value", type: "quantitative", title: "episodes to convergence", scale: { domain: [0, r.adaptation.cap] } },
        y: { field: "fraction", type: "quantitative", title: "fraction of adaptations (CDF)", scale: { domain: [0, 1] } },
        color: { field: "variant", type: "nominal", title: "agent", scale: colorScale(costVariants) },
      },
    };
  }
  return figs;
}

/** Normalised learning curves on the new pairs, mean and 95% band. */
function learningCurvesFigure(r: RlResults): Figures {
  const figs: Figures = {};
  const base = FIGURE_BASE;
  const curveVariants = present([...new Set(r.adaptation.curves.map((c) => c.variant))]);
  if (r.adaptation.curves.length) {
    const rows = r.adaptation.curves.map((c) => ({ ...c, variant: VARIANT_LABEL[c.variant] ?? c.variant }));
    const enc = {
      x: { field: "episode", type: "quantitative", title: "episode on the new pair" },
      color: {
        field: "variant",
        type: "nominal",
        title: "agent",
        scale: colorScale(curveVariants),
        legend: { symbolType: "stroke", symbolStrokeWidth: 3, symbolOpacity: 1 },
      },
    };
    figs["learning-curves"] = {
      ...base,
      title: {
        text: "Learning curves on new pairs (mean, 95% CI band)",
        subtitle: [
          r.convergence_curve === "evaluation" ? "deterministic evaluation return after each training episode" : "training return per episode",
          "normalised (R - R_random) / (R_ref - R_random); dashed: the convergence band's edge",
        ],
      },
      data: { values: rows },
      layer: [
        // The line first: the legend takes its symbols from the first layer.
        { mark: { type: "line", strokeWidth: 2 }, encoding: { ...enc, y: { field: "mean", type: "quantitative", title: "normalised return" } } },
        { mark: { type: "area", opacity: 0.18 }, encoding: { ...enc, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } },
        {
          data: { values: [{ y: 1 - r.adaptation.tolerance }] },
          mark: { type: "rule", strokeDash: [5, 4], color: "#444" },
          encoding: { y: { field: "y", type: "quantitative" } },
        },
      ],
    };
  }
  return figs;
}

/** A similarity scatter: the correlation in the subtitle (after `prefix`), one point per test. */
function similarityScatter(
  c: RlResults["similarity"]["drop" | "cost"],
  title: string,
  prefix: string,
  values: object[],
  axes: { x: string; y: string },
  color?: object,
): VegaLiteSpec {
  const corr = `Pearson r = ${c.pearson?.toFixed(2) ?? "n/a"}, Spearman = ${c.spearman?.toFixed(2) ?? "n/a"}, n = ${c.points.length}`;
  return {
    ...FIGURE_BASE,
    title: { text: title, subtitle: `${prefix}${corr}` },
    data: { values },
    mark: { type: "point", filled: true, size: 60 },
    encoding: {
      x: { field: "x", type: "quantitative", title: axes.x, scale: { zero: false } },
      y: { field: "y", type: "quantitative", title: axes.y },
      ...(color ? { color } : {}),
    },
  };
}

/** Embedding similarity against the original agent's drop. */
function similarityDropFigure(r: RlResults): Figures {
  const d = r.similarity.drop;
  if (!d.points.length) return {};
  const title = "Embedding similarity vs reward drop of the original agent";
  const axes = { x: "similarity of training and served pair", y: "reward drop" };
  return { "similarity-vs-drop": similarityScatter(d, title, "S(e_trained, e_served); ", d.points, axes) };
}

/** Similarity to the nearest pool pair against retraining cost. */
function similarityCostFigure(r: RlResults): Figures {
  const c = r.similarity.cost;
  if (!c.points.length) return {};
  const values = c.points.map((p) => ({ ...p, variant: VARIANT_LABEL[p.variant] ?? p.variant }));
  const color = { field: "variant", type: "nominal", title: "agent", scale: colorScale(["flash", "tl"]) };
  const axes = { x: "similarity to nearest pool pair", y: "episodes to convergence" };
  return { "similarity-vs-cost": similarityScatter(c, "Similarity to the nearest pretraining pair vs retraining cost", "", values, axes, color) };
}

/** Reward drop after an application update, per scenario. */
function updateDropFigure(r: RlResults): Figures {
  const figs: Figures = {};
  const base = FIGURE_BASE;
  const up = r.updates;
  if (up) {
    const vs = present(Object.keys(up.all));
    const rows = Object.entries(up.by_scenario).flatMap(([sc, x]) =>
      vs.flatMap((v) => {
        const d = x.variants[v]?.reward_drop;
        return d ? [{ scenario: sc, variant: VARIANT_LABEL[v] ?? v, mean: d.mean }] : [];
      }),
    );
    // Each test as a point: with few replicates a t-interval says little and stretches the axis.
    const points = up.samples.map((s) => ({ scenario: s.scenario, variant: VARIANT_LABEL[s.variant] ?? s.variant, drop: s.drop }));
    const enc = {
      x: { field: "scenario", type: "nominal", title: "update scenario", axis: { labelAngle: -30 } },
      xOffset: { field: "variant", type: "nominal", sort: vs.map((v) => VARIANT_LABEL[v] ?? v) },
      color: { field: "variant", type: "nominal", title: "agent", scale: colorScale(vs) },
    };
    figs["update-drop"] = {
      ...base,
      title: {
        text: "Reward drop after an application update (no retraining)",
        subtitle: ["original agent: trained on the application before the update", "bars: mean; points: each test (replicate)"],
      },
      layer: [
        {
          data: { values: rows },
          mark: { type: "bar", opacity: 0.85 },
          encoding: { ...enc, y: { field: "mean", type: "quantitative", title: "reward drop (0 = reference, 1 = random)" } },
        },
        {
          data: { values: points },
          mark: { type: "point", filled: true, color: "#222", size: 30 },
          encoding: { x: enc.x, xOffset: enc.xOffset, y: { field: "drop", type: "quantitative" } },
        },
      ],
    };
  }
  return figs;
}

/** One CDF per operational metric. */
function operationsFigures(r: RlResults): Figures {
  const figs: Figures = {};
  const base = FIGURE_BASE;
  const ops = r.operations;
  if (ops) {
    const vs = present([...new Set(ops.samples.map((s) => s.variant))]);
    for (const [name, label] of Object.entries(ops.labels)) {
      const rows: { variant: string; value: number; fraction: number }[] = [];
      for (const v of vs)
        for (const p of empiricalCdf(ops.samples.filter((s) => s.variant === v && s.metrics[name] !== undefined).map((s) => s.metrics[name])))
          rows.push({ variant: VARIANT_LABEL[v] ?? v, ...p });
      figs[`operations-${name}`] = {
        ...base,
        title: { text: label.split(" (")[0], subtitle: [label, "one point per served test (agents) or per new pair and replicate (reference, baselines)"] },
        data: { values: rows },
        mark: { type: "line", interpolate: "step-after", point: true, strokeWidth: 2 },
        encoding: {
          x: { field: "value", type: "quantitative", title: label.split(" (")[0] },
          y: { field: "fraction", type: "quantitative", title: "fraction (CDF)", scale: { domain: [0, 1] } },
          color: { field: "variant", type: "nominal", title: "policy", scale: colorScale(vs) },
        },
      };
    }
  }
  Object.assign(figs, sweepFigures(r));
  return figs;
}

/** The figure specs of a results object, by file name (in the order the report shows them). */
export function rlFigures(r: RlResults): Record<string, VegaLiteSpec> {
  const steps = [
    rewardDropFigure,
    retrainingCostFigure,
    learningCurvesFigure,
    amortisationFigure,
    similarityDropFigure,
    similarityCostFigure,
    updateDropFigure,
    operationsFigures,
    healthFigure,
  ];
  return Object.assign({}, ...steps.map((figure) => figure(r))) as Figures;
}

/** What the learning curves are, in words (results.json `convergence_curve`). */
function curveText(r: Pick<RlResults, "convergence_curve">): string {
  return r.convergence_curve === "evaluation"
    ? "deterministic evaluation returns (one fixed evaluation window after every training episode)"
    : "training returns";
}

/** Headline rows of the paper's TL, the paper's drop and the controls (absent from runs before they existed). */
function controlRows(r: RlResults, L: string[]): void {
  const c = r.controls;
  if (!c) return;
  L.push(`| adaptation speedup, FLASH vs the paper's TL (one previously seen pair, then fine-tuned) | ${fmt(r.adaptation_speedup_vs_tl_paper)} | — |`);
  L.push(`| reward drop, the paper's TL | ${fmt(r.reward_drop.tl_paper ?? null)} | — |`);
  const pd = r.reward_drop_paper ?? {};
  L.push(
    `| paper's drop 1 - R/R_ref: FLASH / TL / paper's TL / original | ` +
      `${["flash", "tl", "tl_paper", "original"].map((v) => fmt(pd[v] ?? null)).join(" / ")} | ${pct(p(r)?.reward_drop_flash)} / — / — / ` +
      `${pct(p(r)?.reward_drop_original)} |`,
  );
  if (c.oracle) {
    L.push(`| control: reward drop, oracle context (true parameters in place of the embedding) | ${fmt(c.oracle.reward_drop)} | — |`);
    L.push(
      `| control: adaptation speedup, oracle vs TL / vs the paper's TL | ${fmt(c.oracle.speedup_vs_tl as Json)} / ` +
        `${fmt(c.oracle.speedup_vs_tl_paper as Json)} | — |`,
    );
  }
  L.push(`| control: reward drop, FLASH served with another pool pair's embedding | ${fmt(c.shuffled.reward_drop)} | — |`);
  L.push(`| control: reward drop, FLASH served with the zero vector | ${fmt(c.zero.reward_drop)} | — |`);
  L.push(
    `| control: reward drop, FLASH with the earlier serve context (deterministic, first episode with the zero vector) | ${fmt(c.before.reward_drop)} | — |`,
  );
  L.push(`| control: embedding probe, leave-one-out R² of a linear map embedding -> true parameters | ${fmt(c.probe_r2)} | — |`);
}

const p = (r: RlResults) => r.paper as { reward_drop_original?: number; reward_drop_flash?: number } | null;
const below = (a: Json, b: Json) => !!a && !!b && a.mean + (a.ci95 ?? Infinity) < b.mean - (b.ci95 ?? Infinity);

/** What the controls say, in words. */
function controlVerdict(r: RlResults, L: string[]): void {
  const c = r.controls;
  if (!c) return;
  const dF = r.reward_drop.flash;
  const dT = r.reward_drop.tl;
  if (c.oracle && c.oracle.reward_drop && dT) {
    const dOr = c.oracle.reward_drop;
    const sp = c.oracle.speedup_vs_tl as Json;
    const beatsDrop = below(dOr, dT);
    const beatsSp = !!sp && sp.mean - (sp.ci95 ?? Infinity) > 1;
    const fsp = r.adaptation_speedup_vs_tl;
    const flashBeats = below(dF, dT) || (!!fsp && fsp.mean - (fsp.ci95 ?? Infinity) > 1);
    if (!beatsDrop && !beatsSp && flashBeats) {
      L.push(
        `- Oracle: the agent given the pairs' true parameters did not beat TL (drop ${dOr.mean.toFixed(3)} vs ${dT.mean.toFixed(3)}), but FLASH did: ` +
          `the raw parameters were harder for this agent to use than the learned embedding, so this oracle does not bound what an embedding can give here.`,
      );
    } else if (!beatsDrop && !beatsSp && (dOr.mean < dT.mean || (!!sp && sp.mean > 1))) {
      // Better means but overlapping intervals: this run cannot tell room from noise.
      // Say which of the two means was better: the drop and the speedup can disagree.
      const better = [dOr.mean < dT.mean ? "a lower drop" : "", !!sp && sp.mean > 1 ? "a faster adaptation" : ""].filter(Boolean).join(" and ");
      const worse = dOr.mean >= dT.mean ? "; its drop was higher" : !!sp && sp.mean <= 1 ? "; it adapted no faster" : "";
      L.push(
        `- Oracle: the agent given the pairs' true parameters had ${better} than TL on average (drop ${dOr.mean.toFixed(3)} vs ${dT.mean.toFixed(3)}; ` +
          `speedup ${sp ? sp.mean.toFixed(2) : "n/a"})${worse}, but the intervals overlap: this run cannot tell whether there is room for an embedding; ` +
          `it needs more replicates or pairs.`,
      );
    } else if (!beatsDrop && !beatsSp) {
      // The room benchmark, when it finds room, says the parameters would pay: then the agent, not the task, is what stops the oracle.
      const conclusion =
        r.room?.verdict.outcome === "room"
          ? "yet the room benchmark below finds room (pairs need different fixed actions): at this budget the agent does not use what the parameters say"
          : "on this task and budget there is no room for any embedding to beat TL";
      L.push(
        `- Oracle: the agent given the pairs' true parameters did not beat TL (drop ${dOr ? dOr.mean.toFixed(3) : "n/a"} vs ` +
          `${dT ? dT.mean.toFixed(3) : "n/a"}; speedup ${sp ? sp.mean.toFixed(2) : "n/a"}): ${conclusion}.`,
      );
    } else {
      L.push(
        `- Oracle: the true parameters beat TL (${beatsDrop ? "drop intervals apart" : "drop not separated"}; ` +
          `${beatsSp ? "speedup interval above 1" : "speedup interval includes 1"}): there is room; the gap between FLASH (drop ` +
          `${dF ? dF.mean.toFixed(3) : "n/a"}) and the oracle (${dOr ? dOr.mean.toFixed(3) : "n/a"}) is the meta learner's.`,
      );
    }
  }
  const dS = c.shuffled.reward_drop;
  if (dF && dS) {
    const verdict = below(dF, dS)
      ? "its own embedding helps (intervals apart)"
      : "no clear difference: the served agent does not use what tells this pair's embedding from a pool pair's";
    L.push(`- Shuffled: FLASH with another pool pair's embedding had drop ${dS.mean.toFixed(3)} vs ${dF.mean.toFixed(3)} with its own: ${verdict}.`);
  }
  if (c.probe_r2) L.push(`- Probe: a linear map recovers the true parameters from the embedding with leave-one-out R² ${c.probe_r2.mean.toFixed(2)}.`);
}

/** Title, description, backend, replicates and wall time. */
function headerSection(r: RlResults, L: string[]): void {
  L.push(`# ${r.task}: ${r.command} (${r.profile} profile)`, "");
  L.push(`${r.describe}.`, "");
  if (r.profile_purpose) L.push(`Profile **${r.profile}**: ${r.profile_purpose}.`, "");
  L.push(
    `Backend **${r.backend}**, ${r.config.seeds} replicate(s) (run seed ${r.seeds.run}), ${r.wall.workers} worker(s), wall time ` +
      `${(r.wall.units_span_seconds ?? r.wall.seconds).toFixed(0)} s from first unit start to last unit end ` +
      `(this invocation ${r.wall.seconds.toFixed(0)} s: ${r.wall.ran_units} units run, ${r.wall.resumed_units} resumed; unit time summed ` +
      `${r.wall.unit_seconds_sum.toFixed(0)} s${cpuWords(r)}), git ${r.provenance?.git.commit?.slice(0, 10) ?? "?"}` +
      `${r.provenance?.git.dirty ? " (uncommitted changes)" : ""}.`,
    "",
  );
}

/** "; CPU 1234 s over every invocation: about 617 s of wall time on 2 quiet core(s)" when every invocation recorded its CPU seconds. */
function cpuWords(r: RlResults): string {
  const inv = r.wall.invocations ?? [];
  if (inv.length === 0 || inv.some((i) => i.cpu_seconds === undefined)) return "";
  const cpu = inv.reduce((a, i) => a + (i.cpu_seconds as number), 0);
  const cores = Math.max(1, r.wall.workers);
  return `; CPU ${cpu.toFixed(0)} s over every invocation: about ${(cpu / cores).toFixed(0)} s of wall time on ${cores} quiet core(s)`;
}

/** The headline table against the paper and the verdict. */
function headlineSection(r: RlResults, L: string[]): void {
  const p = r.paper as { speedup_vs_tl?: number; reward_drop_original?: number; reward_drop_flash?: number; source?: string } | null;
  const baselines = Object.entries(r.baselines ?? {});
  const sp = r.adaptation_speedup_vs_tl;
  const dF = r.reward_drop.flash;
  const dO = r.reward_drop.original;
  L.push("## Headline", "", "| metric | this run (mean ± 95% CI) | paper |", "|---|---|---|");
  L.push(
    `| adaptation speedup, FLASH vs TL (episodes TL / FLASH, per test) | ` +
      `${fmt(sp)}${sp ? `; ratio of means ${sp.ratio_of_means.toFixed(2)}; ${sp.capped} test(s) with a capped run` : ""} | ` +
      `${p?.speedup_vs_tl ? `${p.speedup_vs_tl}x` : "—"} |`,
  );
  if (sp?.restricted_mean_ratio) L.push(`| adaptation speedup, FLASH vs TL, censoring-aware (runs at the cap censored) | ${censoredSpeedupText(sp)} | — |`);
  L.push(`| adaptation speedup, FLASH vs scratch | ${fmt(r.adaptation_speedup_vs_scratch)} | — |`);
  L.push(`| reward drop, original agent | ${fmt(dO)} | ${pct(p?.reward_drop_original)} |`);
  L.push(`| reward drop, FLASH | ${fmt(dF)} | ${pct(p?.reward_drop_flash)} |`);
  L.push(`| reward drop, TL (pool-trained, no embedding) | ${fmt(r.reward_drop.tl)} | — |`);
  controlRows(r, L);
  if (p?.source) L.push("", `Paper numbers: ${p.source}.`);
  L.push("", "### Verdict", "");
  controlVerdict(r, L);
  // A sweep says it per pool size (sweep-report.ts); its main run adapts nothing but scratch.
  const binds = r.sweep ? null : capBindsLine(r.adaptation.by_variant, r.adaptation.cap, (v) => VARIANT_LABEL[v] ?? v);
  if (binds) L.push(binds);
  if (sp) {
    const lo = sp.mean - (sp.ci95 ?? Infinity);
    L.push(
      `- Adaptation: FLASH ${sp.mean > 1 ? (lo > 1 ? "beat" : "was faster than, but not significantly (CI includes 1),") : "did not beat"} transfer ` +
        `learning (mean speedup ${sp.mean.toFixed(2)}${sp.ci95 !== null ? ` ± ${sp.ci95.toFixed(2)}` : ", one test, no interval"}).`,
    );
  }
  if (dF && dO) {
    const diff = dO.mean - dF.mean;
    const ciF = dF.ci95 ?? NaN;
    const ciO = dO.ci95 ?? NaN;
    const separated = dF.mean + ciF < dO.mean - ciO;
    L.push(
      `- Reward drop: FLASH ${diff > 0 ? (separated ? "beat" : "was lower than, but with overlapping intervals,") : "did not beat"} the original agent ` +
        `(${dF.mean.toFixed(3)} vs ${dO.mean.toFixed(3)}).`,
    );
  }
  if (r.reward_drop.excluded) L.push(`- ${r.reward_drop.excluded} A/B test(s) excluded: their pair's reference was no better than random.`);
  for (const line of [referenceRuleLine(r.reference_rule, r.reward_drop.excluded), roomLine(r.room)]) if (line) L.push(line);
  for (const [, b] of baselines) {
    if (!b.reward_drop || !dF) continue;
    const d = b.reward_drop;
    const better = dF.mean < d.mean;
    const noCi = dF.ci95 === null || d.ci95 === null;
    const apart = !noCi && (better ? dF.mean + (dF.ci95 as number) < d.mean - (d.ci95 as number) : d.mean + (d.ci95 as number) < dF.mean - (dF.ci95 as number));
    const how = noCi ? "no interval: too few tests" : apart ? "intervals apart" : "overlapping intervals";
    L.push(
      `- Against ${b.label}: FLASH without retraining ${better ? "had the lower" : "did not have the lower"} reward drop (${dF.mean.toFixed(3)} vs ` +
        `${d.mean.toFixed(3)}; ${how}).`,
    );
  }
  L.push("");
}

/** The non-ML baselines beside the served agents. */
function baselinesSection(r: RlResults, L: string[]): void {
  const baselines = Object.entries(r.baselines ?? {});
  if (baselines.length) {
    const served = (v: string) => {
      const xs = (r.reward_drop.served ?? []).filter((s) => s.variant === v).map((s) => s.reward);
      return xs.length ? meanCiJson(meanCi95(xs)) : null;
    };
    const refRewards = r.references.map((x) => x.eval_return);
    L.push(
      "## Non-ML baselines users run today",
      "",
      "Evaluated on every new pair on the same evaluation windows as the agents; reward drop with the agents' definition (0 = the pair's reference " +
        "agent, 1 = random policy).",
      "",
      "| policy | reward (mean ± 95% CI) | reward drop (mean ± 95% CI) |",
      "|---|---|---|",
    );
    for (const [, b] of baselines) L.push(`| ${b.label} | ${fmt(b.reward)} | ${fmt(b.reward_drop)}${b.excluded ? `; ${b.excluded} excluded` : ""} |`);
    L.push(`| FLASH, no retraining | ${fmt(served("flash"))} | ${fmt(r.reward_drop.flash)} |`);
    L.push(`| transfer learning, no retraining | ${fmt(served("tl"))} | ${fmt(r.reward_drop.tl)} |`);
    L.push(`| original agent (trained on another pair) | ${fmt(served("original"))} | ${fmt(r.reward_drop.original)} |`);
    L.push(
      `| reference agent (trained on the pair; per pair, mean over replicates) | ${fmt(refRewards.length ? meanCiJson(meanCi95(refRewards)) : null)} | ` +
        `0 by definition |`,
    );
    L.push("");
  }
}

/** The application-update experiment per scenario. */
function updatesSection(r: RlResults, L: string[]): void {
  if (r.updates) {
    const u = r.updates;
    const vs = present(Object.keys(u.all));
    L.push(
      "## Application updates (the paper's Appendix A.3 scenarios)",
      "",
      "Each updated pair is a new pair's application changed by one scenario, on the same trace. The original agent is the one trained on the " +
        "application before the update; FLASH and TL are the pool-trained agents (FLASH embeds the updated pair first). Reward drop against a " +
        "reference trained on the updated pair (mean ± 95% CI over replicates).",
      "",
      `| scenario | updated pair(s) |${vs.map((v) => ` ${VARIANT_LABEL[v] ?? v} drop |`).join("")}`,
      `|---|---|${vs.map(() => "---|").join("")}`,
    );
    for (const [sc, x] of Object.entries(u.by_scenario))
      L.push(`| ${sc} | ${x.pairs.join(", ")} |${vs.map((v) => ` ${fmt(x.variants[v]?.reward_drop ?? null)} |`).join("")}`);
    L.push(`| **all** | |${vs.map((v) => ` ${fmt(u.all[v]?.reward_drop ?? null)} |`).join("")}`);
    if (u.excluded) L.push("", `${u.excluded} test(s) excluded: their updated pair's reference was no better than random.`);
    L.push("");
  }
}

/** Operational metrics per policy. */
function operationsSection(r: RlResults, L: string[]): void {
  if (r.operations) {
    const o = r.operations;
    const names = Object.keys(o.labels);
    L.push(
      "## Operational metrics (the paper's Figure 8 utilisation and SLO panels)",
      "",
      "Per-step means over the evaluation episodes: the agents as served in the A/B test (no retraining), the references and non-ML baselines on " +
        "their own pair.",
      "",
      `| policy |${names.map((n) => ` ${o.labels[n]} |`).join("")}`,
      `|---|${names.map(() => "---|").join("")}`,
    );
    for (const v of present(Object.keys(o.by_variant))) L.push(`| ${VARIANT_LABEL[v] ?? v} |${names.map((n) => ` ${fmt(o.by_variant[v][n])} |`).join("")}`);
    L.push("");
  }
}

/** Episodes to convergence per agent and per test. */
function adaptationSection(r: RlResults, L: string[]): void {
  const cap = r.adaptation.cap;
  L.push(
    "## Adaptation cost (episodes to convergence on new pairs)",
    "",
    `Mean episodes count a run that never converged as the cap (${cap}); the restricted mean (up to the cap, large-sample 95% interval) and the ` +
      "Kaplan-Meier median treat it as censored (experiments/protocols/censoring.ts).",
    "",
    "| agent | episodes (mean ± 95% CI) | converged within the cap | restricted mean (± 95% CI) | KM median | censored |",
    "|---|---|---|---|---|---|",
  );
  for (const v of r.adaptation.by_variant)
    L.push(
      `| ${VARIANT_LABEL[v.variant] ?? v.variant} | ${fmt(v.episodes)} | ${(100 * v.converged_fraction).toFixed(0)}% | ${restrictedText(v)} | ` +
        `${medianText(v, cap)} | ${censoredText(v)} |`,
    );
  L.push("", "| pair | replicate | agent | episodes | converged |", "|---|---:|---|---:|---|");
  for (const c of [...r.adaptation.costs].sort((a, b) => (a.pair + a.replicate + a.variant < b.pair + b.replicate + b.variant ? -1 : 1)))
    L.push(`| ${c.pair} | ${c.replicate} | ${VARIANT_LABEL[c.variant] ?? c.variant} | ${c.episodes} | ${c.converged ? "yes" : "no (cap)"} |`);
  L.push("");
}

/** Pretraining episodes and seconds, and amortisation. */
function pretrainingSection(r: RlResults, L: string[]): void {
  L.push("## Pretraining", "", "| agent | episodes (incl. warm-up) | wall seconds per replicate |", "|---|---:|---|");
  for (const [v, x] of Object.entries(r.pretraining)) L.push(`| ${VARIANT_LABEL[v] ?? v} | ${x.episodes} | ${fmt(x.seconds, 3)} |`);
  L.push("");
  if (r.amortisation) {
    L.push(
      "## Amortisation",
      "",
      "Per-pair cost with N new pairs adapted = pretraining episodes / N + mean adaptation episodes.",
      "",
      "| agent | break-even vs |",
      "|---|---|",
    );
    for (const c of r.amortisation)
      L.push(
        `| ${VARIANT_LABEL[c.variant] ?? c.variant} | ${Object.entries(c.break_even)
          .map(([k, n]) => `${VARIANT_LABEL[k] ?? k}: ${n === null ? "never" : `N >= ${n}`}`)
          .join("; ")} |`,
      );
    L.push("", `FLASH against TL (Figure 15's crossover): ${crossoverText(r.amortisation)}.`, "");
  }
}

/** The sweep over pretraining-pool sizes (sweep-report.ts). */
function sweepSection(r: RlResults, L: string[]): void {
  if (r.sweep) L.push(...sweepMarkdown(r));
}

/** Similarity against drop and cost. */
function similaritySection(r: RlResults, L: string[]): void {
  L.push("## Similarity vs drop and cost", "", "| relation | n | Pearson r | Spearman rho |", "|---|---:|---:|---:|");
  const cr = (c: { n: number; pearson: number | null; spearman: number | null }) =>
    `${c.n} | ${c.pearson?.toFixed(3) ?? "n/a"} | ${c.spearman?.toFixed(3) ?? "n/a"}`;
  L.push(`| S(trained pair, served pair) vs drop of the original agent | ${cr(r.similarity.drop)} |`);
  L.push(`| S(new pair, nearest pool pair) vs adaptation episodes | ${cr(r.similarity.cost)} |`, "");
}

/** The reference, random-policy and baseline returns per new pair, and the reference rule's choice. */
function referencesSection(r: RlResults, L: string[]): void {
  const baselines = Object.entries(r.baselines ?? {});
  if (r.reference_rule) {
    const label = (id: string) => r.baselines?.[id]?.label.split(" (")[0] ?? id;
    L.push(
      "## References: the RL reference and the best policy that needs no learning",
      "",
      "The drop's zero and the convergence target are the stronger of the two (experiments/protocols/reference.ts): the RL reference when it " +
        "reaches the best fixed action and every baseline that reads only what the agent reads, else that policy (its evaluation return; the " +
        "learning-curve level raised by its margin). Bounds read hidden state and are never the reference.",
      "",
      ...referenceTable([...r.references, ...(r.updates?.references ?? [])], label),
      "",
    );
  }
  L.push(
    "## References per new pair",
    "",
    `| pair | reference (deterministic eval) | reference (last-window mean of the learning curve) | random policy ` +
      `|${baselines.map(([, b]) => ` ${b.label.split(" (")[0]} |`).join("")}`,
    `|---|---:|---:|---:|${baselines.map(() => "---:|").join("")}`,
  );
  for (const x of r.references) {
    const bs = baselines.map(([, b]) => ` ${b.by_pair[x.pair] === undefined ? "—" : b.by_pair[x.pair].toFixed(1)} |`).join("");
    L.push(`| ${x.pair} | ${x.eval_return.toFixed(1)} | ${x.train_level.toFixed(1)} | ${x.baseline.toFixed(1)} |${bs}`);
  }
  L.push("");
  const rt = r.reference_training;
  if (rt)
    L.push(
      `References trained for at least ${rt.min_episodes} episodes, then until their learning curve plateaued (the last ${r.adaptation.window} ` +
        `episodes improving on the ${r.adaptation.window} before by less than ${100 * r.adaptation.tolerance}% of their distance from the random ` +
        `policy; experiments/protocols/plateau.ts), with a cap of ${rt.cap}: ${rt.plateau} of ${rt.runs} runs stopped on a plateau, ` +
        `${rt.capped} reached the cap${rt.capped ? " (their level may still have been rising: a lower bound)" : ""}; episodes per run ` +
        `${rt.episodes.mean.toFixed(0)} (${rt.episodes.min}-${rt.episodes.max}).`,
      "",
    );
}

/** The figures with their paper counterparts. */
function figuresSection(figures: string[], L: string[]): void {
  if (figures.length) {
    L.push("## Figures", "");
    const paperFig: Record<string, string> = {
      "reward-drop-cdf": "the paper's Figures 8(a), 9(a), 14(a) (CDF of reward drop, FLASH vs the original agent)",
      "retraining-cost-cdf": "the paper's Figures 8(b), 9(b), 14(b) (CDF of retraining episodes, FLASH vs TL)",
      amortisation: "the paper's Figure 15 (Appendix A.7)",
      "similarity-vs-drop": "the paper's Figure 10 (5.5)",
      "similarity-vs-cost": "the paper's Figure 10 (5.5)",
      "update-drop": "the paper's application-update experiment (Appendix A.3)",
      "operations-cpuUtil": "the paper's Figure 8 CPU-utilisation panel",
      "operations-slo": "the paper's Figure 8 SLO-preservation panel",
    };
    for (const f of figures)
      L.push(`![${f}](figures/${f}.png)`, "", `[spec](figures/${f}.vl.json) · [svg](figures/${f}.svg)${paperFig[f] ? ` · compare ${paperFig[f]}` : ""}`, "");
  }
}

/** The definitions the numbers use. */
function definitionsSection(r: RlResults, L: string[]): void {
  const curveWords = curveText(r);
  const baselines = Object.entries(r.baselines ?? {});
  L.push(
    "## Definitions",
    "",
    `- **Episodes to convergence** (experiments/protocols/convergence.ts): the first episode after which the ${r.adaptation.window}-episode moving ` +
      `average of ${curveWords} (expanding over the first episodes) stays at or above reference - ${r.adaptation.tolerance} x |reference - ` +
      `random-policy return| until the end of the run; the reference is the mean of the last ${r.adaptation.window} episodes of the same curve of ` +
      `agents trained on that pair alone${r.reference_rule ? ", raised by the best non-learning policy's margin where that policy is the pair's reference" : ""}; ` +
      `a run that never gets there counts as the cap (${r.adaptation.cap}).`,
    "- **Reward drop** (experiments/protocols/reward-drop.ts): (R_ref - R) / (R_ref - R_random), R the deterministic evaluation return with no weight " +
      "update, R_ref the reference agents' deterministic evaluation return on that pair" +
      (r.reference_rule ? " or, where it is higher, the best policy that needs no learning's (the reference rule, experiments/protocols/reference.ts)" : "") +
      "; equals 1 - R / R_ref when R_random = 0. Pendulum's rewards are negative, so the random-policy return is the zero point.",
    "- **Speedup**: per (pair, replicate), TL episodes / FLASH episodes; mean with a 95% Student-t interval (experiments/stats.ts).",
    "- **Censoring** (experiments/protocols/censoring.ts): a run that has not converged when its curve ends is censored (its episodes to " +
      "convergence exceed those observed). Restricted mean = the area under the Kaplan-Meier curve up to the cap (equal to the mean episodes when " +
      "every censored run was observed to the cap), with a large-sample 95% interval; KM median = the first episode at which at most half the runs " +
      "have not converged; the censoring-aware speedup is the ratio of restricted means on the paired tests (95% jackknife interval over tests) " +
      "and of KM medians (a bound when a median is not reached).",
    "- **Original agent** in the A/B test: the reference agent of one new pair served on other new pairs. **TL**: the same agent without embedding, " +
      "pretrained on the same pool with the same budget, then fine-tuned. **FLASH**: pretrained with the meta learner trained by the critic loss, then " +
      "fine-tuned with the meta learner frozen; its embedding comes from the new pair's first trajectories (every episode counted).",
    "",
  );
  if (baselines.length) {
    L.push(
      `- **Non-ML baselines** (${baselines.map(([, b]) => b.label).join("; ")}): evaluated by the task in each reference unit on the same evaluation ` +
        `windows as the agents; their reward drop is the same function as the agents' (experiments/protocols/reward-drop.ts \`drops\`), one test per ` +
        `(new pair, replicate).`,
      "",
    );
  }
}

/** report.md of a results object: one named section after another, in reading order. */
export function rlMarkdown(r: RlResults, figures: string[]): string {
  const L: string[] = [];
  headerSection(r, L);
  headlineSection(r, L);
  poolHealthMarkdown(r, L);
  baselinesSection(r, L);
  updatesSection(r, L);
  operationsSection(r, L);
  adaptationSection(r, L);
  pretrainingSection(r, L);
  sweepSection(r, L);
  similaritySection(r, L);
  referencesSection(r, L);
  if (r.room) L.push(...roomMarkdown(r.room));
  figuresSection(figures, L);
  definitionsSection(r, L);
  return L.join("\n");
}

/** Write figures and report.md for `results` into `dir`. */
export async function writeRlReport(dir: string, r: RlResults): Promise<string[]> {
  const figs = rlFigures(r);
  const names: string[] = [];
  for (const [name, spec] of Object.entries(figs)) {
    await writeFigure(path.join(dir, "figures"), name, spec);
    names.push(name);
  }
  writeFileSync(path.join(dir, "report.md"), rlMarkdown(r, names));
  return names;
}

/** `flash report DIR`: re-render from DIR/results.json (flash-adapt-results@2, or @1 migrated). */
export async function rerender(dir: string): Promise<string[]> {
  // An older format is migrated in memory only: results.json stays as it was written.
  const file = path.join(dir, "results.json");
  return writeRlReport(dir, migrateResults(JSON.parse(readFileSync(file, "utf8")), file));
}
