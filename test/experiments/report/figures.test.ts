import t from "tap";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { renderSvg, writeFigure } from "../../../experiments/report/figures.js";

const cdf = {
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  title: "Reward drop CDF",
  width: 360,
  height: 220,
  data: { values: [0.05, 0.1, 0.3, 0.2].map((v, i) => ({ drop: v, fraction: (i + 1) / 4, method: i % 2 ? "FLASH" : "original" })) },
  mark: "line",
  encoding: {
    x: { field: "drop", type: "quantitative", title: "reward drop" },
    y: { field: "fraction", type: "quantitative", title: "CDF" },
    color: { field: "method", type: "nominal" },
  },
};

t.test("a Vega-Lite spec renders to an SVG with its axis titles and to a PNG", async (t) => {
  const svg = await renderSvg(cdf);
  t.match(svg, /^<svg/);
  t.match(svg, /reward drop/, "x axis title in the SVG");
  t.match(svg, /FLASH/, "legend entry in the SVG");
  const dir = mkdtempSync(path.join(os.tmpdir(), "flash-fig-"));
  const files = await writeFigure(dir, "cdf", cdf);
  const png = readFileSync(files.png);
  t.same([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG", "PNG signature");
  t.ok(png.readUInt32BE(16) > 700, "rendered at 2x (width in the IHDR chunk)");
  t.same(JSON.parse(readFileSync(files.spec, "utf8")), cdf, "the spec is saved as given");
});

t.test("an invalid spec is an error, not an empty picture", async (t) => {
  await t.rejects(renderSvg({ data: { values: [] }, mark: "no-such-mark" }));
});
