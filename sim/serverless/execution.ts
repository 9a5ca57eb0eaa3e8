/**
 * A segment-level execution model of a serverless function at a memory size (no ML).
 *
 * A function is a sequence of Sizeless segments (sim/k8s/segments.ts: the same 16 kinds,
 * input-size dimensions and complexity exponents the autoscaling simulator uses), run
 * one after another. Its *demand* is what it needs whatever the memory size: CPU time
 * (user and system) at full speed and the wall time that CPU work takes (less than the
 * CPU time when a segment runs threads in parallel), time off the CPU (I/O waits), a
 * working set, and the counters a monitoring wrapper records (file-system and network
 * traffic, context switches). At memory size m the platform decides the rest:
 *
 *     share(m)    = min(1, m / fullCoreMb)                 CPU share (AWS Lambda: one vCPU at 1,769 MB)
 *     cpuWall(m)  = cpuWallMs * speed(m) / share(m)        speed(m): the platform's measured per-size factor
 *     swap(m)     = 1 + a * max(0, W / m - r0) ^ b          working set W beyond r0 of the memory: paging
 *     duration(m) = cpuWall(m) * swap(m) + io
 *
 * and paging shows in the monitoring the way the measured functions show it: user CPU
 * time stays, system time and voluntary context switches grow with the time spent
 * paging, and the resident set cannot exceed the memory size. Involuntary context
 * switches grow as the CPU share throttles the function.
 *
 * `composeDemand` is the composition rule shared with sim/k8s/profile.ts: segments run
 * sequentially, so CPU time, I/O time and counters add; a segment's demand scales with
 * its input size through the segment's complexity exponents.
 */
import { SEGMENTS, type SegmentKind } from "../k8s/segments.js";

/** Counters a Sizeless-style wrapper records per invocation, in this order everywhere. */
export const COUNTERS = ["fsRead", "fsWrite", "vContextSwitches", "ivContextSwitches", "netByRx", "netPkgRx", "netByTx", "netPkgTx"] as const;
export type Counter = (typeof COUNTERS)[number];

/** What a function (or one segment at its reference input size) needs, whatever the memory size. */
export interface Demand {
  /** User CPU time at full speed, ms. */
  cpuUserMs: number;
  /** System CPU time at full speed, ms. */
  cpuSysMs: number;
  /** Wall time of the CPU work at full speed, ms (user + sys, less where threads run in parallel). */
  cpuWallMs: number;
  /** Time off the CPU (disk, network, sleeps), ms. */
  ioMs: number;
  /** Working set while it runs, MB (a segment: what it adds to the runtime's). */
  memMb: number;
  /** Per-invocation counters, in COUNTERS order. */
  counters: number[];
}

/** How the platform turns a memory size into CPU and paging (fitted in envs/rcs/segment-fit.ts). */
export interface Platform {
  /** Memory size at which a function gets one full core (below: a proportional share). */
  fullCoreMb: number;
  /** Memory sizes the per-size speed factors belong to, ascending. */
  sizesMb: number[];
  /** Multiplier on CPU wall time per size (1: the reference speed). */
  cpuSpeed: number[];
  swap: SwapModel;
}

export interface SwapModel {
  /** Working set / memory size above which paging starts. */
  threshold: number;
  /** Slowdown scale a and power b of 1 + a (W/m - threshold)^b. */
  scale: number;
  power: number;
  /** System CPU ms per ms spent paging. */
  sysPerPagingMs: number;
  /** Voluntary context switches per ms spent paging. */
  vcsPerPagingMs: number;
}

/** What a monitoring wrapper would see, on average, for one invocation at one memory size. */
export interface Execution {
  durationMs: number;
  userMs: number;
  sysMs: number;
  /** Resident set, MB: the working set, at most the memory size. */
  residentMb: number;
  /** Paging slowdown factor (1: none). */
  swapFactor: number;
  counters: number[];
}

/** CPU share at memory size m. */
export function cpuShare(p: Pick<Platform, "fullCoreMb">, sizeMb: number): number {
  return Math.min(1, sizeMb / p.fullCoreMb);
}

