import t from "tap";
import { Governor, ondemandNext, relationC, relationH, relationL, schedutilNext } from "../../../agents/baselines/governors.js";
import { processorByName } from "../../../sim/cpufreq/processor.js";

const p = processorByName("xeon-e5-2683v3"); // 1.2..3.0 GHz, 100 MHz steps

t.test("P-state relations (CPUFREQ_RELATION_L / H / C)", async (t) => {
  t.equal(relationL(p, 2.01), 2.1, "lowest at or above");
  t.equal(relationL(p, 2.0), 2.0);
  t.equal(relationL(p, 3.7), 3.0, "above the table: the maximum");
  t.equal(relationH(p, 2.09), 2.0, "highest at or below");
  t.equal(relationH(p, 0.5), 1.2, "below the table: the minimum");
  t.equal(relationC(p, 2.04), 2.0, "closest");
  t.equal(relationC(p, 2.06), 2.1);
});

t.test("performance and powersave", async (t) => {
  t.equal(new Governor("performance", p).next(0, 1.2), 3.0);
  t.equal(new Governor("powersave", p).next(1, 3.0), 1.2);
});

t.test("ondemand: max above up_threshold 80, else min + load (max - min) / 100 to the closest P-state", async (t) => {
  t.equal(ondemandNext(p, 0.81), 3.0);
  t.equal(ondemandNext(p, 0.8), relationC(p, 1.2 + 0.8 * 1.8), "80% is not above 80: 2.64 -> 2.6");
  t.equal(ondemandNext(p, 0.8), 2.6);
  t.equal(ondemandNext(p, 0.5), 2.1, "1.2 + 0.9 = 2.1");
  t.equal(ondemandNext(p, 0), 1.2);
  // sampling_down_factor 1: after a jump to max, the next low sample drops at once.
  const g = new Governor("ondemand", p);
  t.equal(g.next(0.95, 2.0), 3.0);
  t.equal(g.next(0.1, 3.0), 1.4, "1.2 + 0.18 = 1.38 -> 1.4");
  t.throws(() => ondemandNext(p, -0.1), /busy share/);
});

t.test("conservative: 5% of max per sample up above 80, down below 20, else hold", async (t) => {
  const g = new Governor("conservative", p);
  // freq_step = 0.05 * 3.0 = 0.15 GHz; requested starts at the current frequency.
  t.equal(g.next(0.9, 2.0), 2.1, "2.15 -> RELATION_H 2.1");
  t.equal(g.next(0.9, 2.1), 2.3, "requested 2.30 -> 2.3");
  t.equal(g.next(0.5, 2.3), 2.3, "between thresholds: hold");
  t.equal(g.next(0.1, 2.3), 2.2, "requested 2.15 -> RELATION_L 2.2");
  g.reset();
  let f = 2.9;
  for (let i = 0; i < 5; i++) f = g.next(1, f);
  t.equal(f, 3.0, "capped at max");
  for (let i = 0; i < 30; i++) f = g.next(0, f);
  t.equal(f, 1.2, "floored at min");
});

t.test("schedutil: next_freq = 1.25 * f_max * util with frequency-invariant util, RELATION_L", async (t) => {
  // busy 50% at 2.0 GHz: util = 0.5 * 2.0 / 3.0; next = 1.25 * 3.0 * util = 1.25 GHz -> 1.3.
  t.equal(schedutilNext(p, 0.5, 2.0), 1.3);
  // busy 100% at 3.0: 3.75 -> capped at 3.0; busy 80% at 3.0: 3.0.
  t.equal(schedutilNext(p, 1, 3.0), 3.0);
  t.equal(schedutilNext(p, 0.8, 3.0), 3.0);
  // busy 60% at 2.4: 1.25 * 0.6 * 2.4 = 1.8 -> 1.8.
  t.equal(schedutilNext(p, 0.6, 2.4), 1.8);
  t.throws(() => new Governor("userspace" as never, p), /expected one of performance/);
});
