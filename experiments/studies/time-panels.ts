/**
 * The figure of one episode step by step: stacked panels (one per quantity, each with its
 * own y scale) of step lines, one colour per policy. Shared by the congestion time series
 * and the cpufreq frequency traces.
 */
import { writeFigure } from "../report/figures.js";

/** One point: `policy`'s value of the quantity named by `panel` at time `x`. */
export interface PanelPoint {
  policy: string;
  x: number;
  panel: string;
  value: number;
}

/** Writes `<outDir>/<name>.{vl.json,svg,png}`. */
export async function writeTimePanels(outDir: string, name: string, title: string, xTitle: string, values: PanelPoint[]): Promise<void> {
  await writeFigure(outDir, name, {
    title,
    data: { values },
    facet: { row: { field: "panel", type: "nominal", title: null } },
    spec: {
      width: 640,
      height: 160,
      mark: { type: "line", interpolate: "step-after" },
      encoding: {
        x: { field: "x", type: "quantitative", title: xTitle },
        y: { field: "value", type: "quantitative", title: null },
        color: { field: "policy", type: "nominal" },
      },
    },
    resolve: { scale: { y: "independent" } },
  });
}
