// The congestion-control baselines: the oracle at capacity, AIMD's halving and growth,
// the BBR-like pacer near the bottleneck with a short queue.
import t from "tap";
import { AimdSender, BbrSender, FixedRateSender, senderAction, type RateSender, type SenderView } from "../../../agents/baselines/congestion.js";
import { CongestionEnv, type IntervalStats } from "../../../envs/congestion/env.js";

const env = () =>
  new CongestionEnv({
    pair: "p",
    links: [{ bandwidthMbps: 12, delayMs: 25, queuePackets: 200, lossRate: 0 }],
    seed: 1,
    maxRate: 5000,
    maxEpisodeSteps: 200,
    startRate: [0.5, 0.5],
  });

function run(s: RateSender): { util: number; latencyMs: number; loss: number } {
  const e = env();
  s.reset();
  e.reset(0);
  let util = 0;
  let lat = 0;
  let loss = 0;
  let n = 0;
  for (let i = 0; i < 200; i++) {
    const r = e.step(senderAction(s, e));
    if (i < 100) continue;
    util += (r.info!.throughputMbps as number) / 12;
    lat += r.info!.latencyMs as number;
    loss += r.info!.loss as number;
    n++;
  }
  return { util: util / n, latencyMs: lat / n, loss: loss / n };
}

t.test("the oracle sends at capacity: full utilisation, base RTT", async (t) => {
  const m = run(new FixedRateSender());
  t.ok(m.util > 0.97, `utilisation ${m.util}`);
  t.ok(m.latencyMs < 55, `latency ${m.latencyMs} ms (base 50)`);
  t.equal(m.loss, 0);
});

const view = (rate: number, last: Partial<IntervalStats>): SenderView => ({
  rate,
  deltaScale: 0.025,
  capacity: () => 1000,
  last: {
    duration: 0.05,
    sendRate: rate,
    recvRate: rate - 1 / 0.05,
    deliveryRate: rate,
    meanLatency: 0.1,
    minLatency: 0.1,
    lossRatio: 0,
    latencyIncrease: 0,
    sentLatencyInflation: 0,
    ...last,
  },
});

t.test("AIMD halves on loss once per RTT and grows otherwise", async (t) => {
  const a = new AimdSender({ growth: "reno" });
  a.reset();
  t.equal(a.target(view(800, { lossRatio: 0.1 })), 400, "halved");
  t.equal(a.target(view(400, { lossRatio: 0.1 })), 400 + 0.05 / 0.01, "no second halving within one RTT: Reno's +1 packet per RTT per RTT");
  t.ok(a.target(view(400, { lossRatio: 0.1 })) <= 400, "after an RTT, a new loss halves again");
  const c = new AimdSender();
  c.reset();
  c.target(view(800, { lossRatio: 0.1 }));
  let r = 400;
  for (let i = 0; i < 40; i++) r = c.target(view(r, {}));
  t.ok(r > 700, `CUBIC regrows towards the last maximum: ${r}`);
  const m = run(new AimdSender());
  t.ok(m.util > 0.6, `AIMD utilisation ${m.util}`);
  t.ok(m.loss > 0, "AIMD probes into loss");
});

t.test("the BBR-like pacer runs near the bottleneck with little queue", async (t) => {
  const m = run(new BbrSender());
  t.ok(m.util > 0.8, `utilisation ${m.util}`);
  t.ok(m.latencyMs < 120, `latency ${m.latencyMs} ms`);
});
