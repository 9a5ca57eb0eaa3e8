/**
 * The 16 serverless workload segments of Sizeless (Eismann et al., Middleware 2021),
 * which FLASH composes into its autoscaling applications (paper Appendix A.3).
 *
 * Each segment has a resource profile at a reference input size and power laws for how
 * each resource grows with the input size `s`:
 *
 *     cpuMs(s) = cpuFixedMs + cpuMs  * (s / refSize) ^ cpuExp    (CPU time at one full core)
 *     ioMs(s)  = ioFixedMs  + ioMs   * (s / refSize) ^ ioExp     (waiting on disk/network, no CPU)
 *     memMB(s) = memFixedMB + memMB  * (s / refSize) ^ memExp    (working set while it runs)
 *
 * `parallelism` is how many cores the segment can keep busy (multi-threaded BLAS and
 * libvips use several; most code is single-threaded). The exponents follow each
 * algorithm's complexity (matrix multiply n^3 time and n^2 memory; image operations
 * linear in pixels = side^2; streaming codecs linear in bytes; a B-tree insert grows
 * slowly with table size). The magnitudes at the reference sizes are our assumptions,
 * chosen to match the order of magnitude of Sizeless's measured function durations
 * (tens to hundreds of ms at 1 vCPU) and common library throughputs (gzip ~50 MB/s,
 * deflate ~125 MB/s, object-storage first-byte latency ~20-30 ms, local SSD ~200 MB/s);
 * they are documented in sim/k8s/README.md and are not measurements of our own.
 */

/** Segment kinds, in Sizeless's order. */
export const SEGMENT_KINDS = [
  "floatOperations",
  "matrixMultiplication",
  "imageCompress",
  "imageResize",
  "imageRotate",
  "jsonToYaml",
  "compress",
  "decompress",
  "databaseRead",
  "databaseWrite",
  "fileRead",
  "fileWrite",
  "objectStorageRead",
  "objectStorageWrite",
  "objectStorageStream",
  "sleep",
] as const;

export type SegmentKind = (typeof SEGMENT_KINDS)[number];

/** Which input a segment's `size` measures; the update scenarios act on these. */
export type SizeDimension = "fileSizeKB" | "tableRows" | "floatOpsMillions" | "imageSidePx" | "jsonSizeKB" | "matrixN" | "sleepMs";

export interface SegmentProfile {
  kind: SegmentKind;
  dimension: SizeDimension;
  /** Reference input size, and the valid range of `size` in applications. */
  refSize: number;
  minSize: number;
  maxSize: number;
  cpuFixedMs: number;
  cpuMs: number;
  cpuExp: number;
  ioFixedMs: number;
  ioMs: number;
  ioExp: number;
  memFixedMB: number;
  memMB: number;
  memExp: number;
  /** Cores the segment can use at once. */
  parallelism: number;
}

