// The path simulator against analytic checks: capacity, queueing, tail drop, random
// loss, a trace-driven bandwidth change, determinism and bad input.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { EventHeap } from "../../../sim/network/heap.js";
import { LinkTraceError, NetworkConfigError } from "../../../sim/network/errors.js";
import { mbpsToPps, type LinkSpec } from "../../../sim/network/link.js";
import { intervalStats } from "../../../sim/network/monitor.js";
import { PathSimulator } from "../../../sim/network/network.js";
import { listLinkTraces, loadLinkTrace, parseCsvTrace, parseJsonTrace } from "../../../sim/network/trace.js";
import { datasetPath } from "../../../experiments/datasets.js";

const link = (o: Partial<LinkSpec> = {}): LinkSpec => ({ bandwidthMbps: 12, delayMs: 50, queuePackets: 50, lossRate: 0, ...o });

t.test("the event heap pops in time order, ties in push order", async (t) => {
  const h = new EventHeap(2);
  const times = [5, 1, 3, 1, 1, 4, 3, 0];
  times.forEach((x, i) => h.push(x, i));
  const out: number[] = [];
  while (h.size) out.push(h.pop());
  t.same(out, [7, 1, 3, 4, 2, 6, 5, 0]);
  // At one time a smaller key leaves first; equal keys in push order.
  const k = new EventHeap(2);
  k.push(1, 0, 0.5);
  k.push(1, 1, 0.2);
  k.push(1, 2);
  k.push(0.5, 3, 9);
  k.push(1, 4, 0.2);
  const ko: number[] = [];
  while (k.size) ko.push(k.pop());
  t.same(ko, [3, 2, 1, 4, 0]);
});

t.test("next-event intervals end at the first event at or after the nominal end, as PCC-RL's run_for_dur", async (t) => {
  // 400 packets/s, 51.3 ms one way, no queueing: packet k is sent at k / 400, reaches the receiver 0.0513 s
  // later and is acked 0.1026 s after its send.
  const make = () => new PathSimulator({ links: [link({ delayMs: 51.3, queuePackets: 100 })], rate: 400, seed: 1 });
  const s = make();
  let mi = s.runFor(0.1539, "next-event");
  // Sends 1..61 before 0.1539, then the first later event is the send of packet 62 at 0.155; acks of 1..20.
  t.ok(Math.abs(mi.end - 0.155) < 1e-12, `closed by the send at 0.155: ${mi.end}`);
  t.same([mi.sent, mi.acked], [62, 20]);
  mi = s.runFor(0.101, "next-event");
  // Nominal end 0.256: the first event after it is packet 82 reaching the receiver (0.2563), before
  // the send of 103 (0.2575) and the ack of 62 (0.2576); it changes no count.
  t.ok(Math.abs(mi.end - 0.2563) < 1e-12, `closed by a receiver arrival at 0.2563: ${mi.end}`);
  t.ok(Math.abs(s.now - 0.2563) < 1e-12, "the clock moves with it");
  t.same([mi.sent, mi.acked], [40, 41], "sends 63..102, acks of 21..61");
  const fixed = make().runFor(0.1539);
  t.equal(fixed.end, 0.1539, "at-duration (the default) ends on time");
  t.same([fixed.sent, fixed.acked], [61, 20]);
});

t.test("below capacity: throughput = rate, latency = base RTT, no loss", async (t) => {
  const s = new PathSimulator({ links: [link()], rate: 500, seed: 1 });
  t.equal(mbpsToPps(12), 1000);
  s.runFor(1);
  const st = intervalStats(s.runFor(10));
  t.ok(Math.abs(st.deliveryRate - 500) <= 0.2, `throughput ${st.deliveryRate}`);
  t.ok(Math.abs(st.sendRate - 500) <= 0.2);
  t.ok(Math.abs(st.meanLatency - 0.1) < 1e-9, `latency ${st.meanLatency}`);
  t.equal(st.lossRatio, 0);
  t.ok(s.queuedPackets() <= 1);
});

t.test("above capacity: throughput = capacity, the queue fills, the excess is dropped", async (t) => {
  const s = new PathSimulator({ links: [link({ queuePackets: 50 })], rate: 1500, seed: 1 });
  s.runFor(2);
  const st = intervalStats(s.runFor(10));
  t.ok(Math.abs(st.deliveryRate - 1000) <= 1, `throughput ${st.deliveryRate}`);
  // Full queue: 49 to 50 packets ahead at 1000 packets/s.
  t.ok(st.meanLatency > 0.1 + 0.048 && st.meanLatency < 0.1 + 0.0501, `latency ${st.meanLatency}`);
  t.ok(Math.abs(st.lossRatio - 1 / 3) < 0.01, `loss ${st.lossRatio} (excess 500 of 1500)`);
  t.ok(s.queuedPackets() > 48);
});

