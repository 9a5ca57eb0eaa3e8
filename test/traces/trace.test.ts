import t from "tap";
import { rescaleToMean, rescaleToPeak, resample, tile, traceStats, validateTrace, type Trace } from "../../traces/trace.js";

const tr: Trace = { name: "x", stepSeconds: 1, rates: Float64Array.from([1, 3, 2, 2, 0, 4]) };

t.test("resampling preserves the request count", async (t) => {
  const r = resample(tr, 2);
  t.same([...r.rates], [2, 2, 2]);
  const r3 = resample(tr, 3);
  t.same([...r3.rates], [2, 2]);
  const fine = resample({ name: "m", stepSeconds: 60, rates: Float64Array.from([6, 12]) }, 30);
  t.same([...fine.rates], [6, 6, 12, 12]);
  const odd = resample(tr, 1.5);
  t.equal(odd.rates.length, 4);
  t.ok(Math.abs(odd.rates.reduce((a, b) => a + b, 0) * 1.5 - 12) < 1e-9);
});

t.test("rescaling keeps the shape", async (t) => {
  const m = rescaleToMean(tr, 10);
  t.ok(Math.abs(traceStats(m).mean - 10) < 1e-9);
  t.ok(Math.abs(traceStats(m).cv - traceStats(tr).cv) < 1e-9);
  t.equal(Math.max(...rescaleToPeak(tr, 8).rates), 8);
  t.throws(() => rescaleToMean({ ...tr, rates: new Float64Array(3) }, 1), /all zeros/);
  t.throws(() => rescaleToMean(tr, -1), /targetMean/);
});

t.test("tiling and validation", async (t) => {
  const long = tile(tr, 15);
  t.equal(long.rates.length, 15);
  t.equal(long.rates[6], tr.rates[0]);
  t.equal(tile(tr, 3), tr);
  t.throws(() => validateTrace({ ...tr, rates: Float64Array.from([1, NaN]) }), /<x>: rates\[1\]: expected a finite rate >= 0, got NaN/);
  t.throws(() => validateTrace({ ...tr, stepSeconds: 0 }), /stepSeconds/);
});