/** The per-size speed factor at m: linear in log2 size between the measured sizes, flat beyond them. */
export function speedAt(p: Pick<Platform, "sizesMb" | "cpuSpeed">, sizeMb: number): number {
  const s = p.sizesMb;
  if (s.length === 0) return 1;
  if (sizeMb <= s[0]) return p.cpuSpeed[0];
  if (sizeMb >= s[s.length - 1]) return p.cpuSpeed[s.length - 1];
  let i = 0;
  while (s[i + 1] < sizeMb) i++;
  const f = (Math.log2(sizeMb) - Math.log2(s[i])) / (Math.log2(s[i + 1]) - Math.log2(s[i]));
  return p.cpuSpeed[i] * (1 - f) + p.cpuSpeed[i + 1] * f;
}

/** Paging slowdown of working set `memMb` in `sizeMb` of memory. */
export function swapFactor(s: SwapModel, memMb: number, sizeMb: number): number {
  const over = memMb / sizeMb - s.threshold;
  return over > 0 ? 1 + s.scale * Math.pow(over, s.power) : 1;
}

/** The expected execution of `d` at memory size `sizeMb` on platform `p` (see the module comment). */
export function executionAt(d: Demand, p: Platform, sizeMb: number): Execution {
  const share = cpuShare(p, sizeMb);
  const cpuWall = (d.cpuWallMs * speedAt(p, sizeMb)) / share;
  const f = swapFactor(p.swap, d.memMb, sizeMb);
  const paging = cpuWall * (f - 1);
  const counters = [...d.counters];
  counters[COUNTERS.indexOf("vContextSwitches")] += p.swap.vcsPerPagingMs * paging;
  counters[COUNTERS.indexOf("ivContextSwitches")] /= share;
  return {
    durationMs: cpuWall + paging + d.ioMs,
    userMs: d.cpuUserMs,
    sysMs: d.cpuSysMs + p.swap.sysPerPagingMs * paging,
    residentMb: Math.min(d.memMb, sizeMb),
    swapFactor: f,
    counters,
  };
}

/** One segment of a function: its kind, its demand at the reference input size, and its input size relative to that. */
export interface SegmentPart {
  kind: SegmentKind;
  /** Demand at the segment's reference input size (SEGMENTS[kind].refSize). */
  cost: Demand;
  /** Input size / reference input size. */
  scale: number;
}

/** A segment's demand at input scale x: each resource grows with the segment's complexity exponent. */
export function scaledDemand(part: SegmentPart): Demand {
  const p = SEGMENTS[part.kind];
  const x = part.scale;
  const cpu = Math.pow(x, p.cpuExp);
  const io = Math.pow(x, p.ioExp);
  return {
    cpuUserMs: part.cost.cpuUserMs * cpu,
    cpuSysMs: part.cost.cpuSysMs * cpu,
    cpuWallMs: part.cost.cpuWallMs * cpu,
    ioMs: part.cost.ioMs * io,
    memMb: part.cost.memMb * Math.pow(x, p.memExp),
    // Bytes moved and the waits between them grow with the data, like the I/O time.
    counters: part.cost.counters.map((c) => c * io),
  };
}

/**
 * The demand of a function: `runtime` (the language runtime, its libraries and the wrapper)
 * plus its segments run in sequence. Times and counters add; the working set is the
 * runtime's plus every segment's (a garbage-collected runtime keeps earlier segments'
 * buffers until it collects; segment-fit.ts measures this "sum" against sim/k8s's "runtime
 * + largest segment" on the real data).
 */
export function composeDemand(runtime: Demand, parts: readonly SegmentPart[]): Demand {
  const out: Demand = { ...runtime, counters: [...runtime.counters] };
  for (const part of parts) {
    const d = scaledDemand(part);
    out.cpuUserMs += d.cpuUserMs;
    out.cpuSysMs += d.cpuSysMs;
    out.cpuWallMs += d.cpuWallMs;
    out.ioMs += d.ioMs;
    out.memMb += d.memMb;
    d.counters.forEach((c, i) => (out.counters[i] += c));
  }
  return out;
}
