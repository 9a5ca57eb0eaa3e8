// AuroraCongestion-v0 against its docstring: rate update and clamping, hand-computed MIs
// (PCC-RL's recv rate, padding, latency ratio before and after the first sample), each
// feature and reward term, the observation box, the start rate, the episode end
// (truncated, never terminated), determinism, bad actions.
import tap from "tap";
import { Rng } from "../../../flash/rng.js";
import { mbpsToPps, ppsToMbps } from "../../../sim/network/link.js";
import type { IntervalStats } from "../../../envs/congestion/env.js";
import { ShapeError, ValueError } from "../../../flash/errors.js";
import { actionFor, applyDelta, CongestionEnv, PADDING } from "../../../envs/congestion/env.js";

// 12 Mbps = 1000 packets/s, 50 ms one way (base RTT 100 ms), start at exactly 400 packets/s.
const make = (o: Partial<ConstructorParameters<typeof CongestionEnv>[0]> = {}) =>
  new CongestionEnv({ pair: "p", links: [{ bandwidthMbps: 12, delayMs: 50, queuePackets: 100, lossRate: 0 }], startRate: [0.4, 0.4], seed: 1, ...o });

tap.test("Aurora's rate update and its inverse", async (t) => {
  t.ok(Math.abs(applyDelta(100, 1, 0.025) - 102.5) < 1e-9);
  t.equal(applyDelta(100, -1, 0.025), 100 / 1.025);
  t.equal(applyDelta(100, 0, 0.025), 100);
  for (const [r, g] of [
    [100, 180],
    [100, 30],
    [50, 50],
  ])
    t.ok(Math.abs(applyDelta(r, actionFor(r, g, 0.025), 0.025) - g) < 1e-9);
  const env = make({ minRate: 40, maxRate: 1000 });
  env.reset(0);
  env.step([-1e6]);
  t.equal(env.rate, 40, "clamped at minRate");
  env.step([1e6]);
  t.equal(env.rate, 1000, "clamped at maxRate");
});

// Hand-computed MIs on loss-free links without queueing: packet k is sent at k / rate,
// reaches the receiver d later and is acked 2d later. An MI runs for its nominal length and
// then to the first event at or after its end (PCC-RL's run_for_dur), that event included:
// a receiver arrival, then an ack, then a send at one time. The reset's two MIs and the
// first step last 3d each; later ones half the last mean RTT. Times chosen so that no event
// lies within 1e-4 s of a nominal end.
const link = (mbps: number, delayMs: number) => [{ bandwidthMbps: mbps, delayMs, queuePackets: 100, lossRate: 0 }];
const at = (pps: number, o: Partial<ConstructorParameters<typeof CongestionEnv>[0]> = {}) => {
  const links = o.links ?? link(12, 51.3);
  const cap = mbpsToPps(links[0].bandwidthMbps);
  return make({ links, startRate: [pps / cap, pps / cap], minRate: 0.01, ...o });
};
const near = (t: Pick<typeof tap, "ok">, got: number, want: number, what: string, tol = 1e-9) => t.ok(Math.abs(got - want) < tol, `${what}: ${got} vs ${want}`);
const lastMi = (o: Float32Array) => Array.from(o.slice(o.length - 3));
const counts = (s: IntervalStats) => [Math.round(s.sendRate * s.duration), Math.round(s.deliveryRate * s.duration)];

tap.test("the first observation is all padding (0, 1, 1): PCC-RL's empty MI before any RTT sample", async (t) => {
  const env = at(400);
  const o0 = env.reset(0);
  t.equal(o0.length, 30);
  t.same(PADDING, [0, 1, 1]);
  t.same(Array.from(o0), new Array(10).fill([0, 1, 1]).flat());
  // Reset: [0, 0.1539) closed by the send at 0.155, then [0.155, 0.3089) closed by the send at 0.31.
  near(t, env.simulator.now, 0.31, "the reset's two MIs of 3d, each closed by the next send");
  t.equal(env.rate, 400, "start rate 0.4 x capacity");
});

