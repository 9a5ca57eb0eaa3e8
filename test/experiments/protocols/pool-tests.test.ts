/** The A/B plan, the two levels of a served metric, the controls on the pool and pretraining health, on hand-computed values. */
import t from "tap";
import { originalTargets, poolServed, referencedPairs } from "../../../experiments/protocols/ab-plan.js";
import { levelsJson } from "../../../experiments/protocols/levels.js";
import { conditioningFinding, pairedDifference, poolDropSummary } from "../../../experiments/protocols/pool-tests.js";
import { failedPretraining, healthCurve, pretrainingHealth } from "../../../experiments/protocols/pretrain-health.js";
import { drops, type DropSample, type PairReference, type ServedSample } from "../../../experiments/protocols/reward-drop.js";
import { meanCi95 } from "../../../experiments/stats.js";

t.test("originalTargets: 6 originals x 5 targets cover 30 new pairs once each; with every pair referenced, the next ones (the paper's)", async (t) => {
  const test = Array.from({ length: 30 }, (_, i) => `p${i}`);
  const originals = referencedPairs(test, { referencePairs: 6 });
  t.same(originals, ["p0", "p1", "p2", "p3", "p4", "p5"]);
  const m = originalTargets(test, originals, 5);
  const served = [...m.values()].flat();
  t.equal(served.length, 30);
  t.equal(new Set(served).size, 30, "every new pair served by exactly one original agent");
  for (const [from, ts] of m) t.notOk(ts.includes(from), `${from} never serves its own pair`);
  t.same(m.get("p1"), ["p6", "p7", "p8", "p9", "p10"]);
  // Every pair referenced: original i serves the next abTargets pairs, as before this module.
  const four = ["a", "b", "c", "d"];
  const all = originalTargets(four, referencedPairs(four, {}), 2);
  t.same(
    [...all.entries()],
    [
      ["a", ["b", "c"]],
      ["b", ["c", "d"]],
      ["c", ["d", "a"]],
      ["d", ["a", "b"]],
    ],
  );
  t.same(originalTargets(["a", "b"], ["a", "b"], 10).get("a"), ["b"], "at most the other pairs");
});

t.test(
  "poolServed: FLASH, TL, the oracle and the shuffled control on the whole pool, the paper's TL on its one pair, the other controls nowhere",
  async (t) => {
    t.same(poolServed(["a", "b"], "b", ["flash", "tl", "tl-paper", "oracle", "flash-zero", "flash-before", "shuffled"]), {
      flash: ["a", "b"],
      tl: ["a", "b"],
      "tl-paper": ["b"],
      oracle: ["a", "b"],
      shuffled: ["a", "b"],
    });
  },
);

t.test("levelsJson: over tests and over replicate means", async (t) => {
  const x = levelsJson([
    { replicate: 0, pair: "a", value: 1 },
    { replicate: 0, pair: "b", value: 3 },
    { replicate: 1, pair: "c", value: 5 },
  ])!;
  t.equal(x.mean, 3);
  t.equal(x.n, 3);
  t.equal(x.pairs, 3);
  t.same(x.replicates.means, [2, 5]);
  t.equal(x.replicates.mean, 3.5);
  t.equal(x.replicates.ci95, meanCi95([2, 5]).ci95);
  t.equal(levelsJson([]), null);
});

/** Drop samples of one variant: `values[k][i]` on pair `<prefix><i>` in replicate k. */
function ds(variant: string, prefix: string, values: number[][]): DropSample[] {
  return values.flatMap((row, k) => row.map((drop, i) => ({ variant, replicate: k, pair: `${prefix}${i}`, reward: 0, drop })));
}

t.test("conditioningFinding: cannot condition / cannot generalise / conditions and generalises", async (t) => {
  const tlPool = ds("tl", "a", [
    [0.5, 0.6, 0.4],
    [0.5, 0.7, 0.5],
  ]);
  const tlNew = ds("tl", "n", [
    [0.5, 0.6, 0.4],
    [0.5, 0.7, 0.5],
  ]);
  // FLASH no better than TL on its own pool pairs: cannot condition (whatever it does on new pairs).
  const same = ds("flash", "a", [
    [0.6, 0.5, 0.45],
    [0.4, 0.75, 0.5],
  ]);
  const c1 = conditioningFinding(
    "flash",
    [...tlPool, ...same],
    [
      ...tlNew,
      ...ds("flash", "n", [
        [0.1, 0.1, 0.1],
        [0.1, 0.2, 0.1],
      ]),
    ],
  );
  t.equal(c1.finding, "cannot condition");
  t.match(c1.says, /no better than TL even on the pairs it was trained on/);
  // Much better on pool pairs, same on new ones: cannot generalise.
  const better = ds("oracle", "a", [
    [0.05, 0.1, 0.0],
    [0.1, 0.05, 0.0],
  ]);
  const c2 = conditioningFinding(
    "oracle",
    [...tlPool, ...better],
    [
      ...tlNew,
      ...ds("oracle", "n", [
        [0.6, 0.5, 0.45],
        [0.4, 0.75, 0.5],
      ]),
    ],
  );
  t.equal(c2.finding, "cannot generalise");
  t.ok(c2.pool_minus_tl!.mean < 0 && c2.pool_minus_tl!.n === 6);
  const c3 = conditioningFinding(
    "oracle",
    [...tlPool, ...better],
    [
      ...tlNew,
      ...ds("oracle", "n", [
        [0.05, 0.1, 0.0],
        [0.1, 0.05, 0.0],
      ]),
    ],
  );
  t.equal(c3.finding, "conditions and generalises");
  t.equal(conditioningFinding("flash", [], []).finding, null, "no pool tests: no finding");
  // Paired per (pair, replicate): a pair only one variant was served on does not count.
  const d = pairedDifference([...tlPool, ...ds("flash", "a", [[0.5]])], "flash", "tl")!;
  t.equal(d.n, 1);
  t.equal(d.mean, 0);
});

