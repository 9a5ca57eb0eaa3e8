/** The report's pool and pretraining-health part from a results object (and nothing when a run has none). */
import t from "tap";
import { fmtLevels, healthFigure, poolHealthMarkdown } from "../../../experiments/report/pool-report.js";
import type { LevelsJson, RlResults } from "../../../experiments/runner/results.js";

const lv = (mean: number, n: number, reps: number[]): LevelsJson => ({
  mean,
  ci95: 0.1,
  n,
  pairs: n,
  replicates: { mean: reps.reduce((a, b) => a + b, 0) / reps.length, ci95: reps.length > 1 ? 0.2 : null, n: reps.length, means: reps },
});

const results = {
  reward_drop: { flash: lv(0.5, 60, [0.4, 0.6]), tl: lv(0.45, 60, [0.4, 0.5]), tl_paper: null, original: null },
  reward_drop_pool: {
    flash: lv(0.1, 24, [0.1, 0.1]),
    tl: lv(0.3, 24, [0.3, 0.3]),
    tl_paper: lv(0.2, 2, [0.1, 0.3]),
    reference: "best fixed action",
    excluded: 1,
    samples: [],
  },
  controls: {
    oracle: { reward_drop: lv(0.7, 60, [0.2, 1.2]), reward_drop_pool: lv(0.05, 24, [0.05, 0.05]) },
    shuffled: { reward_drop: lv(0.5, 60, [0.5, 0.5]), reward_drop_pool: lv(0.12, 24, [0.1, 0.14]) },
    conditioning: {
      by_variant: [
        {
          variant: "oracle",
          pool_minus_tl: lv(-0.25, 24, [-0.25, -0.25]),
          new_minus_tl: lv(0.25, 60, [-0.2, 0.7]),
          finding: "cannot generalise",
          says: "oracle minus TL ...: cannot generalise",
        },
      ],
      flash_minus_shuffled_pool: lv(-0.02, 24, [0, -0.04]),
    },
  },
  pretraining_health: {
    rule: "the rule",
    runs: [
      {
        variant: "oracle",
        replicate: 0,
        pool_pairs: 12,
        vs_random: { mean: 70, ci95: 8, n: 12 },
        reward_drop_pool: { mean: 0.05, ci95: 0.05, n: 12 },
        failed: false,
        curve: [{ episode: 12, normalised: 0.2 }],
      },
      {
        variant: "oracle",
        replicate: 1,
        pool_pairs: 12,
        vs_random: { mean: 3, ci95: 9, n: 12 },
        reward_drop_pool: { mean: 0.95, ci95: 0.1, n: 12 },
        failed: true,
        curve: [{ episode: 12, normalised: 0.01 }],
      },
    ],
    failed: { oracle: { failed: 1, of: 2 } },
    reward_drop_healthy: { oracle: lv(0.2, 30, [0.2]) },
  },
} as unknown as RlResults;

t.test("fmtLevels: tests, pairs and replicate means", async (t) => {
  t.equal(fmtLevels(lv(0.5, 60, [0.4, 0.6])), "0.500 ± 0.100 (n=60; 2 replicates 0.500 ± 0.200)");
  t.equal(fmtLevels({ ...lv(0.5, 6, [0.5]), pairs: 3 }), "0.500 ± 0.100 (n=6 on 3 pairs)", "one replicate: no second level");
  t.equal(fmtLevels({ mean: 1, ci95: null, n: 1 }), "1.00 (n=1)");
  t.equal(fmtLevels(null), "n/a");
});

t.test("poolHealthMarkdown: pool vs new drops, the finding, the failed count and the failed run's curve", async (t) => {
  const L: string[] = [];
  poolHealthMarkdown(results, L);
  const md = L.join("\n");
  t.match(md, /## Controls on the pool/);
  t.match(md, /\| oracle context \| 0\.0500 ± 0\.100 \(n=24; 2 replicates 0\.0500 ± 0\.200\) \| 0\.700 ± 0\.100/);
  t.match(md, /- oracle minus TL \.\.\.: cannot generalise\./);
  t.match(md, /no sign that FLASH reads the pair's own embedding even there/);
  t.match(md, /Failed pretrainings: oracle 1 of 2\./);
  t.match(md, /\| oracle \| 1 \| 12 \| 3\.00 ± 9\.00 \(n=12\) \| 0\.950 ± 0\.100 \(n=12\) \| \*\*failed\*\* \| 0\.01 \|/);
  t.match(md, /- oracle: 0\.200 ± 0\.100 \(n=30\)/);
  const fig = healthFigure(results)["pretraining-health"] as unknown as { data: { values: { failed: string }[] } };
  t.same(
    fig.data.values.map((v) => v.failed),
    ["healthy", "failed"],
  );
  const none: string[] = [];
  poolHealthMarkdown({ ...results, reward_drop_pool: null, pretraining_health: undefined } as unknown as RlResults, none);
  t.same(none, [], "a run without pool tests: nothing");
  t.same(healthFigure({ ...results, pretraining_health: null } as unknown as RlResults), {});
});

t.test("the health figure's legend draws the dash it explains (a line symbol with a stroke)", async (t) => {
  const { renderSvg } = await import("../../../experiments/report/figures.js");
  const svg = await renderSvg(healthFigure(results)["pretraining-health"]);
  const symbols = [...svg.matchAll(/role-legend-symbol[^>]*><path[^>]*>/g)].map((m) => m[0]);
  const dashed = symbols.filter((s) => /stroke-dasharray="6,4"/.test(s));
  t.equal(dashed.length, 1, "one dashed legend symbol (failed)");
  t.match(dashed[0], /stroke="#[0-9a-f]+"/, "with a stroke colour, so it is visible");
  t.match(dashed[0], /d="M-?\d+,0L\d+,0"/, "a line, not a point");
});
