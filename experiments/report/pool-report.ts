/**
 * The report's part on the controls on the pool and pretraining health (protocols/
 * pool-tests.ts, protocols/pretrain-health.ts): the served drops on the agents' own pool
 * pairs beside the new pairs', which finding holds (cannot condition / cannot
 * generalise), each pretraining's health with the failed count per variant, the drop
 * without failed replicates, and a figure of every pretraining's training curve (failed
 * ones marked). Read from results.json alone; absent parts (runs before them) are skipped.
 */
import { formatMeanCi, type MeanCi } from "../stats.js";
import type { VegaLiteSpec } from "./figures.js";
import type { LevelsJson, RlResults } from "../runner/results.js";

/** A mean with its interval, with the two levels' extras when it has them. */
type Stat = ({ mean: number; ci95: number | null; n: number } & Partial<Pick<LevelsJson, "pairs" | "replicates">>) | null | undefined;

/** "0.45 ± 0.12 (n=120; 4 replicates 0.45 ± 0.30)": over tests, and over replicate means when the value has them. */
export function fmtLevels(m: Stat, digits = 3): string {
  if (!m) return "n/a";
  const f = (x: { mean: number; ci95: number | null }) => formatMeanCi({ mean: x.mean, ci95: x.ci95 ?? NaN, n: 0 } as MeanCi, digits);
  const lv = m.replicates;
  const pairs = m.pairs;
  const tests = pairs !== undefined && pairs !== m.n ? `n=${m.n} on ${pairs} pairs` : `n=${m.n}`;
  return lv && lv.n > 1 ? `${f(m)} (${tests}; ${lv.n} replicates ${f(lv)})` : `${f(m)} (${tests})`;
}

const LABEL: Record<string, string> = { flash: "FLASH", tl: "TL", "tl-paper": "paper's TL", oracle: "oracle", shuffled: "FLASH, shuffled embedding" };

/** The pool section: drops on pool vs new pairs, the findings, pretraining health. */
export function poolHealthMarkdown(r: RlResults, L: string[]): void {
  const pool = r.reward_drop_pool;
  const c = r.controls;
  if (pool) {
    L.push("## Controls on the pool: can the agent condition, can it generalise?", "");
    L.push(`A pool pair's reference: ${pool.reference}. ${pool.excluded} pool test(s) excluded.`, "");
    L.push("| agent | drop on its own pool pairs | drop on new pairs |", "|---|---|---|");
    const row = (label: string, p: Stat, n: Stat) => L.push(`| ${label} | ${fmtLevels(p)} | ${fmtLevels(n)} |`);
    row("FLASH", pool.flash, r.reward_drop.flash);
    row("TL", pool.tl, r.reward_drop.tl);
    row("paper's TL (on the pair it was trained on)", pool.tl_paper, r.reward_drop.tl_paper);
    if (c.oracle) row("oracle context", c.oracle.reward_drop_pool, c.oracle.reward_drop);
    row("FLASH, shuffled embedding", c.shuffled.reward_drop_pool, c.shuffled.reward_drop);
    L.push("");
    for (const x of c.conditioning?.by_variant ?? []) if (x.says) L.push(`- ${x.says}.`);
    const fs = c.conditioning?.flash_minus_shuffled_pool;
    if (fs)
      L.push(
        `- FLASH minus the shuffled control on pool pairs: ${fmtLevels(fs)}` +
          (fs.ci95 !== null && fs.mean + fs.ci95 < 0
            ? ": FLASH reads the pair's own embedding there."
            : ": no sign that FLASH reads the pair's own embedding even there."),
      );
    L.push("");
  }
  const h = r.pretraining_health;
  if (!h) return;
  L.push("## Pretraining health", "", `Rule: ${h.rule}.`, "");
  L.push(
    `Failed pretrainings: ${Object.entries(h.failed)
      .map(([v, x]) => `${LABEL[v] ?? v} ${x.failed} of ${x.of}`)
      .join("; ")}.`,
    "",
  );
  L.push("| agent | replicate | pool pairs | served - random, per pool pair | drop on its pool pairs | failed | training curve (normalised, per block) |");
  L.push("|---|---:|---:|---|---|---|---|");
  for (const x of h.runs)
    L.push(
      `| ${LABEL[x.variant] ?? x.variant} | ${x.replicate} | ${x.pool_pairs} | ${fmtLevels(x.vs_random, 3)} | ${fmtLevels(x.reward_drop_pool)} | ` +
        `${x.failed === null ? "—" : x.failed ? "**failed**" : "no"} | ${x.curve.map((p) => p.normalised.toFixed(2)).join(" ")} |`,
    );
  L.push("", "New-pair drop without each variant's failed replicates (the headline keeps them):", "");
  for (const [v, d] of Object.entries(h.reward_drop_healthy)) L.push(`- ${LABEL[v] ?? v}: ${fmtLevels(d)}`);
  L.push("");
}

/** Every pretraining's training curve (normalised returns per block of episodes), one line each, failed ones dashed. */
export function healthFigure(r: RlResults): Record<string, VegaLiteSpec> {
  const h = r.pretraining_health;
  if (!h || h.runs.every((x) => x.curve.length === 0)) return {};
  const values = h.runs.flatMap((x) =>
    x.curve.map((p) => ({
      run: `${LABEL[x.variant] ?? x.variant} r${x.replicate}`,
      agent: LABEL[x.variant] ?? x.variant,
      failed: x.failed ? "failed" : "healthy",
      ...p,
    })),
  );
  return {
    "pretraining-health": {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      width: 460,
      height: 280,
      title: {
        text: "Pretraining curves on the pool pairs",
        subtitle: "training returns normalised per pair: 0 = random policy, 1 = the pair's reference; dashed: a failed pretraining",
      },
      data: { values },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "episode", type: "quantitative", title: "pretraining episode" },
        y: { field: "normalised", type: "quantitative", title: "(R - R_random) / (R_ref - R_random)" },
        color: { field: "agent", type: "nominal", title: "agent", legend: { symbolType: "stroke" } },
        detail: { field: "run", type: "nominal" },
        strokeDash: {
          field: "failed",
          type: "nominal",
          title: "pretraining",
          // A line symbol: the default point symbol cannot show the dash, so the legend did not say which is which.
          legend: { symbolType: "stroke", symbolStrokeWidth: 2, symbolSize: 400, encode: { symbols: { update: { stroke: { value: "#555" } } } } },
          scale: {
            domain: ["healthy", "failed"],
            range: [
              [1, 0],
              [6, 4],
            ],
          },
        },
      },
    } as VegaLiteSpec,
  };
}