const ref = (pair: string, evalReturn: number, baseline: number): [string, PairReference] => [pair, { pair, evalReturn, trainLevel: evalReturn, baseline }];

t.test("poolDropSummary: pool tests against pool references; unreferenced and no-gain tests excluded and counted; new pairs ignored", async (t) => {
  const refs = new Map([ref("a", 100, 0), ref("b", 50, 0), ref("z", 10, 20)]);
  const served: ServedSample[] = [
    { variant: "flash", replicate: 0, pair: "a", reward: 80, pool: true },
    { variant: "flash", replicate: 0, pair: "b", reward: 50, pool: true },
    { variant: "tl", replicate: 0, pair: "a", reward: 40, pool: true },
    { variant: "tl", replicate: 0, pair: "z", reward: 40, pool: true },
    { variant: "tl", replicate: 0, pair: "unsearched", reward: 40, pool: true },
    { variant: "flash", replicate: 0, pair: "new", reward: 0 },
  ];
  const s = poolDropSummary(served, refs, "fixed", (d) => d);
  t.equal(s.json!.flash!.mean, 0.1, "(0.2 + 0) / 2");
  t.equal(s.json!.tl!.mean, 0.6);
  t.equal(s.json!.excluded, 2, "one reference no better than random, one pair without a reference");
  t.equal(s.of("oracle"), null);
  t.equal(poolDropSummary(served.slice(5), refs, "fixed", (d) => d).json, null, "no pool tests: null");
});

t.test("pretraining health: a pretraining no better than random on its pool fails; the healthy drop leaves its replicate out", async (t) => {
  t.equal(failedPretraining([10, 12, 9, 11]), false);
  t.equal(failedPretraining([10, -12, 1, 3]), true, "interval reaches 0");
  t.equal(failedPretraining([-1]), true, "one pool pair: no better than random");
  t.equal(failedPretraining([0.5]), false);
  t.equal(failedPretraining([]), null);
  const refs = new Map([ref("a", 100, 20), ref("b", 60, 20)]);
  // Returns 20 (random) then 100/60 (reference level): normalised 0 then 1, blocks of one round (2 pairs).
  const curve = healthCurve({ returns: [20, 20, 100, 60, 60, 40], pairs: ["a", "b", "a", "b", "a", "b"] }, refs);
  t.same(curve, [
    { episode: 2, normalised: 0 },
    { episode: 4, normalised: 1 },
    { episode: 6, normalised: 0.5 },
  ]);
  refs.set(...ref("c", 80, 20));
  // Replicate 0 well above random on all three pool pairs (differences 70, 35, 50); replicate 1 at random level.
  const pool: ServedSample[] = [
    { variant: "flash", replicate: 0, pair: "a", reward: 90, pool: true },
    { variant: "flash", replicate: 0, pair: "b", reward: 55, pool: true },
    { variant: "flash", replicate: 0, pair: "c", reward: 70, pool: true },
    { variant: "flash", replicate: 1, pair: "a", reward: 20, pool: true },
    { variant: "flash", replicate: 1, pair: "b", reward: 25, pool: true },
    { variant: "flash", replicate: 1, pair: "c", reward: 15, pool: true },
  ];
  const poolD = drops(pool, refs).drops;
  const newD = ds("flash", "n", [
    [0.1, 0.2],
    [1.1, 0.9],
  ]);
  const pre = { returns: [20, 20], pairs: ["a", "b"], episodes: 2, seconds: 1 };
  const h = pretrainingHealth(
    pool,
    poolD,
    refs,
    [
      { variant: "flash", replicate: 0, result: pre },
      { variant: "flash", replicate: 1, result: pre },
    ],
    newD,
  )!;
  t.same(
    h.runs.map((r) => [r.replicate, r.failed, r.pool_pairs]),
    [
      [0, false, 3],
      [1, true, 3],
    ],
  );
  t.equal(h.runs[0].vs_random!.mean, 155 / 3, "(70 + 35 + 50) / 3");
  t.same(h.failed, { flash: { failed: 1, of: 2 } });
  t.equal(h.reward_drop_healthy.flash!.mean, (0.1 + 0.2) / 2, "replicate 1's new pairs left out");
  t.equal(h.reward_drop_healthy.flash!.replicates.n, 1);
  t.equal(pretrainingHealth([], [], refs, [], newD), null, "no pool tests: null");
  t.equal(
    pretrainingHealth([{ variant: "flash", replicate: 0, pair: "unsearched", reward: 1, pool: true }], [], refs, [], newD),
    null,
    "pool tests without a pool reference: null, not a pass",
  );
});