tap.test("a 62-ack MI by hand: reward and send ratio on (acked - 1) / D, latency ratio 1", async (t) => {
  const env = at(400);
  env.reset(0);
  const r = env.step([0]);
  // [0.31, 0.4639) closed by the send at 0.465: sends 125..186, acks of 83..144 (at 0.31 + 0.0001 .. 0.4626).
  near(t, env.simulator.now, 0.465, "closed by the send at 0.465");
  const s = env.last!;
  t.same(counts(s), [62, 62]);
  near(t, s.duration, 0.155, "D");
  near(t, s.recvRate, 61 / 0.155, "recv rate (62 - 1) / D");
  near(t, s.meanLatency, 0.1026, "latency = base RTT, no queue");
  near(t, r.reward, ((10 * 61) / 0.155 - 1000 * 0.1026) * 0.001, "reward (10 x 61 / 0.155 - 102.6) / 1000");
  const f = lastMi(r.observation);
  near(t, f[0], 0, "no latency inflation", 1e-6);
  t.equal(f[1], 1, "latency ratio: this MI is the episode's minimum");
  near(t, f[2], 62 / 61, "send ratio 62 / (62 - 1)", 1e-6);
  near(t, r.info!.throughputMbps as number, ppsToMbps(400), "info throughput: the delivery rate 62 / 0.155");
  t.same(Array.from(r.observation.slice(0, 27)), new Array(9).fill(PADDING).flat(), "older MIs still padding");
  env.step([0]);
  // Nominal 0.0513 s, then to the next event: the receiver arrival of packet 186 falls at the end itself.
  t.ok(env.last!.duration >= 0.0513 - 1e-12 && env.last!.duration < 0.0513 + 1 / 400, `then half the last mean RTT: ${env.last!.duration}`);
});

tap.test("a 2-ack MI by hand: recv rate counts one packet", async (t) => {
  // 12 packets/s: [1/3, 0.48723) closed by the send at 0.5; sends 5 and 6, acks of 3 (0.3526) and 4 (0.4359).
  const env = at(12);
  env.reset(0);
  const r = env.step([0]);
  const s = env.last!;
  t.same(counts(s), [2, 2]);
  near(t, s.duration, 1 / 6, "D");
  near(t, s.recvRate, 6, "recv rate (2 - 1) / (1/6)");
  near(t, r.reward, (10 * 6 - 102.6) * 0.001, "reward");
  near(t, lastMi(r.observation)[2], 2, "send ratio 12 / 6", 1e-6);
});

tap.test("an MI without acks before the episode's first RTT sample: -10 / D, latency ratio 1", async (t) => {
  // 20 packets/s into 0.1 packets/s, 1 ms: packet 1 passes at once (acked at 0.052, in the reset), packet 2 queues ~10 s.
  const env = at(20, { links: link(0.0012, 1) });
  env.reset(0);
  near(t, env.simulator.now, 0.1, "reset closed by the sends at 0.05 and 0.1");
  const r = env.step([0]); // [0.1, 0.103) closed by the send at 0.15
  t.same(counts(env.last!), [1, 0]);
  near(t, env.last!.duration, 0.05, "D");
  near(t, r.reward, (-10 / 0.05) * 0.001, "recv rate -1 / D, no latency, no loss");
  t.same(lastMi(r.observation), [0, 1, 1], "before any RTT sample: the padding's values");
});