type Row = [SegmentKind, SizeDimension, number, number, number, number, number, number, number, number, number, number, number, number, number];
// kind, dimension, ref, min, max, cpuFixed, cpu, cpuExp, ioFixed, io, ioExp, memFixed, mem, memExp, parallelism
const ROWS: Row[] = [
  // ~100 M simple float ops/s in a JIT-compiled loop: 10 M ops -> 100 ms.
  ["floatOperations", "floatOpsMillions", 10, 1, 200, 1, 100, 1, 0, 0, 1, 8, 0, 0, 1],
  // 2 n^3 flops at ~0.5 GFLOP/s per core; three n x n float64 matrices (24 n^2 bytes).
  ["matrixMultiplication", "matrixN", 256, 32, 1024, 1, 60, 3, 0, 0, 1, 8, 1.5, 2, 4],
  // Pixel work linear in side^2; two RGBA buffers (8 bytes/pixel); libvips threads.
  ["imageCompress", "imageSidePx", 1024, 128, 4096, 2, 80, 2, 0, 0, 1, 20, 8, 2, 2],
  ["imageResize", "imageSidePx", 1024, 128, 4096, 2, 40, 2, 0, 0, 1, 20, 8, 2, 2],
  ["imageRotate", "imageSidePx", 1024, 128, 4096, 2, 30, 2, 0, 0, 1, 20, 8, 2, 1],
  // Parse + emit: linear time; the parse tree holds ~10x the raw bytes.
  ["jsonToYaml", "jsonSizeKB", 100, 1, 5000, 1, 15, 1, 0, 0, 1, 10, 1, 1, 1],
  // gzip ~50 MB/s, inflate ~125 MB/s; input and output buffers in memory.
  ["compress", "fileSizeKB", 1024, 10, 100000, 0.5, 20, 1, 0, 0, 1, 6, 2, 1, 1],
  ["decompress", "fileSizeKB", 1024, 10, 100000, 0.5, 8, 1, 0, 0, 1, 6, 2, 1, 1],
  // A read returning the table's rows (scan): time and memory linear in rows (~200 B/row).
  ["databaseRead", "tableRows", 10000, 100, 200000, 1, 20, 1, 5, 25, 1, 8, 2, 1, 1],
  // A B-tree insert: cost grows with log-like depth, modelled as a small power.
  ["databaseWrite", "tableRows", 10000, 100, 200000, 1, 4, 0.1, 5, 10, 0.2, 8, 0, 0, 1],
  // Local SSD ~200 MB/s; the file is held in memory.
  ["fileRead", "fileSizeKB", 1024, 10, 100000, 0.5, 2, 1, 0.2, 5, 1, 4, 1, 1, 1],
  ["fileWrite", "fileSizeKB", 1024, 10, 100000, 0.5, 2, 1, 0.5, 10, 1, 4, 1, 1, 1],
  // Object storage: ~20-30 ms first byte, ~100 MB/s transfer; whole object buffered.
  ["objectStorageRead", "fileSizeKB", 1024, 10, 100000, 1, 3, 1, 20, 10, 1, 8, 1, 1, 1],
  ["objectStorageWrite", "fileSizeKB", 1024, 10, 100000, 1, 3, 1, 30, 15, 1, 8, 1, 1, 1],
  // Streaming: same transfer, but only fixed-size chunk buffers in memory.
  ["objectStorageStream", "fileSizeKB", 1024, 10, 100000, 1, 3, 1, 20, 10, 1, 16, 0, 0, 1],
  // Pure waiting: size is the sleep in ms.
  ["sleep", "sleepMs", 100, 1, 5000, 0.1, 0, 0, 0, 100, 1, 2, 0, 0, 1],
];

/** Every segment's profile, keyed by kind. */
export const SEGMENTS: Readonly<Record<SegmentKind, SegmentProfile>> = Object.freeze(
  Object.fromEntries(
    ROWS.map((r) => [
      r[0],
      Object.freeze({
        kind: r[0],
        dimension: r[1],
        refSize: r[2],
        minSize: r[3],
        maxSize: r[4],
        cpuFixedMs: r[5],
        cpuMs: r[6],
        cpuExp: r[7],
        ioFixedMs: r[8],
        ioMs: r[9],
        ioExp: r[10],
        memFixedMB: r[11],
        memMB: r[12],
        memExp: r[13],
        parallelism: r[14],
      }),
    ]),
  ) as Record<SegmentKind, SegmentProfile>,
);

/** Resource demand of one segment execution at input size `size`. */
export interface SegmentDemand {
  cpuMs: number;
  ioMs: number;
  memMB: number;
  parallelism: number;
}

/** The demand of `kind` at `size` (no validation: see app.ts). */
export function segmentDemand(kind: SegmentKind, size: number): SegmentDemand {
  const p = SEGMENTS[kind];
  const x = size / p.refSize;
  return {
    cpuMs: p.cpuFixedMs + p.cpuMs * Math.pow(x, p.cpuExp),
    ioMs: p.ioFixedMs + p.ioMs * Math.pow(x, p.ioExp),
    memMB: p.memFixedMB + p.memMB * Math.pow(x, p.memExp),
    parallelism: p.parallelism,
  };
}

export function isSegmentKind(k: unknown): k is SegmentKind {
  return typeof k === "string" && (SEGMENT_KINDS as readonly string[]).includes(k);
}
