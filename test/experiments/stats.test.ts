import t from "tap";
import { empiricalCdf, formatMeanCi, meanCi95, meanCiJson, t975 } from "../../experiments/stats.js";

t.test("meanCi95 matches a hand computation", (t) => {
  // xs = 1..5: mean 3, sd sqrt(2.5), t_{0.975,4} = 2.776.
  const m = meanCi95([1, 2, 3, 4, 5]);
  t.equal(m.mean, 3);
  t.ok(Math.abs(m.ci95 - (2.776 * Math.sqrt(2.5)) / Math.sqrt(5)) < 1e-12);
  t.equal(m.n, 5);
  t.end();
});

t.test("one value has no interval; JSON writes it as null", (t) => {
  const m = meanCi95([4]);
  t.ok(Number.isNaN(m.ci95));
  t.same(meanCiJson(m), { mean: 4, ci95: null, n: 1 });
  t.equal(formatMeanCi(m), "4.00");
  t.end();
});

t.test("bad input is a RangeError naming what was expected", (t) => {
  t.throws(() => meanCi95([]), /at least one value/);
  t.throws(() => meanCi95([1, NaN]), /finite values, got NaN/);
  t.throws(() => t975(0), /positive integer df/);
  t.equal(t975(1000), 1.96);
  t.end();
});

t.test("empiricalCdf is sorted and ends at 1", (t) => {
  t.same(empiricalCdf([3, 1, 2]), [
    { value: 1, fraction: 1 / 3 },
    { value: 2, fraction: 2 / 3 },
    { value: 3, fraction: 1 },
  ]);
  t.end();
});
