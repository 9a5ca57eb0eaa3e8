/**
 * Fit the segment model (segment-model.ts, sim/serverless/execution.ts) to measured
 * serverless functions. Each step reads what the data can tell and nothing more:
 *
 *  1. Per workload, its *measured demand*: user and system CPU time, the wall time of its
 *     CPU work, its I/O time and its counters at the sizes where it does not page (working
 *     set below half the memory), its working set from the largest gauge reading.
 *  2. The platform: the memory size of a full core (the best of a grid, on the workloads
 *     whose time is mostly CPU), then a per-size speed factor (median over those workloads
 *     of time at a size over their reference time).
 *  3. Paging: threshold, scale and power of 1 + a (W/m - r0)^b, by grid search with a
 *     Huber loss on log slowdown over every point; system time and voluntary context
 *     switches per ms spent paging (medians over the points that page).
 *  4. Segments: non-negative least squares of the composed applications' measured demands
 *     on their segment counts (relative errors; a weak pull toward sim/k8s's assumed
 *     magnitudes, so a segment no application separates keeps its assumption), with a
 *     runtime intercept for the working set and the counters.
 *  5. Runtimes: base working sets, gauge maps (log gauge on log resident set), sys/user.
 *  6. Noise: spread of the composed applications' level about their composition, per-point
 *     residual shape, the coefficients of variation of the invocations.
 *
 * Deterministic: no randomness, the same data gives the same model.
 */
import { SEGMENT_KINDS, SEGMENTS, type SegmentKind } from "../../sim/k8s/segments.js";
import { COUNTERS, composeDemand, cpuShare, executionAt, speedAt, type Demand, type Platform, type SwapModel } from "../../sim/serverless/execution.js";
import { RcsDataError } from "./errors.js";
import { nnls } from "./nnls.js";
import { compositionCounts, compositionOf, GAUGES, workloadReadings, type PointReading } from "./segment-reading.js";
import { SEGMENT_MODEL_FORMAT, type GaugeMap, type RuntimeFit, type SegmentCost, type SegmentModel } from "./segment-model.js";
import type { RcsDataset } from "./types.js";

/** A point pages when its working set exceeds this fraction of the memory size; below it a point is a reference. */
export const REFERENCE_PRESSURE = 0.5;
/** Workloads whose reference time is at least this fraction CPU wall time set the platform's speed. */
const CPU_BOUND = 0.7;
/** A point pages (for the residuals) where the model's paging slowdown is at least this. */
export const PAGING = 1.1;
/** A fitted segment time below this fraction of its assumed time is not identified by the data (fitSegments). */
const UNIDENTIFIED_TIME = 0.01;

/** Weak pull toward the assumed magnitudes, relative (a 100% deviation costs what a 3% error on one application does). */
const PRIOR_STRENGTH = 1e-3;

export interface WorkloadFit {
  id: string;
  app: string;
  source: string;
  runtime: string;
  /** Segments named by the application (null: none). */
  composition: SegmentKind[] | null;
  readings: PointReading[];
  /** Demand read from its own monitoring at the reference sizes. */
  measured: Demand;
}

