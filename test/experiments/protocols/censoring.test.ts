import t from "tap";
import {
  censoredCost,
  censoredSpeedup,
  kaplanMeier,
  kmMedian,
  restrictedMean,
  survivalAt,
  usableTau,
  type SurvivalSample,
} from "../../../experiments/protocols/censoring.js";
import { meanCi95, t975 } from "../../../experiments/stats.js";

const e = (time: number): SurvivalSample => ({ time, converged: true });
const c = (time: number): SurvivalSample => ({ time, converged: false });
const close = (a: number, b: number, digits = 10) => a.toFixed(digits) === b.toFixed(digits);

t.test("Kaplan-Meier, restricted mean and median on a hand-computed fixture", async (t) => {
  // Converged at 2, 3, 5; censored at 3 and 6 (cap 6).
  // t=2: 5 at risk, 1 event -> S = 0.8; t=3: 4 at risk (the run censored at 3 still counts) -> 0.6; t=5: 2 at risk -> 0.3.
  const km = kaplanMeier([e(2), e(3), c(3), e(5), c(6)]);
  t.same(
    km.steps.map((s) => [s.time, s.atRisk, s.events]),
    [
      [2, 5, 1],
      [3, 4, 1],
      [5, 2, 1],
    ],
  );
  t.ok(close(km.steps[2].survival, 0.3));
  t.equal(km.censored, 2);
  t.equal(survivalAt(km, 1), 1);
  t.ok(close(survivalAt(km, 4), 0.6));
  t.equal(usableTau(km, 6), 6);
  // S(0..5) = 1, 1, 0.8, 0.6, 0.6, 0.3: area 4.3.
  const rm = restrictedMean(km, 6);
  t.ok(close(rm.mean, 4.3), `restricted mean ${rm.mean}`);
  // Variance: A = 2.3, 1.5, 0.3 at t = 2, 3, 5: 2.3^2/(5*4) + 1.5^2/(4*3) + 0.3^2/(2*1) = 0.2645 + 0.1875 + 0.045 = 0.497.
  t.ok(close(rm.ci95, 1.96 * Math.sqrt(0.497)), `half-width ${rm.ci95}`);
  t.equal(kmMedian(km), 5, "S first at or below 0.5 at episode 5");
});

t.test("without censoring the restricted mean is the mean, and its variance the (n-1)/n one", async (t) => {
  const km = kaplanMeier([e(1), e(2), e(3)]);
  const rm = restrictedMean(km, 5);
  t.ok(close(rm.mean, 2));
  // Sample variance 1; the KM variance is (n - 1) / n * s^2 / n = 2/9.
  t.ok(close(rm.ci95, 1.96 * Math.sqrt(2 / 9)));
  t.equal(kmMedian(km), 2);
});

t.test("every censored run observed to the cap: the restricted mean is the mean with the cap counted", async (t) => {
  const xs = [e(3), c(25), e(7), c(25), e(12), e(25)];
  const cc = censoredCost(xs, 25);
  t.ok(close(cc.restricted.mean, meanCi95([3, 25, 7, 25, 12, 25]).mean));
  t.equal(cc.censored, 2);
  t.equal(cc.n, 6);
  t.equal(cc.restricted.tau, 25);
  const all = censoredCost([c(25), c(25)], 25);
  t.equal(all.restricted.mean, 25, "all at the cap: the cap");
  t.equal(all.median, null, "median not reached");
});

t.test("runs observed less far than the cap lower tau to the last observation", async (t) => {
  // Curves 20 episodes long judged with cap 40: S is unknown past 20.
  const cc = censoredCost([e(5), c(20), c(20)], 40);
  t.equal(cc.restricted.tau, 20);
  // S = 1 on [0, 5), 2/3 on [5, 20): 5 + 15 * 2/3 = 15.
  t.ok(close(cc.restricted.mean, 15));
  t.equal(cc.median, null);
  t.throws(() => kaplanMeier([e(1.5)]), /non-negative integer/);
});

t.test("censored speedup: ratio of restricted means with a jackknife interval; KM median ratio and its bounds", async (t) => {
  // Test 0: slow converged at 10, fast at 5; test 1: slow censored at the cap 25, fast at 5.
  const s = censoredSpeedup([e(10), c(25)], [e(5), e(5)], 25);
  t.ok(close(s.restrictedRatio.mean, 17.5 / 5), "(10 + 25) / 2 over 5");
  t.equal(s.restrictedRatio.tau, 25);
  // Leave test 0 out: 25 / 5 = 5; leave test 1 out: 10 / 5 = 2; jackknife sd sqrt(1/2 * (1.5^2 + 1.5^2)) = 1.5.
  t.ok(close(s.restrictedRatio.ci95, t975(1) * 1.5));
  t.same(s.medianRatio, { value: 2, bound: "exact" }, "slow's S is 0.5 at 10");
  const notReached = censoredSpeedup([c(25), c(25), e(4)], [e(5), e(5), e(5)], 25);
  t.same(notReached.medianRatio, { value: 5, bound: "at least" }, "slow not reached: at least 25 / 5");
  const fastNot = censoredSpeedup([e(5), e(5)], [c(25), c(25)], 25);
  t.same(fastNot.medianRatio, { value: 0.2, bound: "at most" });
  t.equal(censoredSpeedup([c(25)], [c(25)], 25).medianRatio, null, "neither reached");
  t.ok(Number.isNaN(censoredSpeedup([e(3)], [e(1)], 25).restrictedRatio.ci95), "one test: no interval");
  t.throws(() => censoredSpeedup([e(1)], [], 25), /as many paired/);
});
