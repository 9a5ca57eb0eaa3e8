/**
 * Traces: the format, real-trace loaders, rescaling and the synthetic default.
 * `tracesFrom(dir?)` is the one entry point experiments need: the real or user traces of
 * a folder when one is given, else the seeded synthetic set.
 */
import { listTraces, type TraceEntry } from "./real.js";
import { defaultSyntheticTraces } from "./synthetic.js";

export * from "./csv.js";
export * from "./errors.js";
export * from "./real.js";
export * from "./synthetic.js";
export * from "./trace.js";

/** The traces of `dir`, or (no folder) the synthetic default set drawn from `seed`. */
export function tracesFrom(dir: string | undefined, seed: string | number = 0): TraceEntry[] {
  if (dir !== undefined) return listTraces(dir);
  return defaultSyntheticTraces(seed).map((t) => ({ name: t.name, file: "<synthetic>", load: () => t }));
}
