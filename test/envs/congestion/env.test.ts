// AuroraCongestion-v0 against its docstring: rate update and clamping, hand-computed MIs
// (PCC-RL's recv rate, padding, latency ratio before and after the first sample), each
// feature and reward term, the observation box, the start rate, the episode end
// (truncated, never terminated), determinism, bad actions.
import tap from "tap";
import { Rng } from "../../../flash/rng.js";
import { ppsToMbps } from "../../../sim/network/link.js";
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

// Hand-computed MIs: 51 ms one way (base RTT 0.102 s), so the reset's two MIs end at
// 0.306 s and the first step's MI is [0.306, 0.459); no send or ack falls on a boundary.
const slow = (pps: number, o: Partial<ConstructorParameters<typeof CongestionEnv>[0]> = {}) =>
  make({ links: [{ bandwidthMbps: 12, delayMs: 51, queuePackets: 100, lossRate: 0 }], startRate: [pps / 1000, pps / 1000], minRate: 1, ...o });
const near = (t: Pick<typeof tap, "ok">, got: number, want: number, what: string, tol = 1e-9) => t.ok(Math.abs(got - want) < tol, `${what}: ${got} vs ${want}`);
const lastMi = (o: Float32Array) => Array.from(o.slice(o.length - 3));

tap.test("the first observation is all padding (0, 1, 1): PCC-RL's empty MI before any RTT sample", async (t) => {
  const env = slow(400);
  const o0 = env.reset(0);
  t.equal(o0.length, 30);
  t.same(PADDING, [0, 1, 1]);
  t.same(Array.from(o0), new Array(10).fill([0, 1, 1]).flat());
  near(t, env.simulator.now, 0.306, "reset ran two MIs of 1.5 base RTTs");
  t.equal(env.rate, 400, "start rate 0.4 x capacity");
});

tap.test("a 60-ack MI by hand: reward on (acked - 1) / D, send ratio on the same, latency ratio 1", async (t) => {
  const env = slow(400);
  env.reset(0);
  const r = env.step([0]);
  near(t, env.simulator.now, 0.459, "first MI: 1.5 base RTTs");
  // Acked: sent in [0.204, 0.357) at k / 400, k = 82..142 (61); sent in the MI: k = 123..183 (61).
  const s = env.last!;
  near(t, s.deliveryRate, 61 / 0.153, "delivery rate");
  near(t, s.recvRate, 60 / 0.153, "recv rate");
  near(t, s.meanLatency, 0.102, "latency = base RTT, no queue");
  near(t, r.reward, ((10 * 60) / 0.153 - 1000 * 0.102) * 0.001, "reward (10 x 60 / 0.153 - 102) / 1000");
  const f = lastMi(r.observation);
  near(t, f[0], 0, "no latency inflation", 1e-6);
  t.equal(f[1], 1, "latency ratio: this MI is the episode's minimum");
  near(t, f[2], 61 / 60, "send ratio 61 / (61 - 1)", 1e-6);
  near(t, r.info!.throughputMbps as number, ppsToMbps(61 / 0.153), "info throughput: the delivery rate");
  t.same(Array.from(r.observation.slice(0, 27)), new Array(9).fill(PADDING).flat(), "older MIs still padding");
  env.step([0]);
  near(t, env.last!.duration, 0.051, "then half the last mean RTT");
});

tap.test("a 2-ack MI by hand: recv rate counts one packet", async (t) => {
  // 15 packets/s: acked k = 4, 5 (sent 0.267, 0.333); sent in the MI k = 5, 6.
  const env = slow(15);
  env.reset(0);
  const r = env.step([0]);
  const s = env.last!;
  near(t, s.deliveryRate * 0.153, 2, "2 acks");
  near(t, s.recvRate, 1 / 0.153, "recv rate (2 - 1) / D");
  near(t, r.reward, (10 / 0.153 - 102) * 0.001, "reward");
  near(t, lastMi(r.observation)[2], 2, "send ratio (2 / D) / (1 / D)", 1e-6);
});

tap.test("empty and one-ack MIs: -10 / D for nothing acked, latency ratio 1 before the first sample and 0 after", async (t) => {
  // 2 packets/s: sends at 0.5, 1.0, ...; acks 0.102 s later.
  const env = slow(2);
  env.reset(0);
  let r = env.step([0]); // [0.306, 0.459): nothing sent or acked
  near(t, r.reward, (-10 / 0.153) * 0.001, "empty MI: recv rate -1 / D");
  t.same(lastMi(r.observation), [0, 1, 1], "before any RTT sample: the padding's values");
  near(t, env.last!.duration, 0.153, "no RTT sample: the MI length stays");
  r = env.step([0]); // [0.459, 0.612): the packet of 0.5 is sent and acked at 0.602
  near(t, env.last!.deliveryRate * 0.153, 1, "1 ack");
  near(t, r.reward, -1000 * 0.102 * 0.001, "one ack: recv rate 0, only the latency term");
  t.same(lastMi(r.observation), [0, 1, 1], "one ack: ratio 1 (its own minimum), send ratio 1 (recv rate 0)");
  r = env.step([0]); // [0.612, 0.663): empty again, after a sample
  near(t, r.reward, (-10 / 0.051) * 0.001, "empty MI of 0.051 s");
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

tap.test("the loss term: a full one-packet queue at twice capacity drops half", async (t) => {
  const env = make({ links: [{ bandwidthMbps: 12, delayMs: 50, queuePackets: 1, lossRate: 0 }], startRate: [2, 2], maxRate: 5000 });
  env.reset(0);
  let r = env.step([0]);
  for (let i = 0; i < 4; i++) r = env.step([0]);
  const s = env.last!;
  t.ok(Math.abs(s.lossRatio - 0.5) < 0.02, `loss ratio ${s.lossRatio}`);
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
  near(t, long.last!.duration, 100 / 400, "at least 100 packet intervals at 400 packets/s");
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
