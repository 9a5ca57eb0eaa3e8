import t from "tap";
import { defaultSyntheticTraces, syntheticTrace } from "../../traces/synthetic.js";
import { resample, traceStats } from "../../traces/trace.js";

t.test("deterministic under a seed", async (t) => {
  const a = syntheticTrace({ seed: 5, seconds: 7200 });
  t.same(a.rates, syntheticTrace({ seed: 5, seconds: 7200 }).rates);
  t.notSame(a.rates, syntheticTrace({ seed: 6, seconds: 7200 }).rates);
  t.equal(a.rates.length, 120);
  t.equal(a.stepSeconds, 60);
});

t.test("statistics land in the band of the real NASA/Twitter traces", async (t) => {
  for (const seed of [1, 2, 3]) {
    const s = traceStats(syntheticTrace({ seed, seconds: 20 * 86400, mean: 50 }));
    t.ok(Math.abs(s.mean - 50) < 1e-6, "exact mean");
    t.ok(s.cv > 0.4 && s.cv < 0.9, `cv ${s.cv}`);
    t.ok(s.ac1 > 0.75 && s.ac1 < 0.97, `ac1 ${s.ac1}`);
    t.ok(s.p99ToMean > 2 && s.p99ToMean < 4.5, `p99/mean ${s.p99ToMean}`);
    t.ok(s.burstFraction > 0.05 && s.burstFraction < 0.15, `burst fraction ${s.burstFraction}`);
    t.ok(s.logResidualStd > 0.3 && s.logResidualStd < 0.55, `log residual std ${s.logResidualStd}`);
  }
});

t.test("the diurnal cycle shows in the hour-of-day profile", async (t) => {
  const tr = syntheticTrace({ seed: 9, seconds: 20 * 86400, diurnalAmplitude: 0.5, noiseStd: 0.1, burstsPerHour: 0 });
  const hourly = resample(tr, 3600).rates;
  const prof = new Float64Array(24);
  for (let i = 0; i < hourly.length; i++) prof[i % 24] += hourly[i] / 20;
  const amp = (Math.max(...prof) - Math.min(...prof)) / 2;
  t.ok(amp > 0.4 && amp < 0.6, `amplitude ${amp}`);
  const flat = syntheticTrace({ seed: 9, seconds: 20 * 86400, diurnalAmplitude: 0, noiseStd: 0.1, burstsPerHour: 0 });
  t.ok(traceStats(flat).cv < traceStats(tr).cv / 2);
});

t.test("default set and bad options", async (t) => {
  const set = defaultSyntheticTraces(1);
  t.equal(set.length, 4);
  t.equal(new Set(set.map((x) => x.name)).size, 4);
  t.throws(() => syntheticTrace({ seed: 1, diurnalAmplitude: 1.5 }), /<synthetic>: diurnalAmplitude/);
  t.throws(() => syntheticTrace({ seed: 1, seconds: -1 }), /seconds/);
});
