/**
 * The fitted segment model of serverless functions (segment-fit.ts fits it, generate.ts
 * draws applications from it): the platform (CPU share, per-size speed, paging), each
 * Sizeless segment's demand, each runtime's own demand and how its gauges read a working
 * set, and the noise the real data shows. Saved as one JSON file (`flash rcs fit --out`);
 * loading checks the format and every field, and names what is wrong.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { SEGMENT_KINDS, type SegmentKind } from "../../sim/k8s/segments.js";
import { COUNTERS, type Demand, type Platform } from "../../sim/serverless/execution.js";
import { RcsDataError } from "./errors.js";
import { GAUGES } from "./segment-reading.js";

export const SEGMENT_MODEL_FORMAT = "flash-adapt-rcs-segments@1";

/** A segment's demand at its reference input size, and where the numbers come from. */
export interface SegmentCost extends Demand {
  /** "fitted" to the real data, or "assumed" (sim/k8s/segments.ts) where no measured application runs it. */
  source: "fitted" | "assumed";
  /** Measured applications that run this segment. */
  apps: number;
}

/** A line gauge = intercept + slope * resident MB, in the runtime's units of the gauge. */
export interface GaugeMap {
  intercept: number;
  slope: number;
}

export interface RuntimeFit {
  /** Measured applications of this runtime. */
  apps: number;
  /** The runtime's own demand (language runtime, libraries, wrapper); segments add to it. */
  base: Demand;
  /** 101 percentiles of the runtime's working set before segments, MB (the generator draws from them). */
  baseMemMbQuantiles: number[];
  /** How each gauge (GAUGES order) reads the resident set, in the runtime's units. */
  gaugeMaps: GaugeMap[];
  /** Median system / user CPU time where nothing pages (the predictor's CPU time at a paging base). */
  sysPerUser: number;
}

export interface NoiseFit {
  /** Standard deviation of log(measured / composed) over applications with a composition: what their names do not tell (input sizes). */
  levelLogSd: number;
  /** 101 percentiles of a point's log residual about its workload's median log residual, where the model does not page (per-size deviations). */
  shapeLogResidual: number[];
  /** The same where the model pages (slowdown >= 1.1): paging is far less regular than the model's curve. */
  pagingLogResidual: number[];
  /**
   * Per measured workload, its log residual at each size (platform.sizesMb order; null where
   * the model pages or it was not measured): the generator gives each application one
   * workload's vector, so the real data's few noisy functions stay few (and their slow sizes
   * stay together) instead of spreading over every generated application.
   */
  residualVectors: (number | null)[][];
  /** 101 percentiles of the per-point coefficients of variation of duration, user CPU time and maxRss. */
  cvDuration: number[];
  cvUser: number[];
  cvMaxRss: number[];
  /** Median invocations per point in the data. */
  invocations: number;
}

export interface SegmentModel {
  format: typeof SEGMENT_MODEL_FORMAT;
  platform: Platform;
  segments: Record<SegmentKind, SegmentCost>;
  runtimes: Record<string, RuntimeFit>;
  /** Fraction of the measured applications per runtime. */
  runtimeShare: Record<string, number>;
  noise: NoiseFit;
  fittedOn: { root: string; apps: string[]; workloads: number };
}

export function saveSegmentModel(file: string, m: SegmentModel): void {
  writeFileSync(file, JSON.stringify(m, null, 1) + "\n");
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function finite(file: string, where: string, v: unknown, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min)
    throw new RcsDataError(`${file}: ${where} is ${JSON.stringify(v)}, expected a finite number >= ${min}`);
  return v;
}

function numbers(file: string, where: string, v: unknown, length?: number, min = -Infinity): number[] {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length))
    throw new RcsDataError(`${file}: ${where} is not an array of ${length ?? "some"} numbers`);
  return v.map((x, i) => finite(file, `${where}[${i}]`, x, min));
}