tap.test("a one-ack MI, then one without acks after a sample: latency ratio 0", async (t) => {
  // 2 packets/s: reset [0, 0.5], [0.5, 1.0]; step 1 [1.0, 1.1539) closed by the send at 1.5, holding the ack of packet 2 (1.1026).
  const env = at(2);
  env.reset(0);
  let r = env.step([0]);
  t.same(counts(env.last!), [1, 1]);
  near(t, env.last!.duration, 0.5, "D");
  near(t, r.reward, -1000 * 0.1026 * 0.001, "one ack: recv rate 0, only the latency term");
  t.same(lastMi(r.observation), [0, 1, 1], "one ack: ratio 1 (its own minimum), send ratio 1 (recv rate 0)");
  env.step([0]); // [1.5, 1.5513]: packet 3 reaches the receiver at the end
  env.step([0]); // [1.5513, 1.6026]: its ack, at the end
  t.same(counts(env.last!), [0, 1]);
  r = env.step([0]); // [1.6026, 1.6539) closed by the send at 2.0
  t.same(counts(env.last!), [1, 0]);
  near(t, env.last!.duration, 0.3974, "D");
  near(t, r.reward, (-10 / 0.3974) * 0.001, "no ack: recv rate -1 / D");
  t.same(lastMi(r.observation), [0, 0, 1], "latency ratio 0 in a sample-less MI once the episode has a minimum");
});

tap.test("latency ratio and inflation rise with a queue; the send ratio is 1 once it would reach 1000", async (t) => {
  const env = make({ maxRate: 5000 });
  env.reset(0);
  let r = env.step([0]);
  const minLat = env.last!.meanLatency;
  r = env.step([1e6]); // 5000 packets/s into 1000
  for (let i = 0; i < 3; i++) r = env.step([0]);
  const f = lastMi(r.observation);
  const s = env.last!;
  near(t, f[1], s.meanLatency / minLat, "latency ratio = mean RTT / the episode's smallest", 1e-6);
  t.ok(f[1] > 1.5, `queue: latency ratio ${f[1]}`);
  near(t, f[0], s.latencyIncrease / s.duration, "inflation = latency increase / D", 1e-6);
  near(t, f[2], s.sendRate / s.recvRate, "send ratio", 1e-5);
  t.ok((r.info!.queueingDelayMs as number) > 0);
  t.equal(r.info!.timeS, env.simulator.now, "info.timeS is the simulated time at the MI's end");
  const before = r.info!.timeS as number;
  t.ok((env.step([0]).info!.timeS as number) > before, "and grows MI by MI");
  // 20,000 packets/s into 8: a handful of acks per MI against thousands sent.
  const flood = make({ links: [{ bandwidthMbps: 0.1, delayMs: 100, queuePackets: 1, lossRate: 0 }], startRate: [2400, 2400], maxRate: 20000 });
  flood.reset(0);
  for (let i = 0; i < 5; i++) {
    const o = lastMi(flood.step([0]).observation);
    const m = flood.last!;
    if (m.recvRate > 0) t.ok(m.sendRate >= 1000 * m.recvRate, `ratio ${m.sendRate / m.recvRate} >= 1000`);
    t.equal(o[2], 1, "send ratio 1");
  }
});

tap.test("the loss term: a full queue at 2.03 x capacity drops the excess", async (t) => {
  const env = make({ links: [{ bandwidthMbps: 12, delayMs: 50, queuePackets: 10, lossRate: 0 }], startRate: [2.03, 2.03], maxRate: 5000 });
  env.reset(0);
  let r = env.step([0]);
  for (let i = 0; i < 4; i++) r = env.step([0]);
  const s = env.last!;
  t.ok(Math.abs(s.lossRatio - (1 - 1 / 2.03)) < 0.02, `loss ratio ${s.lossRatio} vs 1 - 1000 / 2030`);
  near(t, r.reward, (10 * s.recvRate - 1000 * s.meanLatency - 2000 * s.lossRatio) * 0.001, "reward terms");
  near(t, r.info!.loss as number, s.lossRatio, "info loss");
});

