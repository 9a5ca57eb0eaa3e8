/**
 * What the segment model reads of a measured point and of an application's name.
 *
 * A *reading* turns a serverless point's aggregated metrics (serverless.ts
 * `aggregateInvocations`) back into per-invocation means: the aggregation is invertible
 * (CPU time = fraction x duration, counters = rate x duration, gauges = 10^x - 1), so the
 * fit needs no second CSV reader. The working set comes from the runtime's own gauge: the
 * Node.js wrapper's `rss` is the process's resident bytes (its `maxRss` is a delta in KB),
 * Python's `maxRss` is the peak resident set in KB (its `rss` is not in bytes).
 *
 * A *composition* is the list of Sizeless segments an application runs, read from its
 * name the way the Sizeless generator names its functions (`compress-ftpread-json2yaml`),
 * for the sources whose names mean that: `synthetic` (the real data's generated functions)
 * and `generated` (ours, named `g0001-compress-...`). FunctionBench's `matmul` is a
 * function, not a segment, so other sources have no composition.
 */
import { SEGMENT_KINDS, type SegmentKind } from "../../sim/k8s/segments.js";
import { COUNTERS } from "../../sim/serverless/execution.js";
import { RcsDataError } from "./errors.js";
import type { RcsPoint, RcsWorkload } from "./types.js";

/** Memory gauges the wrapper records, in SERVERLESS_METRICS order. */
export const GAUGES = ["maxRss", "rss", "heapTotal", "heapUsed", "mallocMem"] as const;
export type Gauge = (typeof GAUGES)[number];

export interface PointReading {
  sizeMb: number;
  durationMs: number;
  userMs: number;
  sysMs: number;
  /** Working set read from the runtime's gauge, MB. */
  workingSetMb: number;
  /** Per-invocation means, COUNTERS order. */
  counters: number[];
  /** Per-invocation means of the memory gauges, GAUGES order, in the runtime's own units. */
  gauges: number[];
  cvDuration: number;
  cvUser: number;
  cvMaxRss: number;
}

/** Token of a segment in Sizeless's function names, and ours for the three segments its data never ran. */
export const SEGMENT_TOKENS: Readonly<Record<string, SegmentKind>> = {
  floatoperations: "floatOperations",
  matmul: "matrixMultiplication",
  imagecompress: "imageCompress",
  imageresize: "imageResize",
  imagerotate: "imageRotate",
  json2yaml: "jsonToYaml",
  compress: "compress",
  decompress: "decompress",
  dbread: "databaseRead",
  dbwrite: "databaseWrite",
  readfile: "fileRead",
  writefile: "fileWrite",
  ftpread: "objectStorageRead",
  ftpwrite: "objectStorageWrite",
  ftpstream: "objectStorageStream",
  sleep: "sleep",
};

/** The name token of each segment kind (inverse of SEGMENT_TOKENS). */
export const TOKEN_OF: Readonly<Record<SegmentKind, string>> = Object.fromEntries(
  Object.entries(SEGMENT_TOKENS).map(([token, kind]) => [kind, token]),
) as Record<SegmentKind, string>;

/** Sources whose application names list their segments. */
export const COMPOSED_SOURCES = ["synthetic", "generated"] as const;

/**
 * The segments of an application named like `compress-ftpread-json2yaml` (an optional
 * leading `g<digits>` id token is skipped), or null when its source does not name
 * segments or a token is not a segment.
 */
export function compositionOf(app: string, source: string): SegmentKind[] | null {
  if (!(COMPOSED_SOURCES as readonly string[]).includes(source)) return null;
  const tokens = app.toLowerCase().split("-");
  if (/^g\d+$/.test(tokens[0] ?? "")) tokens.shift();
  if (tokens.length === 0) return null;
  const kinds = tokens.map((t) => SEGMENT_TOKENS[t]);
  return kinds.every((k) => k !== undefined) ? kinds : null;
}

/** Count of each segment kind in a composition, SEGMENT_KINDS order. */
export function compositionCounts(kinds: readonly SegmentKind[]): number[] {
  return SEGMENT_KINDS.map((k) => kinds.filter((x) => x === k).length);
}

/** Working set in MB from the gauges, by runtime (see the module comment). */
export function workingSetMb(runtime: string, gauges: readonly number[]): number {
  const [maxRss, rss] = gauges;
  return runtime.toLowerCase().startsWith("node") ? rss / 2 ** 20 : maxRss / 1024;
}

/** The reading of one serverless point; `metricNames` are the dataset's (SERVERLESS_METRICS). */
export function pointReading(p: RcsPoint, metricNames: readonly string[], runtime: string): PointReading {
  const at = (name: string) => {
    const i = metricNames.indexOf(name);
    if (i < 0) throw new RcsDataError(`segment model: the dataset has no metric "${name}" (expected the serverless layout's metrics)`);
    return p.metrics[i];
  };
  if (p.memoryMb === undefined) throw new RcsDataError(`segment model: point ${p.key} has no memory size (expected the serverless layout)`);
  const d = p.duration;
  const gauges = GAUGES.map((g) => 10 ** at(`log10_1p_${g}`) - 1);
  return {
    sizeMb: p.memoryMb,
    durationMs: d,
    userMs: at("user_cpu_fraction") * d,
    sysMs: at("sys_cpu_fraction") * d,
    workingSetMb: workingSetMb(runtime, gauges),
    counters: COUNTERS.map((c) => ((10 ** at(`log10_1p_${c}_per_s`) - 1) * d) / 1000),
    gauges,
    cvDuration: at("cv_duration"),
    cvUser: at("cv_user_cpu"),
    cvMaxRss: at("cv_maxRss"),
  };
}

/** Readings of a workload's points, ascending memory size. */
export function workloadReadings(w: RcsWorkload, metricNames: readonly string[]): PointReading[] {
  return w.points.map((p) => pointReading(p, metricNames, w.runtime)).sort((a, b) => a.sizeMb - b.sizeMb);
}
