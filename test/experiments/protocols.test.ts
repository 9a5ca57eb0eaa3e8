import t from "tap";
import { rewardDrop, drops, paperDrop, type PairReference } from "../../experiments/protocols/reward-drop.js";
import { adaptationCosts, speedup, summariseCosts, type Curve } from "../../experiments/protocols/adaptation.js";
import { amortisation, breakEvenN } from "../../experiments/protocols/amortisation.js";
import { correlation, pearson, ranks, spearman } from "../../experiments/protocols/similarity.js";

t.test("reward drop: 1 - R/R_ref with a zero baseline; random-policy normalisation for negative rewards", async (t) => {
  t.equal(rewardDrop(63, 100), 0.37); // the paper's positive-reward case
  t.equal(rewardDrop(100, 100), 0);
  t.equal(rewardDrop(120, 100), -0.2, "better than the reference: negative drop");
  // Pendulum-like: reference -150, random -1150: served at -650 lost half the gain.
  t.equal(rewardDrop(-650, -150, -1150), 0.5);
  t.equal(rewardDrop(-1150, -150, -1150), 1, "as bad as random: 1");
  t.ok(rewardDrop(-1400, -150, -1150) > 1, "worse than random: above 1");
  // The naive formula would call the worse -650 a *negative* drop:
  t.ok(1 - -650 / -150 < 0);
  t.ok(Number.isNaN(rewardDrop(-500, -600, -500)), "no gain over random: undefined");
  t.throws(() => rewardDrop(NaN, 1), /finite numbers/);
  const refs = new Map<string, PairReference>([
    ["a", { pair: "a", evalReturn: -100, trainLevel: -120, baseline: -1100 }],
    ["z", { pair: "z", evalReturn: -900, trainLevel: -900, baseline: -800 }],
  ]);
  const d = drops(
    [
      { variant: "flash", replicate: 0, pair: "a", reward: -350 },
      { variant: "original", replicate: 0, pair: "z", trainedOn: "a", reward: -850 },
    ],
    refs,
  );
  t.equal(d.drops.length, 1);
  t.equal(d.drops[0].drop, 0.25);
  t.equal(d.excluded.length, 1, "a pair whose reference is worse than random is excluded and counted");
  t.throws(() => drops([{ variant: "flash", replicate: 0, pair: "nope", reward: 1 }], refs), /no reference for pair "nope"/);
});

t.test("adaptation cost and speedup (paired by pair and replicate)", async (t) => {
  const refs = new Map<string, PairReference>([
    ["p", { pair: "p", evalReturn: 100, trainLevel: 100, baseline: 0 }],
    ["q", { pair: "q", evalReturn: 100, trainLevel: 100, baseline: 0 }],
  ]);
  const step = (at: number, n = 40) => Array.from({ length: n }, (_, i) => (i + 1 >= at ? 100 : 0));
  // With an expanding 10-episode MA, a 0 -> 100 step at episode s converges at s + 9 (once ten 100s are in the window), except s = 1.
  const curves: Curve[] = [
    { variant: "flash", pair: "p", replicate: 0, returns: step(1) },
    { variant: "tl", pair: "p", replicate: 0, returns: step(11) },
    { variant: "flash", pair: "q", replicate: 0, returns: step(6) },
    { variant: "tl", pair: "q", replicate: 0, returns: new Array(40).fill(0) },
    { variant: "scratch", pair: "q", replicate: 0, returns: step(21) },
  ];
  const costs = adaptationCosts(curves, refs, { cap: 40, window: 10, tolerance: 0.05 });
  t.same(
    costs.map((c) => [c.variant, c.pair, c.episodes, c.converged, c.observed]),
    [
      ["flash", "p", 1, true, 40],
      ["tl", "p", 20, true, 40],
      ["flash", "q", 15, true, 40],
      ["tl", "q", 40, false, 40],
      ["scratch", "q", 30, true, 40],
    ],
  );
  const sp = speedup(costs, "flash", "tl", 40)!;
  t.equal(sp.n, 2);
  t.equal(sp.meanRatio.mean, (20 / 1 + 40 / 15) / 2);
  t.equal(sp.ratioOfMeans, 30 / 8);
  t.equal(sp.capped, 1, "the test where TL hit the cap is counted");
  // Every censored run was observed to the cap: the restricted-mean ratio is the ratio of means.
  t.equal(sp.censored.restrictedRatio.mean.toFixed(12), (30 / 8).toFixed(12));
  t.equal(speedup(costs, "flash", "scratch", 40)!.n, 1, "only pairs present for both variants");
  t.equal(speedup(costs, "flash", "none", 40), null);
  const byV = summariseCosts(costs, 40);
  t.same(
    byV.map((v) => [v.variant, v.n, v.convergedFraction]),
    [
      ["flash", 2, 1],
      ["tl", 2, 0.5],
      ["scratch", 1, 1],
    ],
  );
});

t.test("amortisation: per-pair cost and break-even", async (t) => {
  t.equal(breakEvenN(100, 5, 0, 30), 4, "100/N + 5 <= 30 from N = 4");
  t.equal(breakEvenN(100, 30, 0, 30), Infinity, "no per-pair saving: never");
  t.equal(breakEvenN(0, 5, 100, 30), 1, "cheaper on both counts: at once");
  t.equal(breakEvenN(100, 5, 100, 10), 1, "same pretraining, cheaper adaptation: at once");
  t.equal(breakEvenN(150, 5, 100, 10), 10, "50 more pretraining episodes repaid at 5 per pair");
  const [f, tl, s] = amortisation(
    [
      { variant: "flash", pretrainEpisodes: 100, adaptEpisodes: 5 },
      { variant: "tl", pretrainEpisodes: 100, adaptEpisodes: 20 },
      { variant: "scratch", pretrainEpisodes: 0, adaptEpisodes: 30 },
    ],
    10,
  );
  t.same(f.points.slice(0, 2), [
    { n: 1, perPair: 105 },
    { n: 2, perPair: 55 },
  ]);
  t.same(f.breakEven, { tl: 1, scratch: 4 });
  t.same(tl.breakEven, { flash: null, scratch: 10 });
  t.same(s.breakEven, { flash: null, tl: null }, "scratch is cheaper only below the break-even: never from some N on");
});

t.test("correlations", async (t) => {
  t.equal(pearson([1, 2, 3], [2, 4, 6]), 1);
  t.equal(pearson([1, 2, 3], [3, 2, 1]), -1);
  t.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  t.same(ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  t.equal(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1, "monotone: rho 1 where r < 1");
  t.ok(pearson([1, 2, 3, 4], [1, 8, 27, 64]) < 1);
  t.same(correlation([{ x: 1, y: 1 }]), { n: 1, pearson: null, spearman: null });
  t.throws(() => pearson([1], [1, 2]), /1 x values and 2 y values/);
});

t.test("paperDrop: the paper's 1 - R / R_ref on hand-computed values", async (t) => {
  t.equal(paperDrop(63, 100), 0.37);
  t.ok(Math.abs(paperDrop(89.5, 100) - 0.105) < 1e-12, "the paper's FLASH drop on autoscaling");
  t.equal(paperDrop(150, 120), -0.25, "better than the reference: negative");
  t.equal(paperDrop(-300, -150), -1, "negative rewards: a worse R gives a negative drop (why ours uses the random baseline)");
  t.equal(paperDrop(63, 100), rewardDrop(63, 100, 0), "equals ours with a zero baseline");
  t.ok(Number.isNaN(paperDrop(5, 0)), "undefined for a zero reference");
  t.throws(() => paperDrop(NaN, 1), RangeError);
});
