import t from "tap";
import { hourSlices, loadStats, syntheticSlices } from "../../bench/cpufreq-load.js";
import { Rng } from "../../flash/rng.js";

/** One hour of Poisson counts (normal approximation) at `rate(t)`. */
function counts(rate: (t: number) => number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: 3600 }, (_, t) => Math.max(0, Math.round(rate(t) + Math.sqrt(rate(t)) * rng.normal())));
}

t.test("load statistics: a constant Poisson rate has no excess variation and no bursts; an injected burst is found with its height", async (t) => {
  const flat = loadStats("flat", [counts(() => 200, 1), counts(() => 200, 2)]);
  t.ok(flat.excessCv < 0.02, `excess CV ${flat.excessCv.toFixed(3)} ~ 0 (Poisson noise removed)`);
  t.ok(flat.windowCv < 0.02, `window CV ${flat.windowCv.toFixed(3)}`);
  t.equal(flat.burstsPerHour, 0);
  // Two bursts to 3x the rate for 20 s, 1,000 s apart.
  const burst = (s: number) => ((s >= 1000 && s < 1020) || (s >= 2000 && s < 2020) ? 600 : 200);
  const b = loadStats("bursts", [counts(burst, 3)]);
  t.equal(b.burstsPerHour, 2);
  t.ok(Math.abs(b.burstHeight - 2) < 0.1, `height ${b.burstHeight.toFixed(2)} ~ 2 (3x the previous minute, minus 1)`);
  // A load that halves between 100 s windows: window CV ~ 1/3.
  const steps = loadStats("steps", [counts((s) => (Math.floor(s / 100) % 2 ? 100 : 200), 4)]);
  t.ok(Math.abs(steps.windowCv - 1 / 3) < 0.02, `window CV ${steps.windowCv.toFixed(3)} ~ 0.333`);
});

t.test("hour slices and the synthetic side: deterministic, at the requested mean", async (t) => {
  const tr = { name: "x", stepSeconds: 1, rates: new Float64Array(3 * 3600).fill(1) };
  t.equal(hourSlices(tr, 2).length, 2);
  t.equal(hourSlices({ ...tr, rates: new Float64Array(3300) }, 5).length, 1, "a trace of about an hour is one slice");
  t.throws(() => hourSlices({ ...tr, stepSeconds: 60 }, 1), /expected a 1 s trace/);
  const a = syntheticSlices(3, 50, 7);
  t.same(a, syntheticSlices(3, 50, 7));
  const m = a.flatMap((h) => Array.from(h)).reduce((x, y) => x + y, 0) / (3 * 3600);
  t.ok(Math.abs(m / 50 - 1) < 0.05, `mean count ${m.toFixed(1)} ~ 50`);
});
