import t from "tap";
import { renderSvg } from "../../../experiments/report/figures.js";
import { sweepFigures, sweepMarkdown } from "../../../experiments/report/sweep-report.js";
import type { RlResults } from "../../../experiments/runner/results.js";

const ci = (mean: number, ci95: number | null, n = 6) => ({ mean, ci95, n });
const entry = (pool_size: number, sp: number, flash: number, tl: number) => ({
  pool_size,
  speedup_vs_tl: { ...ci(sp, 0.4), ratio_of_means: sp, capped: 2 },
  reward_drop: { flash: ci(flash, 0.05), tl: ci(tl, 0.05), flash_minus_tl: ci(flash - tl, 0.03) },
  pretrain_episodes: { flash: 40 + pool_size, tl: 40 },
  adaptation: [],
  amortisation: null,
});
const power = {
  metric: "drop_flash",
  means: [
    { pool_size: 6, mean: 0.4, n: 6 },
    { pool_size: 48, mean: 0.2, n: 6 },
  ],
  observed: -0.2,
  overlap: false,
  sd_test: 0.05,
  sd_replicate: 0.04,
  observed_needs: { tests: 3, replicates: 1, by_replicate_means: 3 },
  stated: 0.1,
  stated_needs: { tests: 7, replicates: 3, by_replicate_means: 5 },
  paired: { mean: -0.2, ci95: 0.05, n: 6, sd: 0.05, observed_tests: 2, stated_tests: 3 },
};
const results = { sweep: [entry(6, 1.2, 0.4, 0.45), entry(48, 2.5, 0.2, 0.4)], sweep_power: [power] } as unknown as RlResults;

t.test("sweep figures: speedup and drop against pool size with interval bars", async (t) => {
  const figs = sweepFigures(results);
  t.same(Object.keys(figs).sort(), ["sweep-drop", "sweep-speedup"]);
  const values = (name: string) => (figs[name].data as { values: { pool: number; series: string; mean: number; lo: number; hi: number }[] }).values;
  t.same(
    values("sweep-speedup").map((v) => [v.pool, v.lo, v.hi].map((x) => Number(x.toFixed(6)))),
    [
      [6, 0.8, 1.6],
      [48, 2.1, 2.9],
    ],
  );
  t.same([...new Set(values("sweep-drop").map((v) => v.series))], ["FLASH", "TL", "FLASH - TL (paired)"]);
  const at6 = values("sweep-drop").filter((v) => v.pool === 6) as unknown as { x: number }[];
  t.ok(at6[0].x < 6 && at6[1].x === 6 && at6[2].x > 6, "series nudged apart around their pool size");
  const svg = await renderSvg(figs["sweep-drop"]);
  t.match(svg, /pretraining pool/, "x axis title rendered");
  t.match(svg, /FLASH - TL/, "legend rendered");
  t.same(sweepFigures({ sweep: null } as unknown as RlResults), {}, "no sweep, no figure");
});

t.test("sweep markdown: a row per pool size and the replicate counts", async (t) => {
  const md = sweepMarkdown(results).join("\n");
  t.match(md, /\| 6 \| 46 \/ 40 \| 1\.20 ± 0\.400 \(n=6\) \| 2 \| 0\.400 ± 0\.0500 \(n=6\) \| 0\.450 ± 0\.0500 \(n=6\) \| -0\.0500 ± 0\.0300 \(n=6\) \|/);
  t.match(md, /\| 48 \| 88 \/ 40 \| 2\.50 ± 0\.400/);
  t.match(
    md,
    /\| served drop, FLASH \| 6: 0\.400, 48: 0\.200 \| -0\.200 \| no \| 0\.050 \/ 0\.040 \| 3 tests = 1 replicates \(replicate means: 3\) \| 0\.1 \| 7 tests = 3 replicates/,
  );
  // Older results.json (before the drop per size) still render.
  const old = { sweep: [{ ...entry(6, 1, 0.1, 0.1), reward_drop: undefined }], sweep_power: undefined } as unknown as RlResults;
  t.match(sweepMarkdown(old).join("\n"), /\| 6 \| 46 \/ 40 \| .* \| n\/a \| n\/a \| n\/a \|/);
});
