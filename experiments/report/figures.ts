/**
 * Figures: a Vega-Lite spec is the source of truth; it is written as JSON beside an
 * SVG (vega's headless renderer) and a PNG (resvg, with the system's fonts, so text
 * renders without a browser). `flash report DIR` re-renders from the saved specs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { Resvg } from "@resvg/resvg-js";
import { vegaTextWidth } from "./text-width.js";

// Lay text out with the font's own widths, not vega's 0.8 em guess (text-width.ts).
(vega as unknown as { textMetrics: { width: typeof vegaTextWidth } }).textMetrics.width = vegaTextWidth;

/** A Vega-Lite top-level spec (kept loose: vega-lite validates it when compiling). */
export type VegaLiteSpec = Record<string, unknown>;

/** Defaults that keep every figure legible: white background, readable fonts, padding. */
const CONFIG = {
  background: "white",
  padding: 12,
  font: "DejaVu Sans",
  axis: { labelFontSize: 12, titleFontSize: 13, grid: true },
  legend: { labelFontSize: 12, titleFontSize: 13, labelLimit: 320 },
  title: { fontSize: 15, anchor: "start" },
};

/** Render a spec to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // vega tags inline data rows in place: compile a copy so the caller's spec stays as given.
  const copy = structuredClone(spec);
  const compiled = vegaLite.compile({ ...copy, config: { ...CONFIG, ...((copy.config as object) ?? {}) } } as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG string to PNG bytes at `scale` (2 = crisp on high-DPI screens). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const r = new Resvg(svg, { fitTo: { mode: "zoom", value: scale }, background: "white", font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } });
  return r.render().asPng();
}

/** Write `<dir>/<name>.vl.json`, `.svg` and `.png`; returns the three paths. */
export async function writeFigure(dir: string, name: string, spec: VegaLiteSpec): Promise<{ spec: string; svg: string; png: string }> {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, name);
  const files = { spec: `${base}.vl.json`, svg: `${base}.svg`, png: `${base}.png` };
  const svg = await renderSvg(spec);
  writeFileSync(files.spec, JSON.stringify(spec, null, 2) + "\n");
  writeFileSync(files.svg, svg);
  writeFileSync(files.png, svgToPng(svg));
  return files;
}
