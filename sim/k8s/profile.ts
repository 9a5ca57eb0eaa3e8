/**
 * An application compiled to the numbers the performance model needs per request.
 *
 * A request runs the application's segments one after another (Sizeless functions are
 * sequential compositions). With a CPU limit of L cores (CFS quota), segment i takes
 *
 *     t_i(L) = cpu_i / min(p_i, L) + io_i
 *
 * seconds: below one core the quota throttles even single-threaded code; above a
 * segment's parallelism p_i extra cores sit idle, which is where "more CPU, lower
 * latency" saturates. Segments run sequentially and the runtime frees each one's buffers
 * before the next, so the peak working set is the runtime plus the largest segment.
 */
import type { Application } from "./app.js";
import { segmentDemand } from "./segments.js";

export interface AppProfile {
  name: string;
  sloSeconds: number;
  load: number;
  /** Per-segment CPU seconds at one core, parallelism, I/O seconds (typed for the hot loop). */
  cpuS: Float64Array;
  par: Float64Array;
  ioS: Float64Array;
  /** Total CPU seconds of one request (the work, independent of the limit). */
  cpuSecondsPerRequest: number;
  /** Resident memory of an idle replica (runtime + code). */
  idleMemoryMB: number;
  /** Peak working set of a replica while it serves a request. */
  peakMemoryMB: number;
}

export function compileApplication(app: Application): AppProfile {
  const n = app.segments.length;
  const cpuS = new Float64Array(n);
  const par = new Float64Array(n);
  const ioS = new Float64Array(n);
  let peakSeg = 0;
  let cpuTotal = 0;
  for (let i = 0; i < n; i++) {
    const d = segmentDemand(app.segments[i].kind, app.segments[i].size);
    cpuS[i] = d.cpuMs / 1000;
    ioS[i] = d.ioMs / 1000;
    par[i] = d.parallelism;
    cpuTotal += cpuS[i];
    if (d.memMB > peakSeg) peakSeg = d.memMB;
  }
  return {
    name: app.name,
    sloSeconds: app.sloMs / 1000,
    load: app.load,
    cpuS,
    par,
    ioS,
    cpuSecondsPerRequest: cpuTotal,
    idleMemoryMB: app.runtimeMemoryMB,
    peakMemoryMB: app.runtimeMemoryMB + peakSeg,
  };
}

/** Service time in seconds of one request on a replica with `cpuLimit` cores, no memory pressure. */
export function serviceSeconds(p: AppProfile, cpuLimit: number): number {
  let s = 0;
  for (let i = 0; i < p.cpuS.length; i++) {
    const cores = p.par[i] < cpuLimit ? p.par[i] : cpuLimit;
    s += p.cpuS[i] / cores + p.ioS[i];
  }
  return s;
}

/**
 * Slowdown of a replica whose working set is `ratio` of its memory limit. Below 80% the
 * kernel has free page cache and nothing slows; from 80% to 100% reclaim and (for
 * garbage-collected runtimes) more frequent collections grow quadratically to a 3x
 * slowdown at the limit. The threshold and the 3x are assumptions (README.md).
 */
export function memoryPressureFactor(ratio: number): number {
  if (ratio <= 0.8) return 1;
  const x = ratio >= 1 ? 1 : (ratio - 0.8) / 0.2;
  return 1 + 2 * x * x;
}
