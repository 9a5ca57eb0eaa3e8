import t from "tap";
import { episodesToConvergence, movingAverage } from "../../experiments/protocols/convergence.js";
import { Rng } from "../../flash/rng.js";

t.test("moving average has an expanding start then a fixed window", async (t) => {
  t.same(movingAverage([2, 4, 6, 8], 2), [2, 3, 5, 7]);
  t.same(movingAverage([1, 2, 3], 10), [1, 1.5, 2]);
  t.throws(() => movingAverage([1], 0), /positive integer window/);
});

t.test("a converging curve: the first episode from which the 10-episode MA stays within 5%", async (t) => {
  // 0 for 20 episodes then 100: the MA (window 10) reaches 95 once 10 of the last 10 are 100... i.e.
  // MA_i = 10 * (#100s in window); >= 95 needs all ten: episode 30.
  const curve = [...new Array(20).fill(0), ...new Array(30).fill(100)];
  const r = episodesToConvergence(curve, { reference: 100, cap: 100 });
  t.equal(r.converged, true);
  t.equal(r.episodes, 30);
  t.equal(r.threshold, 95);
  t.equal(r.judged, 50);
  // A looser band converges earlier: MA >= 50 from the 5th 100 (episode 25).
  t.equal(episodesToConvergence(curve, { reference: 100, cap: 100, tolerance: 0.5 }).episodes, 25);
});

t.test("good from the start converges at episode 1 (expanding window) or at the window (full windows only)", async (t) => {
  const curve = new Array(30).fill(100);
  t.equal(episodesToConvergence(curve, { reference: 100, cap: 50 }).episodes, 1);
  t.equal(episodesToConvergence(curve, { reference: 100, cap: 50, fullWindowOnly: true }).episodes, 10);
});

t.test("never converging counts as the cap and is flagged", async (t) => {
  const r = episodesToConvergence(new Array(40).fill(50), { reference: 100, cap: 40 });
  t.equal(r.converged, false);
  t.equal(r.episodes, 40);
  // An empty curve never converged either.
  t.same(episodesToConvergence([], { reference: 1, cap: 7 }).episodes, 7);
});

t.test("it must *stay*: a crossing followed by a relapse does not count", async (t) => {
  const curve = [...new Array(15).fill(100), ...new Array(15).fill(0), ...new Array(15).fill(100)];
  const r = episodesToConvergence(curve, { reference: 100, cap: 100 });
  t.equal(r.episodes, 40); // the last ten-100 window ends at episode 40
  // ... and a relapse at the very end means not converged.
  const late = [...new Array(30).fill(100), 0, 0, 0];
  const rl = episodesToConvergence(late, { reference: 100, cap: 100 });
  t.equal(rl.converged, false);
  t.equal(rl.episodes, 100);
});

t.test("the curve is judged on its first `cap` episodes only", async (t) => {
  const curve = [...new Array(20).fill(0), ...new Array(20).fill(100)];
  const r = episodesToConvergence(curve, { reference: 100, cap: 25 });
  t.equal(r.judged, 25);
  t.equal(r.converged, false);
  t.equal(r.episodes, 25);
});

t.test("noisy curve: converges once the noise-averaged level is inside the band", async (t) => {
  const rng = new Rng(7);
  // Exponential approach to 100 with +/-2 uniform noise: the MA of 10 has noise well under the 5-point band.
  const curve = Array.from({ length: 200 }, (_, i) => 100 * (1 - Math.exp(-i / 15)) + rng.uniform(-2, 2));
  const r = episodesToConvergence(curve, { reference: 100, cap: 200 });
  t.equal(r.converged, true);
  // The noise-free MA crosses 95 around episode 50; noise shifts it by a few episodes.
  t.ok(r.episodes > 40 && r.episodes < 65, `episodes ${r.episodes}`);
  // A plateau 10% below the reference with noise larger than the band: single episodes reach the
  // band, the 10-episode average never does.
  const rng2 = new Rng(8);
  const wild = Array.from({ length: 300 }, () => 90 + rng2.uniform(-12, 12));
  t.ok(wild.some((x) => x >= 95));
  t.equal(episodesToConvergence(wild, { reference: 100, cap: 300 }).converged, false);
});

t.test("negative rewards: the band is 5% of |reference| (or of |reference - baseline|), better is always inside", async (t) => {
  // Reference -200: band edge -210. An MA of -205 is inside, -215 outside.
  t.equal(episodesToConvergence(new Array(12).fill(-205), { reference: -200, cap: 20 }).episodes, 1);
  t.equal(episodesToConvergence(new Array(12).fill(-215), { reference: -200, cap: 20 }).converged, false);
  t.equal(episodesToConvergence([-10], { reference: -200, cap: 20 }).threshold, -210);
  // Better than the reference (less negative) converged; a naive 0.95 * R = -190 would wrongly reject it.
  t.equal(episodesToConvergence(new Array(12).fill(-150), { reference: -200, cap: 20 }).converged, true);
  // With a random-policy baseline of -1200 the band is 5% of 1000 = 50: edge -250.
  const r = episodesToConvergence(new Array(12).fill(-240), { reference: -200, baseline: -1200, cap: 20 });
  t.equal(r.threshold, -250);
  t.equal(r.converged, true);
  // Pendulum-like learning: -1400 climbing to -180 with noise, against R = -200, B = -1200.
  const rng = new Rng(3);
  const curve = Array.from({ length: 80 }, (_, i) => -180 - 1220 * Math.exp(-i / 8) + rng.uniform(-30, 30));
  const p = episodesToConvergence(curve, { reference: -200, baseline: -1200, cap: 80 });
  t.equal(p.converged, true);
  t.ok(p.episodes > 10 && p.episodes < 40, `episodes ${p.episodes}`);
});

t.test("two-sided band rejects overshoot", async (t) => {
  t.equal(episodesToConvergence(new Array(12).fill(120), { reference: 100, cap: 20, twoSided: true }).converged, false);
  t.equal(episodesToConvergence(new Array(12).fill(104), { reference: 100, cap: 20, twoSided: true }).converged, true);
});

t.test("bad inputs are RangeErrors naming the field", async (t) => {
  t.throws(() => episodesToConvergence([1], { reference: NaN, cap: 5 }), /reference must be finite/);
  t.throws(() => episodesToConvergence([1], { reference: 1, cap: 0 }), /cap must be a positive integer/);
  t.throws(() => episodesToConvergence([1, NaN], { reference: 1, cap: 5 }), /episode 2 has a non-finite return/);
});