t.test("queueing: a rate above capacity builds delay linearly until the queue is full", async (t) => {
  const s = new PathSimulator({ links: [link({ queuePackets: 10_000 })], rate: 2000, seed: 1 });
  const st = intervalStats(s.runFor(1));
  // A packet sent at x waits x s (2000 x sent, 1000 x delivered). Acked by t = 1: those delivered
  // by 0.9, i.e. sent in [0, 0.45); the halves' mean latencies differ by 0.225 s.
  t.ok(Math.abs(st.latencyIncrease - 0.225) < 0.005, `latency increase ${st.latencyIncrease}`);
  t.ok(Math.abs(st.deliveryRate - 900) <= 1, `acked ${st.deliveryRate}`);
  t.equal(st.lossRatio, 0);
  t.ok(Math.abs(s.queuedPackets() - 1000) < 3, `queued ${s.queuedPackets()}`);
});

t.test("random loss: the configured rate is recovered", async (t) => {
  const s = new PathSimulator({ links: [link({ lossRate: 0.05, bandwidthMbps: 120 })], rate: 5000, seed: 7 });
  s.runFor(1);
  const st = intervalStats(s.runFor(10));
  // 50,000 packets: the binomial standard error is 0.001.
  t.ok(Math.abs(st.lossRatio - 0.05) < 0.004, `loss ${st.lossRatio}`);
  t.ok(Math.abs(st.meanLatency - 0.1) < 1e-9);
});

t.test("a trace-driven bandwidth change: throughput follows the trace, the queue builds", async (t) => {
  // 12 Mbps (1000 packets/s) for 5 s, then 6 Mbps (500 packets/s); period 10 s.
  const trace = { name: "step", times: [0, 5], bandwidthMbps: [12, 6] };
  const s = new PathSimulator({ links: [link({ queuePackets: 100_000, trace })], rate: 800, seed: 1 });
  const a = intervalStats(s.runFor(4.9));
  t.ok(
    Math.abs(s.links[0].bandwidthAt(4) - 1000) < 1e-9 && Math.abs(s.links[0].bandwidthAt(6) - 500) < 1e-9 && Math.abs(s.links[0].bandwidthAt(14) - 1000) < 1e-9,
  );
  t.ok(Math.abs(a.meanLatency - 0.1) < 1e-9, "below capacity before the change");
  s.runFor(0.2);
  const b = intervalStats(s.runFor(4.8));
  t.ok(Math.abs(b.deliveryRate - 500) < 5, `throughput after the change ${b.deliveryRate}`);
  // 300 packets/s more than the link carries for ~4.9 s: ~1470 queued, ~2.9 s of delay at 500/s.
  t.ok(Math.abs(s.queuedPackets() - 1470) < 10, `queued ${s.queuedPackets()}`);
  t.ok(b.meanLatency > 0.8, `latency ${b.meanLatency}`);
});

t.test("two links: the bottleneck sets the throughput, delays add up", async (t) => {
  const s = new PathSimulator({ links: [link({ delayMs: 10 }), link({ bandwidthMbps: 6, delayMs: 30 })], rate: 400, seed: 1 });
  s.runFor(1);
  const st = intervalStats(s.runFor(5));
  t.ok(Math.abs(st.meanLatency - 0.08) < 1e-9, `latency ${st.meanLatency}`);
  t.equal(s.capacityAt(), 500);
  t.ok(Math.abs(st.deliveryRate - 400) < 1);
});

t.test("determinism: the same seed gives the same run, another seed other losses", async (t) => {
  const run = (seed: number) => {
    const s = new PathSimulator({ links: [link({ lossRate: 0.1 })], rate: 900, seed });
    return Array.from({ length: 20 }, () => {
      const m = s.runFor(0.1);
      return [m.sent, m.acked, m.lost, ...m.rtts].join(",");
    }).join(";");
  };
  t.equal(run(3), run(3));
  t.not(run(3), run(4));
  const s = new PathSimulator({ links: [link({ lossRate: 0.1 })], rate: 900, seed: 3 });
  const first = s.runFor(2).lost;
  s.reset(900);
  t.equal(s.runFor(2).lost, first, "reset re-seeds the loss stream");
});

