import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { amortisation } from "../../../experiments/protocols/amortisation.js";
import { amortisationFigure, crossoverText } from "../../../experiments/report/amortisation-figure.js";
import { renderSvg, writeFigure } from "../../../experiments/report/figures.js";
import type { AmortisationJson, RlResults } from "../../../experiments/runner/results.js";

const root = mkdtempSync(path.join(os.tmpdir(), "fig15-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** FLASH: 120 pretraining episodes, 5 per adaptation; TL: 100 and 10; scratch: 0 and 30. */
const curves = (maxN: number): AmortisationJson[] =>
  amortisation(
    [
      { variant: "flash", pretrainEpisodes: 120, adaptEpisodes: 5 },
      { variant: "tl", pretrainEpisodes: 100, adaptEpisodes: 10 },
      { variant: "scratch", pretrainEpisodes: 0, adaptEpisodes: 30 },
    ],
    maxN,
  ).map((c) => ({ variant: c.variant, points: c.points.map((p) => ({ n: p.n, per_pair: p.perPair })), break_even: c.breakEven }));
const ci = (mean: number, ci95: number) => ({ mean, ci95, n: 6 });
const byVariant = [
  { variant: "flash", episodes: ci(5, 2), converged_fraction: 1 },
  { variant: "tl", episodes: ci(10, 3), converged_fraction: 1 },
  { variant: "scratch", episodes: ci(30, 1), converged_fraction: 1 },
];
type Row = { kind: string; panel: string; variant?: string; n: number; cost: number; lo: number; hi: number; label?: string };
const rowsOf = (spec: Record<string, unknown>) => (spec.data as { values: Row[] }).values;

t.test("Figure 15 of a reproduction: per-application cost, its band and FLASH's crossover with TL", async (t) => {
  const r = { sweep: null, amortisation: curves(10), adaptation: { by_variant: byVariant } } as unknown as RlResults;
  const fig = amortisationFigure(r).amortisation;
  const rows = rowsOf(fig);
  const at = (variant: string, n: number) => rows.find((x) => x.kind === "cost" && x.variant === variant && x.n === n)!;
  // 120 / 4 + 5 = 35 = 100 / 4 + 10: they cross at N = 4.
  t.equal(at("FLASH", 4).cost, 35);
  t.equal(at("transfer learning", 4).cost, 35);
  t.equal(at("FLASH", 1).cost, 125, "one application pays the whole pretraining");
  t.same([at("FLASH", 4).lo, at("FLASH", 4).hi], [33, 37], "band: the adaptation mean's 95% CI");
  t.equal(at("from scratch", 7).cost, 30, "scratch pays no pretraining");
  const cross = rows.filter((x) => x.kind === "cross");
  t.same(
    cross.map((x) => [x.n, x.label]),
    [[4, "FLASH <= TL from N = 4"]],
  );
  t.equal(crossoverText(curves(10)), "from N = 4 applications on, FLASH costs no more than TL per application");
  const svg = await renderSvg(fig);
  t.match(svg, /FLASH &lt;= TL from N = 4|FLASH <= TL from N = 4/, "the crossover is labelled");
  t.match(svg, /applications adapted to/);
  const files = await writeFigure(root, "amortisation", fig);
  t.ok(files.png.endsWith(".png"));
});

t.test("Figure 15 of a sweep: one panel per pool size; a FLASH that never catches up says so", async (t) => {
  const never: AmortisationJson[] = amortisation(
    [
      { variant: "flash", pretrainEpisodes: 120, adaptEpisodes: 12 },
      { variant: "tl", pretrainEpisodes: 100, adaptEpisodes: 10 },
    ],
    10,
  ).map((c) => ({ variant: c.variant, points: c.points.map((p) => ({ n: p.n, per_pair: p.perPair })), break_even: c.breakEven }));
  const r = {
    sweep: [
      { pool_size: 6, amortisation: curves(10), adaptation: byVariant },
      { pool_size: 48, amortisation: never, adaptation: byVariant },
    ],
  } as unknown as RlResults;
  const fig = amortisationFigure(r).amortisation;
  t.same((fig.facet as { sort: string[] }).sort, ["pool 6", "pool 48"]);
  const rows = rowsOf(fig);
  t.same(
    rows.filter((x) => x.kind !== "cost").map((x) => [x.panel, x.label]),
    [
      ["pool 6", "FLASH <= TL from N = 4"],
      ["pool 48", "FLASH never below TL"],
    ],
  );
  t.equal(crossoverText(never), "never: FLASH's amortised cost stays above TL's");
  await writeFigure(root, "amortisation-sweep", fig);
  t.same(amortisationFigure({ sweep: null, amortisation: null } as unknown as RlResults), {}, "no data, no figure");
});
