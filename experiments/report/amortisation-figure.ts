/**
 * The paper's Figure 15 (Appendix A.7): the average cost per application, pretraining
 * episodes amortised over the N applications adapted to plus the mean adaptation
 * episodes, against N, for FLASH and TL (and scratch, which pays no pretraining), with
 * FLASH's crossover with TL marked (protocols/amortisation.ts `break_even`). One panel for
 * a reproduction, one per pool size for a sweep. The band is the 95% interval of the mean
 * adaptation episodes; a run at the cap counts as the cap (the episodes it spent, a lower
 * bound on its cost to converge).
 */
import type { AmortisationJson, RlResults } from "../runner/results.js";
import type { VegaLiteSpec } from "./figures.js";

const LABEL: Record<string, string> = { flash: "FLASH", tl: "transfer learning", scratch: "from scratch" };
const COLOR: Record<string, string> = { flash: "#d62728", tl: "#1f77b4", scratch: "#7f7f7f" };
/** The band's floor on the log axis (a mean minus its interval can be below one episode). */
const FLOOR = 0.5;

interface Panel {
  name: string;
  curves: AmortisationJson[];
  /** The 95% half-width of each variant's mean adaptation episodes. */
  ci: Record<string, number>;
}

/** The panels of a run: one for a reproduction, one per pool size of a sweep. */
function panels(r: RlResults): Panel[] {
  const ciOf = (rows: { variant: string; episodes: { ci95: number | null } }[]) => Object.fromEntries(rows.map((x) => [x.variant, x.episodes.ci95 ?? 0]));
  if (r.sweep) return r.sweep.filter((s) => s.amortisation).map((s) => ({ name: `pool ${s.pool_size}`, curves: s.amortisation ?? [], ci: ciOf(s.adaptation) }));
  return r.amortisation ? [{ name: "this run", curves: r.amortisation, ci: ciOf(r.adaptation.by_variant) }] : [];
}

/** FLASH's crossover with TL in words, per panel: "FLASH <= TL from N = 23" or "FLASH never below TL". */
export function crossoverText(curves: readonly AmortisationJson[]): string {
  const be = curves.find((c) => c.variant === "flash")?.break_even.tl;
  if (be === undefined) return "—";
  return be === null ? "never: FLASH's amortised cost stays above TL's" : `from N = ${be} applications on, FLASH costs no more than TL per application`;
}

/** The Figure 15 spec (named "amortisation"), or {} without amortisation data. */
export function amortisationFigure(r: RlResults): Record<string, VegaLiteSpec> {
  const ps = panels(r);
  if (ps.length === 0) return {};
  const rows: Record<string, unknown>[] = [];
  for (const p of ps) {
    for (const c of p.curves) {
      const h = p.ci[c.variant] ?? 0;
      for (const pt of c.points)
        rows.push({
          kind: "cost",
          panel: p.name,
          variant: LABEL[c.variant] ?? c.variant,
          n: pt.n,
          cost: pt.per_pair,
          lo: Math.max(FLOOR, pt.per_pair - h),
          hi: pt.per_pair + h,
        });
    }
    const be = p.curves.find((c) => c.variant === "flash")?.break_even.tl;
    if (be !== undefined && be !== null) rows.push({ kind: "cross", panel: p.name, n: be, label: `FLASH <= TL from N = ${be}` });
    else rows.push({ kind: "none", panel: p.name, label: "FLASH never below TL" });
  }
  const variants = ["flash", "tl", "scratch"].filter((v) => ps.some((p) => p.curves.some((c) => c.variant === v)));
  const x = { field: "n", type: "quantitative", title: "applications adapted to (N, log scale)", scale: { type: "log", nice: false } };
  const color = {
    field: "variant",
    type: "nominal",
    title: "agent",
    scale: { domain: variants.map((v) => LABEL[v]), range: variants.map((v) => COLOR[v]) },
    legend: { symbolType: "stroke", symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const only = (kind: string) => [{ filter: `datum.kind === '${kind}'` }];
  const layer = [
    {
      transform: only("cost"),
      mark: { type: "line", strokeWidth: 2 },
      encoding: { x, y: { field: "cost", type: "quantitative", title: "episodes per application (log scale)", scale: { type: "log", nice: false } }, color },
    },
    { transform: only("cost"), mark: { type: "area", opacity: 0.15 }, encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color } },
    { transform: only("cross"), mark: { type: "rule", strokeDash: [5, 4], color: "#333" }, encoding: { x: { field: "n", type: "quantitative" } } },
    {
      transform: [{ filter: "datum.kind !== 'cost'" }],
      // Bottom left: the curves start high on the left (one application pays the whole pretraining).
      mark: { type: "text", align: "left", baseline: "bottom", fontSize: 12, color: "#333" },
      encoding: { text: { field: "label" }, x: { value: 6 }, y: { value: (ps.length > 1 ? 200 : 280) - 6 } },
    },
  ];
  const title = {
    text: "Amortised cost per application (the paper's Figure 15)",
    subtitle: [
      "pretraining episodes / N + mean adaptation episodes; band: 95% CI of the adaptation mean",
      "a run at the cap counts as the cap (the episodes it spent: a lower bound on its cost to converge); dashed: FLASH's crossover with TL",
    ],
  };
  const base = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", title, data: { values: rows } };
  if (ps.length === 1) return { amortisation: { ...base, width: 460, height: 280, layer } };
  return {
    amortisation: {
      ...base,
      columns: 3,
      facet: { field: "panel", type: "nominal", title: null, sort: ps.map((p) => p.name), header: { labelFontSize: 13 } },
      spec: { width: 260, height: 200, layer },
      resolve: { scale: { x: "independent" } },
    },
  };
}
