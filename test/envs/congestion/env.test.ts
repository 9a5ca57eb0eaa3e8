// AuroraCongestion-v0: rate update and clamping, monitor intervals, observation and
// reward against hand-computed values, determinism, bad actions.
import t from "tap";
import { ShapeError, ValueError } from "../../../flash/errors.js";
import { actionFor, applyDelta, CongestionEnv, PADDING } from "../../../envs/congestion/env.js";

// 12 Mbps = 1000 packets/s, 50 ms one way (base RTT 100 ms), start at exactly 400 packets/s.
const make = (o: Partial<ConstructorParameters<typeof CongestionEnv>[0]> = {}) =>
  new CongestionEnv({ pair: "p", links: [{ bandwidthMbps: 12, delayMs: 50, queuePackets: 100, lossRate: 0 }], startRate: [0.4, 0.4], seed: 1, ...o });

t.test("Aurora's rate update and its inverse", async (t) => {
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

t.test("monitor intervals, observation and reward by hand", async (t) => {
  const env = make({ maxRate: 5000 });
  const o0 = env.reset(0);
  t.equal(o0.length, 30);
  t.same(Array.from(o0), new Array(10).fill(PADDING).flat(), "all padding");
  // Reset ran two MIs of 1.5 base RTTs.
  t.ok(Math.abs(env.simulator.now - 0.3) < 1e-12);
  const r1 = env.step([0]);
  t.ok(Math.abs(env.simulator.now - 0.45) < 1e-12, "first MI: 1.5 base RTTs (Aurora's 3 x one-way delay)");
  const s = env.last!;
  // 400 packets/s for 0.15 s, every packet 0.1 s RTT, nothing lost or queued.
  t.ok(Math.abs(s.throughput - 400) <= 1 / 0.15 + 1e-9, `throughput ${s.throughput}`);
  t.ok(Math.abs(s.meanLatency - 0.1) < 1e-9);
  t.equal(s.lossRatio, 0);
  const hand = (10 * s.throughput - 1000 * 0.1) * 0.001;
  t.ok(Math.abs(r1.reward - hand) < 1e-9, `reward ${r1.reward} vs ${hand}`);
  t.ok(Math.abs(r1.reward - 3.9) < 0.07, "about (10 x 400 - 1000 x 0.1) / 1000");
  const last = Array.from(r1.observation.slice(27));
  t.ok(Math.abs(last[0]) < 1e-6, "no latency inflation");
  t.equal(last[1], 1, "latency ratio: the episode's minimum");
  t.ok(Math.abs(last[2] - s.sendRate / s.throughput) < 1e-6);
  t.same(Array.from(r1.observation.slice(0, 27)), new Array(9).fill(PADDING).flat());
  env.step([0]);
  t.ok(Math.abs(env.simulator.now - 0.5) < 1e-9, "then half the last mean RTT (0.05 s)");
  t.equal(env.last!.duration.toFixed(6), "0.050000");
  // Above capacity the queue builds: latency ratio and inflation rise, send ratio > 1, reward falls.
  let r = env.step([1e6]);
  for (let i = 0; i < 5; i++) r = env.step([0]);
  const q = Array.from(r.observation.slice(27));
  t.ok(q[1] > 1 && q[2] > 1, `latency ratio ${q[1]}, send ratio ${q[2]}`);
  t.ok((r.info!.queueingDelayMs as number) > 0);
});

t.test("episodes truncate after maxEpisodeSteps; the same seed repeats, another differs", async (t) => {
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
});

t.test("Aurora's randomisation draws a new link per reset", async (t) => {
  const env = make({ sampleLinks: (rng) => [{ bandwidthMbps: rng.uniform(1, 10), delayMs: 10, queuePackets: 10, lossRate: 0 }] });
  env.reset(1);
  const c1 = env.capacity();
  env.reset(2);
  t.not(env.capacity(), c1);
});

t.test("bad actions throw named errors", async (t) => {
  const env = make();
  env.reset(0);
  t.throws(() => env.step([NaN]), ValueError);
  t.throws(() => env.step([NaN]), /finite rate change, got NaN/);
  t.throws(() => env.step([0, 1]), ShapeError);
  t.throws(() => make({ minRate: 10, maxRate: 5 }), /minRate <= maxRate/);
});
