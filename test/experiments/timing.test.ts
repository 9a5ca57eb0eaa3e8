/**
 * The timing routine behind every latency figure, on a fake clock: each timed function
 * advances the clock by a known cost, so medians, ratios and round order are exact.
 */
import t from "tap";
import { callsForBudget, quantile, timeCalls, timeInterleaved } from "../../experiments/timing.js";

/** Replaces performance.now with a clock the test advances; restored at teardown. */
function fakeClock(tt: Pick<typeof t, "teardown">): { advance(ms: number): void } {
  const real = performance.now;
  let now = 1000;
  performance.now = () => now;
  tt.teardown(() => {
    performance.now = real;
  });
  return { advance: (ms) => (now += ms) };
}

t.test("quantile interpolates linearly between order statistics", async (t) => {
  t.equal(quantile([3, 1, 2], 0.5), 2);
  t.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  t.equal(quantile([10, 0], 0.25), 2.5);
  t.equal(quantile([7], 0.9), 7);
  t.ok(Number.isNaN(quantile([], 0.5)));
});

t.test("timeInterleaved: medians per round and over rounds, ratio of medians, alternating order", async (t) => {
  const clock = fakeClock(t);
  const order: string[] = [];
  let baseCost = 2;
  // FLASH costs 6 ms per call, except one slow outlier call in the first round.
  let flashCalls = 0;
  const base = () => {
    order.push("b");
    clock.advance(baseCost);
  };
  const flash = () => {
    order.push("f");
    flashCalls++;
    clock.advance(flashCalls === 2 ? 100 : 6);
  };
  const r = timeInterleaved(base, flash, { rounds: 4, calls: 3, warmup: 1 });
  t.same(order.slice(0, 2), ["b", "f"], "warm-up: one untimed call of each");
  const rounds = order.slice(2).join("");
  t.equal(rounds, "bbbfff" + "fffbbb" + "bbbfff" + "fffbbb", "base first in even rounds, FLASH first in odd ones");
  t.same(r.without_rounds_ms, [2, 2, 2, 2]);
  t.same(r.with_rounds_ms, [6, 6, 6, 6], "a round's figure is the median of its calls: the outlier is ignored");
  t.equal(r.without_ms, 2);
  t.equal(r.with_ms, 6);
  t.equal(r.ratio, 3);
  t.same(r.ratio_ci95, { mean: 3, ci95: 0, n: 4 }, "identical rounds: zero-width interval");

  // Rounds that differ: the per-round ratios spread, the interval widens.
  baseCost = 1;
  let k = 0;
  const r2 = timeInterleaved(
    () => clock.advance(baseCost),
    () => clock.advance([2, 4][k++ % 2]),
    { rounds: 2, calls: 1, warmup: 0 },
  );
  t.same(r2.with_rounds_ms, [2, 4]);
  t.equal(r2.ratio, 3, "median of (2, 4) over median of (1, 1)");
  t.equal(r2.ratio_ci95.n, 2);
  t.ok(r2.ratio_ci95.ci95 !== null && r2.ratio_ci95.ci95 > 1, `half-width ${r2.ratio_ci95.ci95}`);
  t.throws(() => timeInterleaved(base, flash, { rounds: 0, calls: 1 }), /rounds: expected a positive integer/);
  t.throws(() => timeInterleaved(base, flash, { rounds: 1, calls: 1.5 }), /calls: expected a positive integer/);
});

t.test("timeInterleaved: baseCalls sets the base side's calls per round", async (t) => {
  const clock = fakeClock(t);
  let b = 0;
  let f = 0;
  timeInterleaved(
    () => clock.advance(++b),
    () => clock.advance(++f),
    { rounds: 3, calls: 2, baseCalls: 5, warmup: 0 },
  );
  t.equal(b, 15);
  t.equal(f, 6);
});

t.test("callsForBudget: calls per round from the first calls' cost, within 1..10", async (t) => {
  const clock = fakeClock(t);
  const cost = (ms: number) => () => clock.advance(ms);
  // One FLASH call (50) and two base calls (2 x 25) cost 100 ms: 1000 ms over 2 rounds is 5 per round.
  t.equal(callsForBudget(cost(25), cost(50), 1000, 2), 5);
  t.equal(callsForBudget(cost(1), cost(1), 1e6, 2), 10, "at most 10");
  t.equal(callsForBudget(cost(1000), cost(1000), 10, 2), 1, "at least 1");
});

t.test("timeCalls: warm-up untimed, then one duration per call", async (t) => {
  const clock = fakeClock(t);
  let n = 0;
  const xs = await timeCalls(() => clock.advance(++n), 3, 2);
  t.same(xs, [3, 4, 5], "calls 1 and 2 were the warm-up");
});
