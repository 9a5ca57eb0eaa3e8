import t from "tap";
import { SEGMENTS } from "../../../sim/k8s/segments.js";
import { COUNTERS, composeDemand, cpuShare, executionAt, speedAt, swapFactor, type Demand, type Platform } from "../../../sim/serverless/execution.js";

const platform: Platform = {
  fullCoreMb: 1024,
  sizesMb: [128, 1024, 4096],
  cpuSpeed: [1.2, 1, 0.9],
  swap: { threshold: 0.8, scale: 10, power: 2, sysPerPagingMs: 0.01, vcsPerPagingMs: 0.5 },
};
const vcs = COUNTERS.indexOf("vContextSwitches");
const ivcs = COUNTERS.indexOf("ivContextSwitches");
const demand = (over: Partial<Demand> = {}): Demand => ({
  cpuUserMs: 90,
  cpuSysMs: 10,
  cpuWallMs: 100,
  ioMs: 50,
  memMb: 100,
  counters: COUNTERS.map((_, i) => (i === ivcs ? 4 : 1)),
  ...over,
});

t.test("CPU share, per-size speed and paging as documented", async (t) => {
  t.equal(cpuShare(platform, 256), 0.25);
  t.equal(cpuShare(platform, 2048), 1);
  t.equal(speedAt(platform, 64), 1.2, "flat below the smallest size");
  t.equal(speedAt(platform, 2048), 0.95, "linear in log2 size between sizes");
  t.equal(speedAt(platform, 16384), 0.9);
  t.equal(swapFactor(platform.swap, 80, 100), 1, "no paging up to the threshold");
  t.ok(Math.abs(swapFactor(platform.swap, 180, 100) - 11) < 1e-12, "1 + 10 (1.8 - 0.8)^2");
});

t.test("executionAt: throttled, paging, and the monitoring that goes with it", async (t) => {
  const free = executionAt(demand(), platform, 1024);
  t.same([free.durationMs, free.userMs, free.sysMs, free.residentMb, free.swapFactor], [150, 90, 10, 100, 1]);
  const throttled = executionAt(demand(), platform, 512);
  t.ok(Math.abs(throttled.durationMs - (100 * speedAt(platform, 512) * 2 + 50)) < 1e-9, "half a core doubles the CPU wall time");
  t.equal(throttled.counters[ivcs], 8, "involuntary switches grow as 1 / share");
  const paging = executionAt(demand({ memMb: 1800 }), platform, 1024);
  const f = 1 + 10 * (1800 / 1024 - 0.8) ** 2;
  t.ok(Math.abs(paging.durationMs - (100 * f + 50)) < 1e-9);
  t.equal(paging.userMs, 90, "user time does not change while paging");
  t.ok(Math.abs(paging.sysMs - (10 + 0.01 * 100 * (f - 1))) < 1e-9, "system time grows per ms paging");
  t.ok(Math.abs(paging.counters[vcs] - (1 + 0.5 * 100 * (f - 1))) < 1e-9, "and voluntary switches");
  t.equal(paging.residentMb, 1024, "the resident set is capped at the memory size");
});

t.test("composeDemand: the runtime plus each segment scaled by its complexity exponents", async (t) => {
  const cost = demand({ memMb: 10 });
  const runtime = demand({ cpuUserMs: 0, cpuSysMs: 0, cpuWallMs: 0, ioMs: 0, memMb: 30, counters: COUNTERS.map(() => 2) });
  const d = composeDemand(runtime, [
    { kind: "matrixMultiplication", cost, scale: 2 },
    { kind: "compress", cost, scale: 1 },
  ]);
  const mm = SEGMENTS.matrixMultiplication;
  t.equal(d.cpuUserMs, 90 * 2 ** mm.cpuExp + 90);
  t.equal(d.cpuWallMs, 100 * 2 ** mm.cpuExp + 100);
  t.equal(d.ioMs, 50 * 2 ** mm.ioExp + 50);
  t.equal(d.memMb, 30 + 10 * 2 ** mm.memExp + 10, "working sets add");
  t.equal(d.counters[0], 2 + 1 * 2 ** mm.ioExp + 1);
  t.equal(runtime.memMb, 30, "the runtime's demand is not modified");
});