function demand(file: string, where: string, v: unknown): Demand {
  if (!isObj(v)) throw new RcsDataError(`${file}: ${where} is missing or not an object`);
  return {
    cpuUserMs: finite(file, `${where}.cpuUserMs`, v.cpuUserMs, 0),
    cpuSysMs: finite(file, `${where}.cpuSysMs`, v.cpuSysMs, 0),
    cpuWallMs: finite(file, `${where}.cpuWallMs`, v.cpuWallMs, 0),
    ioMs: finite(file, `${where}.ioMs`, v.ioMs, 0),
    memMb: finite(file, `${where}.memMb`, v.memMb, 0),
    counters: numbers(file, `${where}.counters`, v.counters, COUNTERS.length, 0),
  };
}

function residualVectors(file: string, v: unknown, sizes: number): (number | null)[][] {
  if (!Array.isArray(v) || v.length === 0) throw new RcsDataError(`${file}: noise.residualVectors is not a non-empty array`);
  return v.map((row: unknown, i: number) => {
    if (!Array.isArray(row) || row.length !== sizes)
      throw new RcsDataError(`${file}: noise.residualVectors[${i}] does not hold one value (or null) per size (${sizes})`);
    return row.map((x: unknown, j: number) => (x === null ? null : finite(file, `noise.residualVectors[${i}][${j}]`, x)));
  });
}

