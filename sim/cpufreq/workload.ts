/**
 * An application's requests as a DVFS workload: the two-component timing model
 *
 *     T(f) = T_mem * L / L0 + T_cpu * f0 / (f * ipc)
 *
 * core-seconds per request, where T_cpu is the compute time at the reference frequency f0
 * on the reference core (Haswell-EP, ipc = 1; it scales with the clock and with the
 * processor's `ipcRelative`) and T_mem the time the core stalls on DRAM at the reference
 * latency L0 (it scales with the processor's DRAM latency L, not with the clock). So
 * instructions per second of a busy core rise almost linearly with f for compute-bound
 * code and barely for memory-bound code, and the same request needs fewer cycles on a
 * core with a higher IPC and waits longer on a platform with a slower memory path.
 *
 * Applications are the Kubernetes simulator's (sim/k8s app.ts schema, drawn from the
 * segments of sim/k8s/segments.ts), so an app id means the same code on both simulators:
 * each segment's CPU time at its input size (segments.ts, valid at f0 = `REF_GHZ`) is
 * split into a memory-stall share `MEMORY_FRACTION[kind]` (stated at the reference DRAM
 * latency, and scaled by the processor's latency over it) and a compute share (divided by
 * the processor's `ipcRelative`); its I/O time is latency only (the core is idle). A
 * request runs its segments in order, each on up to its `parallelism` cores.
 * Instructions per request are the reference core's compute cycles at f0 times `IPC`
 * (stalled cycles retire next to nothing): the same on every processor, since the code is
 * the same.
 *
 * The memory fractions are assumptions from each segment's character (tight arithmetic
 * loops ~0; streaming byte copies and pointer-chasing storage code mostly memory), not
 * measurements.
 */
import type { Application } from "../k8s/app.js";
import { compileApplication } from "../k8s/profile.js";
import type { SegmentKind } from "../k8s/segments.js";
import type { Processor } from "./processor.js";

/** The frequency (GHz) at which the segment profiles' CPU times hold. */
export const REF_GHZ = 2.5;
/** The DRAM latency (ns) at which `MEMORY_FRACTION` holds. */
export const REF_MEMORY_LATENCY_NS = 90;
/** Instructions retired per non-stalled cycle on the reference core (Haswell-EP); a processor's `ipcRelative` scales it. */
export const IPC = 2;

/** Share of a segment's CPU time stalled on memory at `REF_GHZ` and `REF_MEMORY_LATENCY_NS`. */
export const MEMORY_FRACTION: Readonly<Record<SegmentKind, number>> = Object.freeze({
  floatOperations: 0.03,
  matrixMultiplication: 0.25,
  imageCompress: 0.3,
  imageResize: 0.4,
  imageRotate: 0.5,
  jsonToYaml: 0.35,
  compress: 0.3,
  decompress: 0.4,
  databaseRead: 0.7,
  databaseWrite: 0.6,
  fileRead: 0.8,
  fileWrite: 0.8,
  objectStorageRead: 0.85,
  objectStorageWrite: 0.85,
  objectStorageStream: 0.85,
  sleep: 0.5,
});

/** An application compiled for one processor: per-request times in seconds. */
export interface Workload {
  app: string;
  sloSeconds: number;
  load: number;
  /** Core-seconds per request stalled on memory (this processor's latency). */
  memCoreS: number;
  /** Core-seconds per request of compute at REF_GHZ on this processor (the reference core's time / ipcRelative). */
  cpuCoreS: number;
  /** Latency parts of one request: memory stalls and compute at REF_GHZ over each segment's cores, and I/O. */
  latMemS: number;
  latCpuS: number;
  ioS: number;
  instructionsPerRequest: number;
  /** Core-seconds per request at REF_GHZ with the reference DRAM latency: sets the load (the same on every processor). */
  refCoreS: number;
}

export function compileWorkload(app: Application, p: Pick<Processor, "memoryLatencyNs" | "ipcRelative">): Workload {
  const prof = compileApplication(app);
  const latScale = p.memoryLatencyNs / REF_MEMORY_LATENCY_NS;
  const w: Workload = {
    app: app.name,
    sloSeconds: prof.sloSeconds,
    load: prof.load,
    memCoreS: 0,
    cpuCoreS: 0,
    latMemS: 0,
    latCpuS: 0,
    ioS: 0,
    instructionsPerRequest: 0,
    refCoreS: prof.cpuSecondsPerRequest,
  };
  for (const [i, seg] of app.segments.entries()) {
    const beta = MEMORY_FRACTION[seg.kind];
    const mem = prof.cpuS[i] * beta * latScale;
    const refCpu = prof.cpuS[i] * (1 - beta);
    const cpu = refCpu / p.ipcRelative;
    w.memCoreS += mem;
    w.cpuCoreS += cpu;
    w.latMemS += mem / prof.par[i];
    w.latCpuS += cpu / prof.par[i];
    w.ioS += prof.ioS[i];
    w.instructionsPerRequest += refCpu * REF_GHZ * 1e9 * IPC;
  }
  return w;
}

/** Core-seconds one request occupies at `ghz` on the workload's processor: T(f) = T_mem + T_cpu * f0 / f (both already scaled to it). */
export function coreSecondsPerRequest(w: Workload, ghz: number): number {
  return w.memCoreS + (w.cpuCoreS * REF_GHZ) / ghz;
}

/** A request's own latency at `ghz` (no queueing). */
export function serviceLatencySeconds(w: Workload, ghz: number): number {
  return w.latMemS + (w.latCpuS * REF_GHZ) / ghz + w.ioS;
}

/** Instructions per second of one busy core running the workload at `ghz`. */
export function busyCoreIps(w: Workload, ghz: number): number {
  return w.instructionsPerRequest / coreSecondsPerRequest(w, ghz);
}

/** Share of a request's core time stalled on memory at `ghz` (0: compute-bound, 1: memory-bound). */
export function memoryBoundFraction(w: Workload, ghz: number): number {
  return w.memCoreS / coreSecondsPerRequest(w, ghz);
}

/** Cores of the reference server that sets every application's load (so an app's request rate is the same on every processor). */
export const REF_CORES = 16;

/**
 * Mean request rate (requests/s) of `w`: at load level `app.load` the mean demand is
 * `loadFraction` of a 16-core server at REF_GHZ with the reference DRAM latency. It does
 * not depend on the processor the app runs on, so a processor change keeps the load.
 */
export function meanRequestRate(w: Workload, loadFraction: number): number {
  return (w.load * loadFraction * REF_CORES) / w.refCoreS;
}
