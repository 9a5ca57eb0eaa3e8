// Aurora's MI statistics (PCC-RL sender_obs.py) on hand-computed intervals: each line of
// monitor.ts's docstring, with the edge cases of 0, 1 and 2 acknowledged packets.
import tap from "tap";
import { intervalStats } from "../../../sim/network/monitor.js";
import type { MonitorInterval } from "../../../sim/network/network.js";

const mi = (o: Partial<Omit<MonitorInterval, "rtts">> & { rtts?: number[] }): MonitorInterval => ({
  start: 1,
  end: 1.5,
  sent: 0,
  acked: o.rtts?.length ?? 0,
  lost: 0,
  ...o,
  rtts: Float64Array.from(o.rtts ?? []),
});
const close = (t: Pick<typeof tap, "ok">, got: number, want: number, what: string) => t.ok(Math.abs(got - want) < 1e-12, `${what}: ${got} vs ${want}`);

tap.test("a 2-packet MI: recv rate counts one packet, the delivery rate two", async (t) => {
  // 0.5 s, 3 sent, 2 acked with RTTs 0.1 and 0.14, 1 lost.
  const s = intervalStats(mi({ sent: 3, lost: 1, rtts: [0.1, 0.14] }));
  close(t, s.duration, 0.5, "duration");
  close(t, s.sendRate, 6, "send rate 3 / 0.5");
  close(t, s.recvRate, 2, "recv rate (2 - 1) / 0.5");
  close(t, s.deliveryRate, 4, "delivery rate 2 / 0.5");
  close(t, s.meanLatency, 0.12, "mean latency");
  close(t, s.minLatency, 0.1, "min latency");
  close(t, s.lossRatio, 1 / 3, "loss 1 / (1 + 2)");
  close(t, s.latencyIncrease, 0.04, "latency increase: second half 0.14 - first half 0.1");
  close(t, s.sentLatencyInflation, 0.08, "inflation 0.04 / 0.5");
});

tap.test("an MI with one ack: recv rate 0, no latency increase", async (t) => {
  const s = intervalStats(mi({ sent: 1, rtts: [0.2] }));
  t.equal(s.recvRate, 0);
  close(t, s.deliveryRate, 2, "delivery rate 1 / 0.5");
  close(t, s.meanLatency, 0.2, "mean latency");
  t.equal(s.latencyIncrease, 0, "fewer than 2 samples: 0");
  t.equal(s.sentLatencyInflation, 0);
});

tap.test("an empty MI: recv rate -1 / D (PCC-RL subtracts a packet from nothing), the rest 0", async (t) => {
  const s = intervalStats(mi({ sent: 2 }));
  close(t, s.recvRate, -2, "recv rate (0 - 1) / 0.5");
  t.equal(s.deliveryRate, 0);
  close(t, s.sendRate, 4, "send rate");
  t.equal(s.meanLatency, 0);
  t.equal(s.minLatency, 0);
  t.equal(s.lossRatio, 0, "no ack, no loss: 0");
  t.equal(s.latencyIncrease, 0);
  t.equal(s.sentLatencyInflation, 0);
  const lostOnly = intervalStats(mi({ sent: 2, lost: 3 }));
  t.equal(lostOnly.lossRatio, 1, "losses only: 1");
});

tap.test("odd sample counts split the halves at floor(A / 2)", async (t) => {
  // A = 5, half = 2: mean(0.3, 0.4, 0.5) - mean(0.1, 0.2) = 0.4 - 0.15.
  const s = intervalStats(mi({ rtts: [0.1, 0.2, 0.3, 0.4, 0.5] }));
  close(t, s.latencyIncrease, 0.25, "latency increase");
  close(t, s.sentLatencyInflation, 0.5, "inflation");
  close(t, s.recvRate, 8, "recv rate (5 - 1) / 0.5");
});

tap.test("a zero-length interval has every rate 0", async (t) => {
  const s = intervalStats(mi({ end: 1, sent: 1, rtts: [0.1, 0.2] }));
  t.equal(s.sendRate, 0);
  t.equal(s.recvRate, 0);
  t.equal(s.deliveryRate, 0);
  t.equal(s.sentLatencyInflation, 0);
});