tap.test("observations stay in the documented box on random links and actions", async (t) => {
  const rng = new Rng("box");
  const env = make({
    startRate: undefined,
    minRate: 5,
    maxRate: 20000,
    sampleLinks: (g) => [
      {
        bandwidthMbps: Math.exp(g.uniform(Math.log(0.1), Math.log(128))),
        delayMs: Math.exp(g.uniform(0, Math.log(512))),
        queuePackets: Math.round(Math.exp(g.uniform(0, Math.log(10240)))),
        lossRate: g.uniform(0, 0.1),
      },
    ],
    maxEpisodeSteps: 60,
  });
  const { low, high } = env.observationSpace;
  let outside = 0;
  let maxInflation = -Infinity;
  for (let e = 0; e < 40; e++) {
    env.reset(e);
    for (let i = 0; i < 60; i++) {
      const o = env.step([rng.uniform(-40, 40)]).observation;
      for (let j = 0; j < o.length; j++) if (!(o[j] >= low[j] && o[j] <= high[j])) outside++;
      for (let j = 0; j < o.length; j += 3) maxInflation = Math.max(maxInflation, o[j]);
      for (let j = 2; j < o.length; j += 3) if (!(o[j] < 1000)) outside++;
    }
  }
  t.equal(outside, 0, "every feature inside its bounds");
  t.ok(maxInflation < 1 && maxInflation > 0, `largest inflation ${maxInflation}`);
});

tap.test("the starting rate is 0.3-1.5 x capacity, clamped; MIs respect minIntervalPackets", async (t) => {
  const env = make({ startRate: undefined, maxRate: 5000 });
  const rates = Array.from({ length: 50 }, (_, i) => (env.reset(i), env.rate));
  t.ok(Math.min(...rates) >= 300 && Math.max(...rates) <= 1500, `rates ${Math.min(...rates)}-${Math.max(...rates)}`);
  t.ok(Math.max(...rates) - Math.min(...rates) > 800, "spread over the range");
  const clamped = make({ startRate: undefined, maxRate: 500, minRate: 450 });
  for (let i = 0; i < 20; i++) {
    clamped.reset(i);
    t.ok(clamped.rate >= 450 && clamped.rate <= 500);
  }
  const long = make({ minIntervalPackets: 100 });
  long.reset(0);
  long.step([0]);
  const d = long.last!.duration;
  t.ok(d >= 100 / 400 && d < 101 / 400, `at least 100 packet intervals at 400 packets/s, then to the next event: ${d}`);
});

tap.test("episodes truncate after maxEpisodeSteps; the same seed repeats, another differs", async (t) => {
  const run = (seed: number) => {
    const env = make({ links: [{ bandwidthMbps: 6, delayMs: 20, queuePackets: 20, lossRate: 0.05 }], startRate: undefined, maxEpisodeSteps: 30 });
    env.reset(seed);
    const rs: number[] = [];
    for (let i = 0; ; i++) {
      const r = env.step([Math.sin(i)]);
      rs.push(r.reward);
      if (r.truncated) break;
      t.notOk(r.terminated);
    }
    return rs;
  };
  const a = run(3);
  t.equal(a.length, 30);
  t.same(run(3), a);
  t.notSame(run(4), a);
  // Aurora's 400 MIs by default: the last step is truncated (agents bootstrap), never terminated (PCC-RL's done).
  const env = make();
  t.equal(env.maxEpisodeSteps, 400);
  env.reset(0);
  const ends: [boolean, boolean][] = [];
  for (let i = 0; i < 400; i++) {
    const r = env.step([0]);
    if (r.terminated || r.truncated) ends.push([r.terminated, r.truncated]);
  }
  t.same(ends, [[false, true]], "one end, at MI 400: truncated");
});

tap.test("Aurora's randomisation draws a new link per reset", async (t) => {
  const env = make({ sampleLinks: (rng) => [{ bandwidthMbps: rng.uniform(1, 10), delayMs: 10, queuePackets: 10, lossRate: 0 }] });
  env.reset(1);
  const c1 = env.capacity();
  env.reset(2);
  t.not(env.capacity(), c1);
});

tap.test("bad actions throw named errors", async (t) => {
  const env = make();
  env.reset(0);
  t.throws(() => env.step([NaN]), ValueError);
  t.throws(() => env.step([NaN]), /finite rate change, got NaN/);
  t.throws(() => env.step([0, 1]), ShapeError);
  t.throws(() => make({ minRate: 10, maxRate: 5 }), /minRate <= maxRate/);
});
