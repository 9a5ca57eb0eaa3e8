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

t.test("sweep markdown: rows per pool size and agent, speedups, crossover, the cap, and the replicate counts", async (t) => {
  const md = sweepMarkdown(results).join("\n");
  t.match(md, /\| 6 \| FLASH \| 46 \| n\/a \| — \| — \| — \| 0\.400 ± 0\.0500 \(n=6\) \|/);
  t.match(md, /\| {2}\| TL \| 40 \| n\/a \| — \| — \| — \| 0\.450 ± 0\.0500 \(n=6\) \|/);
  t.match(md, /\| 48 \| 2\.50 ± 0\.400 \(n=6\) \| 2\.50 \| — \| 2 \|/);
  t.match(md, /same total episodes/, "the budget is stated");
  t.match(
    md,
    /\| served drop, FLASH \| 6: 0\.400, 48: 0\.200 \| -0\.200 \| no \| 0\.050 \/ 0\.040 \| 3 tests = 1 replicates \(replicate means: 3\) \| 0\.1 \| 7 tests = 3 replicates/,
  );
  // Censoring-aware figures, the oracle and a per-pair budget.
  const cost = (variant: string, mean: number, censored: number, km: number | null) => ({
    variant,
    episodes: ci(mean, 1),
    converged_fraction: 1 - censored / 6,
    n: 6,
    restricted_mean: { ...ci(mean, 1.5), tau: 25 },
    km_median: km,
    censored,
  });
  const full = {
    ...entry(12, 1.5, 0.3, 0.35),
    adaptation: [cost("flash", 10, 1, 8), cost("tl", 20, 4, null), cost("oracle", 9, 0, 7), cost("scratch", 24, 5, null)],
    reward_drop: { flash: ci(0.3, 0.05), tl: ci(0.35, 0.05), flash_minus_tl: ci(-0.05, 0.03), oracle: ci(0.1, 0.02) },
    pretrain_episodes: { flash: 432, tl: 420, oracle: 420 },
    speedup_vs_tl: {
      ...ci(1.5, 0.4),
      ratio_of_means: 2,
      capped: 4,
      restricted_mean_ratio: { ...ci(2, 0.5), tau: 25 },
      km_median_ratio: { value: 25 / 8, bound: "at least" },
    },
    amortisation: [
      { variant: "flash", points: [], break_even: { tl: 2, scratch: 30 } },
      { variant: "tl", points: [], break_even: { flash: null } },
    ],
  };
  const withCensoring = { sweep: [full], adaptation: { cap: 25 }, config: { pretrainPerPair: 35 } } as unknown as RlResults;
  const m2 = sweepMarkdown(withCensoring).join("\n");
  t.match(m2, /35 episodes per pool pair/);
  t.match(m2, /\| 12 \| FLASH \| 432 \| 10\.0 ± 1\.00 \(n=6\) \| 10\.0 ± 1\.50 \(up to 25\) \| 8 \| 1 of 6 \| 0\.300 ± 0\.0500 \(n=6\) \|/);
  t.match(m2, /\| {2}\| TL \| 420 \| .* \| not reached \(> 25\) \| 4 of 6 \|/);
  t.match(m2, /\| {2}\| oracle \(control\) \| 420 \| .* \| 0\.100 ± 0\.0200 \(n=6\) \|/);
  t.match(m2, /\| {2}\| scratch \| 0 \| .* \| 5 of 6 \| — \|/);
  t.match(m2, /restricted-mean ratio 2\.00 ± 0\.500 \(up to 25\); KM-median ratio at least 3\.13/);
  t.match(m2, /from N = 2 applications on, FLASH costs no more than TL/);
  t.match(
    m2,
    /- Pool 12: \*\*The cap binds\*\* \(25 episodes\): FLASH 1 of 6 runs censored, TL 4 of 6 .*median not reached \(more than half censored\): TL, scratch/,
  );
  // Older results.json (before the drop per size and the censoring fields) still render.
  const old = { sweep: [{ ...entry(6, 1, 0.1, 0.1), reward_drop: undefined }], sweep_power: undefined } as unknown as RlResults;
  t.match(sweepMarkdown(old).join("\n"), /\| 6 \| FLASH \| 46 \| n\/a \| — \| — \| — \| n\/a \|/);
});
