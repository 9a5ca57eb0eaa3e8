/** DejaVu Sans widths for vega's headless layout: the table, bold, limits, and a figure no wider than its text. */
import t from "tap";
import { dejaVuSansWidth, isBold, vegaTextWidth } from "../../../experiments/report/text-width.js";
import { renderSvg } from "../../../experiments/report/figures.js";

t.test("widths are DejaVu Sans's advances (2048 units per em)", async (t) => {
  t.equal(dejaVuSansWidth("a", 2048), 1255, "regular a");
  t.equal(dejaVuSansWidth("W", 2048, true), 2259, "bold W");
  t.equal(dejaVuSansWidth(" ", 2048), 651, "space");
  t.equal(dejaVuSansWidth("~", 2048), 1716, "last printable ASCII");
  t.equal(dejaVuSansWidth("ii", 20), (2 * 569 * 20) / 2048, "scales with the size");
  t.equal(dejaVuSansWidth("±", 2048), 1303, "outside ASCII: a digit's width");
  t.ok(dejaVuSansWidth("reward drop", 12, true) > dejaVuSansWidth("reward drop", 12), "bold is wider");
  // vega's guess without a canvas is 0.8 em a character; DejaVu Sans text runs near 0.55 em.
  const text = "training returns normalised per pair: 0 = random policy, 1 = the pair's reference";
  const w = dejaVuSansWidth(text, 11);
  t.ok(w > 0.45 * text.length * 11 && w < 0.65 * text.length * 11, `a sentence is ${(w / text.length / 11).toFixed(2)} em a character`);
});

t.test("vega's item: default size 11, weight, and a limit that clamps the width", async (t) => {
  t.equal(vegaTextWidth({}, "ab"), dejaVuSansWidth("ab", 11));
  t.equal(vegaTextWidth({ fontSize: 20, fontWeight: "bold" }, " ab "), dejaVuSansWidth("ab", 20, true), "trimmed, bold");
  t.equal(vegaTextWidth({ fontSize: 12 }, null), 0);
  t.equal(vegaTextWidth({ fontSize: 12, limit: 30 }, "a long legend label"), 30, "wider than the limit: the limit");
  t.equal(vegaTextWidth({ fontSize: 12, limit: 300 }, "short"), dejaVuSansWidth("short", 12), "narrower: its own width");
  t.ok(isBold(700) && isBold("600") && isBold("bold") && !isBold("normal") && !isBold(400) && !isBold(undefined));
});

const long = "a subtitle long enough that vega's 0.8 em guess would make the figure far wider than its plot";
const spec = (labelLimit?: number) => ({
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  title: { text: "Short title", subtitle: long },
  width: 200,
  height: 100,
  data: { values: [{ x: 1, y: 1, c: "a legend label that is rather long indeed" }] },
  mark: "point",
  encoding: {
    x: { field: "x", type: "quantitative" },
    y: { field: "y", type: "quantitative" },
    color: { field: "c", type: "nominal", legend: labelLimit ? { labelLimit } : {} },
  },
});
const svgWidth = (svg: string) => Number(/width="(\d+)"/.exec(svg)?.[1]);

t.test("a figure is as wide as its text, not vega's guess of it", async (t) => {
  const svg = await renderSvg(spec());
  const subtitle = dejaVuSansWidth(long, 12); // vega-lite's subtitle size
  const guess = 0.8 * long.length * 12;
  t.ok(svgWidth(svg) >= subtitle, `the subtitle fits (${svgWidth(svg)} >= ${subtitle.toFixed(0)})`);
  t.ok(svgWidth(svg) < subtitle + 60, `no blank band (width ${svgWidth(svg)}, vega's guess alone ${guess.toFixed(0)})`);
});

t.test("a label over its limit is drawn truncated, and the layout makes room for the limit only", async (t) => {
  const svg = await renderSvg({ ...spec(60), title: "x" });
  // The drawn text (the aria-label keeps the whole label).
  t.match(svg, />a legend ?…<\/text>/, "truncated with an ellipsis");
  t.notMatch(svg, /rather long indeed<\/text>/);
  const full = await renderSvg({ ...spec(1000), title: "x" });
  t.match(full, />a legend label that is rather long indeed<\/text>/);
  t.ok(svgWidth(svg) < svgWidth(full) - 100, `the truncated legend takes less room (${svgWidth(svg)} < ${svgWidth(full)})`);
});