/** Check a parsed model (every field, with the file named in errors) and return it typed. */
export function validateSegmentModel(v: unknown, file = "<object>"): SegmentModel {
  if (!isObj(v)) throw new RcsDataError(`${file}: not a JSON object; expected a segment model written by \`flash rcs fit\``);
  if (v.format !== SEGMENT_MODEL_FORMAT) throw new RcsDataError(`${file}: format ${JSON.stringify(v.format)}, expected ${SEGMENT_MODEL_FORMAT}`);
  const p = v.platform;
  if (!isObj(p) || !isObj(p.swap)) throw new RcsDataError(`${file}: platform (with swap) is missing`);
  const sizesMb = numbers(file, "platform.sizesMb", p.sizesMb, undefined, 1);
  if (sizesMb.length === 0 || sizesMb.some((s, i) => i > 0 && s <= sizesMb[i - 1]))
    throw new RcsDataError(`${file}: platform.sizesMb must be ascending memory sizes, got ${JSON.stringify(sizesMb)}`);
  const platform: Platform = {
    fullCoreMb: finite(file, "platform.fullCoreMb", p.fullCoreMb, 1),
    sizesMb,
    cpuSpeed: numbers(file, "platform.cpuSpeed", p.cpuSpeed, sizesMb.length, 1e-6),
    swap: {
      threshold: finite(file, "platform.swap.threshold", p.swap.threshold, 0),
      scale: finite(file, "platform.swap.scale", p.swap.scale, 0),
      power: finite(file, "platform.swap.power", p.swap.power, 0),
      sysPerPagingMs: finite(file, "platform.swap.sysPerPagingMs", p.swap.sysPerPagingMs, 0),
      vcsPerPagingMs: finite(file, "platform.swap.vcsPerPagingMs", p.swap.vcsPerPagingMs, 0),
    },
  };
  if (!isObj(v.segments)) throw new RcsDataError(`${file}: segments is missing`);
  const segs = v.segments;
  const segments = Object.fromEntries(
    SEGMENT_KINDS.map((k) => {
      const s = segs[k];
      if (!isObj(s)) throw new RcsDataError(`${file}: segments.${k} is missing (expected all ${SEGMENT_KINDS.length} segment kinds)`);
      if (s.source !== "fitted" && s.source !== "assumed") throw new RcsDataError(`${file}: segments.${k}.source must be "fitted" or "assumed"`);
      return [k, { ...demand(file, `segments.${k}`, s), source: s.source, apps: finite(file, `segments.${k}.apps`, s.apps, 0) }];
    }),
  ) as Record<SegmentKind, SegmentCost>;
  if (!isObj(v.runtimes) || Object.keys(v.runtimes).length === 0) throw new RcsDataError(`${file}: runtimes is missing or empty`);
  const runtimes: Record<string, RuntimeFit> = {};
  for (const [name, r] of Object.entries(v.runtimes)) {
    if (!isObj(r) || !Array.isArray(r.gaugeMaps) || r.gaugeMaps.length !== GAUGES.length)
      throw new RcsDataError(`${file}: runtimes.${name} needs base, baseMemMbQuantiles, gaugeMaps (${GAUGES.length}) and sysPerUser`);
    runtimes[name] = {
      apps: finite(file, `runtimes.${name}.apps`, r.apps, 0),
      base: demand(file, `runtimes.${name}.base`, r.base),
      baseMemMbQuantiles: numbers(file, `runtimes.${name}.baseMemMbQuantiles`, r.baseMemMbQuantiles, 101, 0),
      gaugeMaps: r.gaugeMaps.map((g: unknown, i: number) => {
        if (!isObj(g)) throw new RcsDataError(`${file}: runtimes.${name}.gaugeMaps[${i}] is not {intercept, slope}`);
        return { intercept: finite(file, `runtimes.${name}.gaugeMaps[${i}].intercept`, g.intercept), slope: finite(file, `gaugeMaps[${i}].slope`, g.slope) };
      }),
      sysPerUser: finite(file, `runtimes.${name}.sysPerUser`, r.sysPerUser, 0),
    };
  }
  if (!isObj(v.runtimeShare)) throw new RcsDataError(`${file}: runtimeShare is missing`);
  const share = v.runtimeShare;
  const runtimeShare = Object.fromEntries(Object.keys(runtimes).map((k) => [k, finite(file, `runtimeShare.${k}`, share[k], 0)]));
  const n = v.noise;
  if (!isObj(n)) throw new RcsDataError(`${file}: noise is missing`);
  const noise: NoiseFit = {
    levelLogSd: finite(file, "noise.levelLogSd", n.levelLogSd, 0),
    shapeLogResidual: numbers(file, "noise.shapeLogResidual", n.shapeLogResidual, 101),
    pagingLogResidual: numbers(file, "noise.pagingLogResidual", n.pagingLogResidual, 101),
    residualVectors: residualVectors(file, n.residualVectors, sizesMb.length),
    cvDuration: numbers(file, "noise.cvDuration", n.cvDuration, 101, 0),
    cvUser: numbers(file, "noise.cvUser", n.cvUser, 101, 0),
    cvMaxRss: numbers(file, "noise.cvMaxRss", n.cvMaxRss, 101, 0),
    invocations: finite(file, "noise.invocations", n.invocations, 1),
  };
  const f = isObj(v.fittedOn) ? v.fittedOn : {};
  return {
    format: SEGMENT_MODEL_FORMAT,
    platform,
    segments,
    runtimes,
    runtimeShare,
    noise,
    fittedOn: { root: String(f.root ?? ""), apps: Array.isArray(f.apps) ? f.apps.map(String) : [], workloads: Number(f.workloads ?? 0) },
  };
}

/** Read a model file; a missing file or a malformed one is an RcsDataError naming it. */
export function loadSegmentModel(file: string): SegmentModel {
  if (!existsSync(file)) throw new RcsDataError(`segment model ${file} does not exist; write one with \`flash rcs fit --data DIR --out ${file}\``);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new RcsDataError(`segment model ${file} is not valid JSON (${(err as Error).message})`);
  }
  return validateSegmentModel(parsed, file);
}

/** The value at probability u of a distribution given by its 101 percentiles (linear between them). */
export function fromPercentiles(q: readonly number[], u: number): number {
  const pos = Math.min(1, Math.max(0, u)) * (q.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(q.length - 1, lo + 1);
  return q[lo] + (q[hi] - q[lo]) * (pos - lo);
}