t.test("bad input: named errors with the field", async (t) => {
  t.throws(() => new PathSimulator({ links: [link({ bandwidthMbps: 0 })], rate: 10 }), NetworkConfigError);
  t.throws(() => new PathSimulator({ links: [link({ bandwidthMbps: 0 })], rate: 10 }), /links\[0\]\.bandwidthMbps: expected a finite number > 0/);
  t.throws(() => new PathSimulator({ links: [link({ queuePackets: 0 })], rate: 10 }), /links\[0\]\.queuePackets/);
  t.throws(() => new PathSimulator({ links: [link({ lossRate: 1 })], rate: 10 }), /lossRate/);
  t.throws(() => new PathSimulator({ links: [], rate: 10 }), /links/);
  t.throws(() => new PathSimulator({ links: [link()], rate: NaN }), /rate: expected a finite sending rate > 0 \(packets\/s\), got NaN/);
  const s = new PathSimulator({ links: [link()], rate: 100 });
  s.runFor(0.5);
  t.throws(() => (s.rate = NaN), NetworkConfigError);
  t.equal(s.rate, 100, "a refused rate leaves the old one");
  t.throws(() => s.runFor(0), /monitor interval/);
});

t.test("trace files: formats and named errors with file and line or field", async (t) => {
  const good = parseJsonTrace(JSON.stringify({ timestamps: [0, 0.5, 1], bandwidths: [1, 2, 3], delays: [20], loss: 0, queue: 10 }), "a.json");
  t.same(good.link, { delayMs: 20, lossRate: 0, queuePackets: 10 });
  t.throws(
    () => parseJsonTrace(JSON.stringify({ timestamps: [0, 1, 0.5], bandwidths: [1, 2, 3] }), "b.json"),
    /b\.json: timestamps\[2\]: expected a time after the previous one/,
  );
  t.throws(() => parseJsonTrace(JSON.stringify({ timestamps: [0, 1], bandwidths: [1, -2] }), "c.json"), LinkTraceError);
  t.throws(
    () => parseJsonTrace(JSON.stringify({ timestamps: [0, 1], bandwidths: [1, null] }), "c.json"),
    /c\.json: bandwidths\[1\]: expected a finite bandwidth >= 0/,
  );
  t.throws(() => parseJsonTrace(JSON.stringify({ timestamps: [0, 1], bandwidths: [0, 0] }), "z.json"), /at least one bandwidth > 0/);
  t.throws(() => parseJsonTrace("{", "d.json"), /d\.json: \(file\): expected a JSON object/);
  const csv = parseCsvTrace("time_s,bandwidth_mbps,delay_ms\n0,5,10\n1,6,12\n", "e.csv");
  t.same(csv.delayMs, [10, 12]);
  t.throws(() => parseCsvTrace("time_s,bandwidth_mbps\n0,5\n1,inf\n", "f.csv"), /f\.csv: line 3 \(bandwidths\): expected a finite bandwidth/);
  t.throws(() => parseCsvTrace("time_s,bandwidth_mbps\n0,5\n2,5\n1,5\n", "g.csv"), /g\.csv: line 4 \(timestamps\)/);
  t.throws(() => parseCsvTrace("t,bw\n0,5\n", "h.csv"), /h\.csv: line 1: expected the header/);
  const dir = mkdtempSync(path.join(os.tmpdir(), "linktrace-"));
  writeFileSync(path.join(dir, "x.csv"), "time_s,bandwidth_mbps\n0,5\n");
  t.equal(loadLinkTrace(path.join(dir, "x.csv")).bandwidthMbps[0], 5);
  t.throws(() => loadLinkTrace(path.join(dir, "missing.json")), /missing\.json: \(file\): expected a readable trace file/);
});

const PANTHEON = datasetPath("network-traces");
t.test("the repository's Pantheon traces (data/network-traces) load and drive a link", async (t) => {
  const files = listLinkTraces(PANTHEON);
  t.equal(files.length, 537, "357 cellular + 180 ethernet");
  t.same(listLinkTraces(files[0]), [files[0]], "one trace file lists itself");
  const tr = loadLinkTrace(files[0]);
  t.ok(tr.times.length > 40 && tr.link?.queuePackets === 10);
  const s = new PathSimulator({ links: [{ bandwidthMbps: 0, delayMs: tr.link?.delayMs ?? 20, queuePackets: 10, lossRate: 0, trace: tr }], rate: 100, seed: 1 });
  const st = intervalStats(s.runFor(2));
  t.ok(st.deliveryRate > 0);
});
