/**
 * The segment model as an X-shot predictor: from what a user measured at the bases of a
 * query (features.ts `Query`: the bases' monitoring, the targets' memory sizes, nothing
 * measured at a target), the function's demand, then its time at every target.
 *
 *  - CPU: user time is what paging leaves alone; system time, the CPU work's wall time
 *    and the I/O time come from the bases that do not page (working set under half the
 *    memory). If every base pages, system time is the runtime's usual share of user time,
 *    the CPU work runs on one thread and the I/O time is taken as 0.
 *  - Working set: the largest gauge reading. A base whose resident set reaches 3/4 of its
 *    memory was capped by it: the working set is then at least that, and is solved from
 *    how much that base slowed down (the inverse of the paging curve).
 *  - Level: a target's time is the time measured at its nearest base (the naive
 *    predictor's, features.ts `nearestBase`) times the model's ratio between the target
 *    and that base: what the model contributes is the curve's shape.
 *
 * It reads the application's runtime but not its name: it serves any function.
 */
import { cpuShare, executionAt, speedAt, type Demand, type Platform } from "../../sim/serverless/execution.js";
import { nearestBase, type Query } from "./features.js";
import { RcsDataError } from "./errors.js";
import { median, measuredDemand, REFERENCE_PRESSURE } from "./segment-fit.js";
import type { SegmentModel } from "./segment-model.js";
import { pointReading, type PointReading } from "./segment-reading.js";

/** A base whose resident set reaches this fraction of its memory size was capped by it. */
const CAPPED = 0.75;

/** The working set at which `r` (CPU wall `cpuWallMs`, I/O `ioMs`) slows down as measured, by inverting the paging curve. */
function workingSetFromSlowdown(p: Platform, r: PointReading, cpuWallMs: number, ioMs: number): number {
  const wall = (cpuWallMs * speedAt(p, r.sizeMb)) / cpuShare(p, r.sizeMb);
  const f = (r.durationMs - ioMs) / Math.max(1e-9, wall);
  const s = p.swap;
  if (!(f > 1) || s.scale <= 0) return 0;
  return r.sizeMb * (s.threshold + Math.pow((f - 1) / s.scale, 1 / Math.max(1e-6, s.power)));
}

/** The demand of a query's function, read from its bases (see the module comment). */
export function demandFromBases(model: SegmentModel, readings: readonly PointReading[], runtime: string): Demand {
  if (readings.length === 0) throw new RcsDataError("segment model predictor: a query without base measurements");
  const p = model.platform;
  const rt = model.runtimes[runtime] ?? Object.values(model.runtimes)[0];
  const maxReading = Math.max(...readings.map((r) => r.workingSetMb));
  const clean = readings.filter((r) => maxReading / r.sizeMb < REFERENCE_PRESSURE);
  const user = Math.min(...readings.map((r) => r.userMs));
  const d: Demand = clean.length
    ? measuredDemand(clean, p)
    : {
        cpuUserMs: user,
        cpuSysMs: user * (rt?.sysPerUser ?? 0),
        cpuWallMs: user * (1 + (rt?.sysPerUser ?? 0)),
        ioMs: 0,
        memMb: maxReading,
        counters: readings[0].counters,
      };
  const capped = readings.filter((r) => r.workingSetMb >= CAPPED * r.sizeMb);
  const solved = capped.map((r) => workingSetFromSlowdown(p, r, d.cpuWallMs, d.ioMs));
  return { ...d, cpuUserMs: user, memMb: Math.max(maxReading, solved.length ? median(solved) : 0) };
}

/** Predicted durations (ms) at the query's targets. */
export function predictWithSegmentModel(model: SegmentModel, query: Query, metricNames: readonly string[]): number[] {
  const readings = query.bases.map((b) => pointReading(b, metricNames, query.runtime));
  const demand = demandFromBases(model, readings, query.runtime);
  const at = (sizeMb: number) => executionAt(demand, model.platform, sizeMb).durationMs;
  return query.targets.map((t) => {
    if (t.memoryMb === undefined) throw new RcsDataError(`segment model predictor: target ${t.key} has no memory size (expected the serverless layout)`);
    const b = nearestBase(query.bases, t);
    return (b.duration * at(t.memoryMb)) / at(b.memoryMb as number);
  });
}