export interface SegmentFitOptions {
  /** Applications left out of the fit (leave-one-application-out). */
  excludeApps?: Iterable<string>;
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

/** 101 percentiles (0, 1, ..., 100) by linear interpolation. */
export function percentiles(xs: readonly number[]): number[] {
  if (xs.length === 0) throw new RcsDataError("segment fit: no values to take percentiles of");
  const s = [...xs].sort((a, b) => a - b);
  return Array.from({ length: 101 }, (_, q) => {
    const pos = (q / 100) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  });
}

/** The working set of a workload: its largest gauge reading over the sizes. */
function workingSet(rs: readonly PointReading[]): number {
  return Math.max(...rs.map((r) => r.workingSetMb));
}

/** Reference points: no paging (working set under REFERENCE_PRESSURE of the size); the largest size if every size pages. */
export function referencePoints(rs: readonly PointReading[]): PointReading[] {
  const w = workingSet(rs);
  const ref = rs.filter((r) => w / r.sizeMb < REFERENCE_PRESSURE);
  return ref.length ? ref : [rs[rs.length - 1]];
}

/**
 * A workload's demand from its own monitoring at the reference points, the platform's
 * share and speed divided out: at each point the CPU work's wall time is at most the CPU
 * time (threads run CPU time faster than the wall clock) and at most the time measured;
 * the rest of the time measured is I/O.
 */
export function measuredDemand(rs: readonly PointReading[], platform?: Pick<Platform, "fullCoreMb" | "sizesMb" | "cpuSpeed">): Demand {
  const ref = referencePoints(rs);
  const slow = (r: PointReading) => (platform ? speedAt(platform, r.sizeMb) / cpuShare(platform, r.sizeMb) : 1);
  const wall = ref.map((r) => Math.min(r.userMs + r.sysMs, r.durationMs / slow(r)));
  return {
    cpuUserMs: median(ref.map((r) => r.userMs)),
    cpuSysMs: median(ref.map((r) => r.sysMs)),
    cpuWallMs: median(wall),
    ioMs: median(ref.map((r, i) => Math.max(0, r.durationMs - wall[i] * slow(r)))),
    memMb: workingSet(rs),
    // Throttling adds involuntary switches in proportion to 1 / share (execution.ts): divided out like the time.
    counters: COUNTERS.map((c, i) => median(ref.map((r) => r.counters[i] * (c === "ivContextSwitches" && platform ? cpuShare(platform, r.sizeMb) : 1)))),
  };
}

const FULL_CORE_GRID = [1, 128, 192, 256, 384, 512, 768, 1024, 1536, 1769, 2048];

/**
 * Step 2: the memory size of a full core and the per-size speed (see the module comment).
 * A workload's time at size m over its time at the largest sizes (a full core for every
 * candidate) is cpu / share(m) + (1 - cpu) for its CPU fraction `cpu`; the candidate that
 * leaves the least spread (and the smallest per-size offsets) wins, and the per-size
 * medians of what is left are the speed factors.
 */
function fitPlatformSpeed(ws: readonly WorkloadFit[], sizes: readonly number[]): Pick<Platform, "fullCoreMb" | "sizesMb" | "cpuSpeed"> {
  const rows: { size: number; logRatio: number; cpuFrac: number }[] = [];
  for (const w of ws) {
    const free = w.readings.filter((r) => w.measured.memMb / r.sizeMb < REFERENCE_PRESSURE);
    const top = free.filter((r) => r.sizeMb >= 2048);
    if (!top.length) continue;
    const dRef = median(top.map((r) => r.durationMs));
    const cpuFrac = median(top.map((r) => Math.min(1, (r.userMs + r.sysMs) / r.durationMs)));
    if (cpuFrac < CPU_BOUND) continue;
    for (const r of free) rows.push({ size: r.sizeMb, logRatio: Math.log(r.durationMs / dRef), cpuFrac });
  }
  if (!rows.length) return { fullCoreMb: 1, sizesMb: [...sizes], cpuSpeed: sizes.map(() => 1) };
  const residuals = (F: number, s: number) =>
    rows.filter((r) => r.size === s).map((r) => r.logRatio - Math.log(r.cpuFrac / Math.min(1, s / F) + 1 - r.cpuFrac));
  let best = { fullCoreMb: 1, loss: Infinity };
  for (const F of FULL_CORE_GRID) {
    const resid = sizes.map((s) => residuals(F, s)).filter((rs) => rs.length);
    // Per-size medians absorb what is not throttling; the loss is the spread left around them and their size.
    const loss = resid.reduce((a, rs) => a + rs.reduce((b, v) => b + Math.abs(v - median(rs)), 0) + Math.abs(median(rs)), 0);
    if (loss < best.loss - 1e-9) best = { fullCoreMb: F, loss };
  }
  const F = best.fullCoreMb;
  const cpuSpeed = sizes.map((s) => {
    const rs = residuals(F, s);
    return rs.length ? Math.exp(median(rs)) : 1;
  });
  return { fullCoreMb: F, sizesMb: [...sizes], cpuSpeed };
}

const huber = (e: number, delta: number) => (Math.abs(e) <= delta ? 0.5 * e * e : delta * (Math.abs(e) - 0.5 * delta));

/** Step 3: paging (see the module comment). */
function fitSwap(ws: readonly WorkloadFit[], platform: Pick<Platform, "fullCoreMb" | "sizesMb" | "cpuSpeed">): SwapModel {
  const pts: { x: number; y: number; pagingMs: number; sysExtra: number; vcsExtra: number }[] = [];
  const vcs = COUNTERS.indexOf("vContextSwitches");
  for (const w of ws) {
    const m = w.measured;
    for (const r of w.readings) {
      const cpuWall = (m.cpuWallMs * speedAt(platform, r.sizeMb)) / cpuShare(platform, r.sizeMb);
      const slowdown = (r.durationMs - m.ioMs) / Math.max(1e-9, cpuWall);
      if (!(cpuWall > 0) || !(slowdown > 0)) continue;
      pts.push({
        x: m.memMb / r.sizeMb,
        y: Math.log(slowdown),
        pagingMs: r.durationMs - m.ioMs - cpuWall,
        sysExtra: r.sysMs - m.cpuSysMs,
        vcsExtra: r.counters[vcs] - m.counters[vcs],
      });
    }
  }
  let best = { threshold: 1, scale: 0, power: 1, loss: Infinity };
  for (let t = 0.3; t <= 1.5001; t += 0.05) {
    for (let b = 0.5; b <= 4.0001; b += 0.25) {
      for (let la = -2; la <= 3.0001; la += 0.05) {
        const a = 10 ** la;
        let loss = 0;
        for (const p of pts) loss += huber(p.y - Math.log(p.x > t ? 1 + a * Math.pow(p.x - t, b) : 1), 0.3);
        if (loss < best.loss) best = { threshold: t, scale: a, power: b, loss };
      }
    }
  }
  const paging = pts.filter((p) => p.y > Math.log(1.5) && p.pagingMs > 0);
  return {
    threshold: Number(best.threshold.toFixed(2)),
    scale: best.scale,
    power: best.power,
    sysPerPagingMs: paging.length ? Math.max(0, median(paging.map((p) => p.sysExtra / p.pagingMs))) : 0,
    vcsPerPagingMs: paging.length ? Math.max(0, median(paging.map((p) => p.vcsExtra / p.pagingMs))) : 0,
  };
}

/** A segment's demand as sim/k8s/segments.ts assumes it at its reference input size (the fit's prior). */
export function assumedCost(kind: SegmentKind): Demand {
  const p = SEGMENTS[kind];
  const cpu = p.cpuFixedMs + p.cpuMs;
  return {
    // sim/k8s does not split user and system time; 90/10 is what the measured Node.js functions show.
    cpuUserMs: 0.9 * cpu,
    cpuSysMs: 0.1 * cpu,
    cpuWallMs: cpu / p.parallelism,
    ioMs: p.ioFixedMs + p.ioMs,
    memMb: p.memFixedMB + p.memMB,
    counters: COUNTERS.map(() => 0),
  };
}

/**
 * One NNLS of a quantity on segment counts, plus one intercept column per runtime when
 * `intercept` (its prior) is given. Rows are weighted by 1 / target^2 (relative errors:
 * times span 30 ms to 3 s); the pull toward a prior is measured in the same relative
 * units of the applications that carry the column, so it decides only what the data
 * leaves open.
 */
function fitQuantity(
  counts: number[][],
  runtimes: readonly string[],
  targets: number[],
  prior: number[],
  floor: number,
  intercept?: number,
): { seg: number[]; intercepts: Map<string, number> } {
  const names = intercept === undefined ? [] : [...new Set(runtimes)].sort();
  const rows = counts.map((c, i) => [...c, ...names.map((r) => (runtimes[i] === r ? 1 : 0))]);
  const pri = [...prior, ...names.map(() => intercept as number)];
  const scale = pri.map((p, k) => {
    const ys = targets.filter((_, i) => rows[i][k] > 0);
    return ys.length ? median(ys.map((y) => Math.max(floor, Math.abs(y)))) : Math.max(floor, p);
  });
  const x = nnls({
    rows,
    targets,
    weights: targets.map((y) => 1 / Math.max(floor, Math.abs(y)) ** 2),
    prior: pri,
    lambda: scale.map((v) => PRIOR_STRENGTH / v ** 2),
  });
  return { seg: x.slice(0, SEGMENT_KINDS.length), intercepts: new Map(names.map((r, k) => [r, x[SEGMENT_KINDS.length + k]])) };
}

/** Step 4: segments and the runtime intercepts (working set, counters) of the composed applications. */
function fitSegments(composed: readonly WorkloadFit[]): {
  segments: Record<SegmentKind, SegmentCost>;
  intercepts: Map<string, { memMb: number; counters: number[] }>;
} {
  const prior = SEGMENT_KINDS.map(assumedCost);
  const apps = SEGMENT_KINDS.map((k) => new Set(composed.filter((w) => w.composition!.includes(k)).map((w) => w.app)).size);
  const out = Object.fromEntries(SEGMENT_KINDS.map((k, i) => [k, { ...prior[i], source: "assumed", apps: 0 } as SegmentCost])) as Record<
    SegmentKind,
    SegmentCost
  >;
  const intercepts = new Map<string, { memMb: number; counters: number[] }>();
  if (!composed.length) return { segments: out, intercepts };
  const counts = composed.map((w) => compositionCounts(w.composition!));
  const rts = composed.map((w) => w.runtime);
  const col = (f: (d: Demand) => number) => composed.map((w) => f(w.measured));
  // Each quantity of the measured demands on the counts; its prior is the same quantity of the assumed costs (counters: none).
  const fit = (f: (d: Demand) => number, floor: number, intercept?: number, pri: (d: Demand) => number = f) =>
    fitQuantity(counts, rts, col(f), prior.map(pri), floor, intercept);
  const user = fit((d) => d.cpuUserMs, 0.1).seg;
  const sys = fit((d) => d.cpuSysMs, 0.1).seg;
  const wall = fit((d) => d.cpuWallMs + d.ioMs, 0.1).seg;
  const cpuWall = fit((d) => d.cpuWallMs, 0.1).seg;
  const mem = fit((d) => d.memMb, 1, median(col((d) => d.memMb)) / 2);
  const counters = COUNTERS.map((_, c) =>
    fit(
      (d) => d.counters[c],
      1,
      0,
      () => 0,
    ),
  );
  SEGMENT_KINDS.forEach((k, i) => {
    if (!apps[i]) return;
    // A segment the fit leaves at (almost) no time was absorbed by the segments it is
    // composed with (readfile beside two compresses, when the one other application that
    // holds it is left out): the data does not identify it, and an application of that
    // segment alone would take no time. It keeps its assumed cost.
    if (!(wall[i] >= UNIDENTIFIED_TIME * (prior[i].cpuWallMs + prior[i].ioMs))) {
      out[k] = { ...prior[i], source: "assumed", apps: apps[i] };
      return;
    }
    // The CPU work's wall time is at most the CPU time and at most the segment's time.
    const w = Math.min(cpuWall[i], wall[i], user[i] + sys[i]);
    out[k] = {
      cpuUserMs: user[i],
      cpuSysMs: sys[i],
      cpuWallMs: w,
      ioMs: wall[i] - w,
      memMb: mem.seg[i],
      counters: counters.map((c) => c.seg[i]),
      source: "fitted",
      apps: apps[i],
    };
  });
  for (const rt of new Set(rts)) intercepts.set(rt, { memMb: mem.intercepts.get(rt) ?? 0, counters: counters.map((c) => c.intercepts.get(rt) ?? 0) });
  return { segments: out, intercepts };
}

/** Least-squares line of y on x. */
function line(xs: readonly number[], ys: readonly number[]): GaugeMap {
  const n = xs.length;
  const mx = xs.reduce((a, v) => a + v, 0) / n;
  const my = ys.reduce((a, v) => a + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i] - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxx > 1e-12 ? sxy / sxx : 0;
  return { intercept: my - slope * mx, slope };
}

const ZERO_DEMAND = (): Demand => ({ cpuUserMs: 0, cpuSysMs: 0, cpuWallMs: 0, ioMs: 0, memMb: 0, counters: COUNTERS.map(() => 0) });

/** The demand of a composed application from the model: its runtime's base plus its segments at their reference sizes. */
export function composedDemand(model: Pick<SegmentModel, "segments" | "runtimes">, runtime: string, kinds: readonly SegmentKind[]): Demand {
  const base = model.runtimes[runtime]?.base ?? ZERO_DEMAND();
  return composeDemand(
    base,
    kinds.map((kind) => ({ kind, cost: model.segments[kind], scale: 1 })),
  );
}

/** Step 5: per runtime, base demand, base working sets, gauge maps, sys/user. */
function fitRuntimes(
  ws: readonly WorkloadFit[],
  segments: Record<SegmentKind, SegmentCost>,
  intercepts: Map<string, { memMb: number; counters: number[] }>,
): Record<string, RuntimeFit> {
  const out: Record<string, RuntimeFit> = {};
  for (const rt of [...new Set(ws.map((w) => w.runtime))].sort()) {
    const mine = ws.filter((w) => w.runtime === rt);
    const icpt = intercepts.get(rt);
    const segMem = (w: WorkloadFit) => (w.composition ? w.composition.reduce((a, k) => a + segments[k].memMb, 0) : 0);
    const baseMem = mine.map((w) => Math.max(1, w.measured.memMb - segMem(w)));
    const base: Demand = {
      ...ZERO_DEMAND(),
      memMb: icpt?.memMb ?? median(baseMem),
      counters: icpt?.counters ?? COUNTERS.map((_, c) => median(mine.map((w) => w.measured.counters[c]))),
    };
    const pts = mine.flatMap((w) => w.readings);
    const resident = pts.map((r) => Math.min(r.workingSetMb, r.sizeMb));
    const ref = mine.flatMap((w) => referencePoints(w.readings));
    out[rt] = {
      apps: new Set(mine.map((w) => w.app)).size,
      base,
      baseMemMbQuantiles: percentiles(baseMem),
      gaugeMaps: GAUGES.map((_, g) =>
        line(
          resident,
          pts.map((r) => r.gauges[g]),
        ),
      ),
      sysPerUser: median(ref.filter((r) => r.userMs > 0).map((r) => r.sysMs / r.userMs)),
    };
  }
  return out;
}

/** Fit the segment model to a serverless dataset (see the module comment). */
export function fitSegmentModel(ds: RcsDataset, opts: SegmentFitOptions = {}): { model: SegmentModel; workloads: WorkloadFit[] } {
  if (ds.layout !== "serverless") throw new RcsDataError(`segment fit: ${ds.root} is a ${ds.layout} dataset; the segment model needs the serverless layout`);
  const excluded = new Set(opts.excludeApps ?? []);
  const sizes = [...new Set(ds.workloads.flatMap((w) => w.points.map((p) => p.memoryMb as number)))].sort((a, b) => a - b);
  let ws: WorkloadFit[] = ds.workloads
    .filter((w) => !excluded.has(w.app))
    .map((w) => {
      const readings = workloadReadings(w, ds.metricNames);
      return {
        id: w.id,
        app: w.app,
        source: w.source,
        runtime: w.runtime,
        composition: compositionOf(w.app, w.source),
        readings,
        measured: measuredDemand(readings),
      };
    });
  if (ws.length === 0) throw new RcsDataError(`segment fit: no workload left in ${ds.root} after leaving out ${[...excluded].join(", ")}`);
  const speed = fitPlatformSpeed(ws, sizes);
  ws = ws.map((w) => ({ ...w, measured: measuredDemand(w.readings, speed) }));
  const swap = fitSwap(ws, speed);
  const platform: Platform = { ...speed, swap };
  const composed = ws.filter((w) => w.composition);
  const { segments, intercepts } = fitSegments(composed);
  const runtimes = fitRuntimes(ws, segments, intercepts);
  const partial = { segments, runtimes };
  const levels = composed.map((w) => {
    const d = composedDemand(partial, w.runtime, w.composition!);
    return median(w.readings.map((r) => Math.log(r.durationMs / executionAt(d, platform, r.sizeMb).durationMs)));
  });
  // Residuals about each workload's own level, apart for points the model says page: paging is far less regular.
  const shape: number[] = [];
  const pagingShape: number[] = [];
  const residualVectors = ws.map((w) => {
    const ex = w.readings.map((r) => executionAt(w.measured, platform, r.sizeMb));
    const e = w.readings.map((r, i) => Math.log(r.durationMs / ex[i].durationMs));
    const m = median(e);
    e.forEach((v, i) => (ex[i].swapFactor >= PAGING ? pagingShape : shape).push(v - m));
    return sizes.map((size) => {
      const i = w.readings.findIndex((r) => r.sizeMb === size);
      return i < 0 || ex[i].swapFactor >= PAGING ? null : e[i] - m;
    });
  });
  const apps = [...new Set(ws.map((w) => w.app))].sort();
  const points = ws.flatMap((w) => w.readings);
  const level0 = levels.reduce((a, v) => a + v, 0) / Math.max(1, levels.length);
  const model: SegmentModel = {
    format: SEGMENT_MODEL_FORMAT,
    platform,
    segments,
    runtimes,
    runtimeShare: Object.fromEntries(Object.entries(runtimes).map(([k, r]) => [k, r.apps / apps.length])),
    noise: {
      levelLogSd: levels.length > 1 ? Math.sqrt(levels.reduce((a, v) => a + (v - level0) ** 2, 0) / (levels.length - 1)) : 0,
      shapeLogResidual: percentiles(shape),
      pagingLogResidual: percentiles(pagingShape.length ? pagingShape : shape),
      residualVectors,
      cvDuration: percentiles(points.map((r) => r.cvDuration)),
      cvUser: percentiles(points.map((r) => r.cvUser)),
      cvMaxRss: percentiles(points.map((r) => r.cvMaxRss)),
      invocations: median(ds.workloads.flatMap((w) => w.points.map((p) => p.runs))),
    },
    fittedOn: { root: ds.root, apps, workloads: ws.length },
  };
  return { model, workloads: ws };
}
